package run

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// Parameters from the model, a job and -e reach every container of every
// Job, after the four JOBERNETES_* variables; status shows them; a resume
// with another value is refused (exit 2) naming the key; the SVG picture of
// the finished run is well-formed.
func TestParams(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": `jobernetes_config:
  cleanup: false
  env:
    DAY: model-day
    REGION: eu
jobernetes:
  - phase_name: extract
    jobs:
      - {name: pull, job_path: job.yaml}
  - phase_name: load
    jobs:
      - name: push
        job_path: job.yaml
        env: {REGION: us, TARGET: warehouse}
`,
		"job.yaml": e2eutil.JobYAML("500ms", false),
	})
	modelPath := filepath.Join(dir, "jobermodel.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "-e", "DAY=2026-01-01")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	runID := runIDOf(t, r.stdout)

	jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: labelRun + "=" + runID})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"pull": {"JOBERNETES_RUN_ID=" + runID, "JOBERNETES_PHASE=extract", "JOBERNETES_JOB=pull", "JOBERNETES_ATTEMPT=1",
			"DAY=2026-01-01", "REGION=eu"},
		"push": {"JOBERNETES_RUN_ID=" + runID, "JOBERNETES_PHASE=load", "JOBERNETES_JOB=push", "JOBERNETES_ATTEMPT=1",
			"DAY=2026-01-01", "REGION=us", "TARGET=warehouse"},
	}
	if len(jobs.Items) != len(want) {
		t.Fatalf("%d Jobs, want %d", len(jobs.Items), len(want))
	}
	for _, j := range jobs.Items {
		node := j.Labels["jobernetes.io/job"]
		var got []string
		for _, e := range j.Spec.Template.Spec.Containers[0].Env {
			got = append(got, e.Name+"="+e.Value)
		}
		if strings.Join(got, " ") != strings.Join(want[node], " ") {
			t.Errorf("Job %s (%s) env:\n  %v\nwant\n  %v", j.Name, node, got, want[node])
		}
	}

	// status -o json holds the run's parameters (model env and -e).
	r = jobernetes(ctx, t, "status", "--run-id", runID, "-n", ns, "-o", "json")
	var st struct {
		Params map[string]string `json:"params"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Params["DAY"] != "2026-01-01" || st.Params["REGION"] != "eu" {
		t.Errorf("status params %v (%v), want DAY=2026-01-01 REGION=eu", st.Params, err)
	}
	r = jobernetes(ctx, t, "status", "--run-id", runID, "-n", ns)
	if !strings.Contains(r.stdout, "params DAY=2026-01-01 REGION=eu") {
		t.Errorf("status text lacks the params line")
	}

	// The picture of the finished run: well-formed, one bar per Job.
	r = jobernetes(ctx, t, "status", "--run-id", runID, "-n", ns, "-o", "svg")
	if r.code != 0 {
		t.Fatalf("status -o svg: exit %d", r.code)
	}
	dec := xml.NewDecoder(strings.NewReader(r.stdout))
	bars := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("status -o svg is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			for _, a := range se.Attr {
				if a.Name.Local == "rx" && a.Value == "3" {
					bars++
				}
			}
		}
	}
	if bars != 2 {
		t.Errorf("%d bars in the SVG, want 2", bars)
	}

	// Resuming with another value is refused, naming the key.
	r = jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "-e", "DAY=2026-01-02")
	if r.code != 2 || !strings.Contains(r.stderr, "DAY") {
		t.Errorf("resume with another DAY: exit %d, stderr %q; want 2 naming DAY", r.code, r.stderr)
	}
	// With the same values, the finished run is just reported.
	r = jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "-e", "DAY=2026-01-01")
	if r.code != 0 || !strings.Contains(r.stdout, "already finished") {
		t.Errorf("resume with the same values: exit %d", r.code)
	}
}

// --dry-run=server sends every Job as a dry-run create: accepted, nothing
// is created; refused by a ResourceQuota that allows no Jobs, exit 2 with
// the quota's message for each Job, and still nothing is created (no Job,
// no run record, no Lease).
func TestDryRunServer(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(false, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: job.yaml}
      - {name: b, job_path: job.yaml}
`),
		"job.yaml": e2eutil.JobYAML("0s", false),
	})
	modelPath := filepath.Join(dir, "jobermodel.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nothingCreated := func(when string) {
		t.Helper()
		jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cms, err := cp.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		leases, err := cp.Client.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range cms.Items {
			if strings.HasPrefix(cm.Name, "jobernetes-") {
				t.Errorf("%s: ConfigMap %s was created", when, cm.Name)
			}
		}
		if len(jobs.Items) != 0 || len(leases.Items) != 0 {
			t.Errorf("%s: %d Jobs and %d Leases were created, want none", when, len(jobs.Items), len(leases.Items))
		}
	}

	r := jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--dry-run=server")
	if r.code != 0 || !strings.Contains(r.stdout, "would create all 2 Jobs") {
		t.Errorf("accepted dry run: exit %d, want 0", r.code)
	}
	nothingCreated("accepted dry run")

	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "no-jobs", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"count/jobs.batch": resource.MustParse("0")}},
	}
	created, err := cp.Client.CoreV1().ResourceQuotas(ns).Create(ctx, quota, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Quota admission refuses everything ("status unknown for quota") until
	// the quota's usage is computed. The test bed runs no resourcequota
	// controller, so the test writes the usage as that controller would (0
	// Jobs): the refusal is then the quota's limit itself.
	created.Status = corev1.ResourceQuotaStatus{
		Hard: corev1.ResourceList{"count/jobs.batch": resource.MustParse("0")},
		Used: corev1.ResourceList{"count/jobs.batch": resource.MustParse("0")},
	}
	if _, err := cp.Client.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--dry-run=server")
	if r.code != 2 {
		t.Errorf("dry run against a quota of 0 Jobs: exit %d, want 2", r.code)
	}
	for _, want := range []string{`job "a"`, `job "b"`, "job.yaml", "exceeded quota: no-jobs", "count/jobs.batch", "refused 2 of 2 Jobs"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	nothingCreated("refused dry run")
}

// The Jobs of --retry-failed say which attempt they are, and keep the
// run's parameters.
func TestParamsRetryAttempt(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(false, 0, "  - phase_name: one\n    jobs:\n      - {name: flaky, job_path: fail.yaml}\n"),
		"fail.yaml":       e2eutil.JobYAML("200ms", true),
	})
	modelPath := filepath.Join(dir, "jobermodel.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "-e", "DAY=d1")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (the Job fails)", r.code)
	}
	runID := runIDOf(t, r.stdout)
	r = jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "--retry-failed", "-e", "DAY=d1")
	if r.code != 1 {
		t.Fatalf("retry: exit %d, want 1 (the Job fails again)", r.code)
	}
	jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: labelRun + "=" + runID})
	if err != nil {
		t.Fatal(err)
	}
	attempts := map[string]bool{}
	for _, j := range jobs.Items {
		env := map[string]string{}
		for _, e := range j.Spec.Template.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		want := "1"
		if j.Labels["jobernetes.io/attempt"] == "2" {
			want = "2"
		}
		attempts[env["JOBERNETES_ATTEMPT"]] = true
		if env["JOBERNETES_ATTEMPT"] != want || env["DAY"] != "d1" {
			t.Errorf("Job %s (attempt label %q): JOBERNETES_ATTEMPT=%q DAY=%q", j.Name, j.Labels["jobernetes.io/attempt"], env["JOBERNETES_ATTEMPT"], env["DAY"])
		}
	}
	if len(jobs.Items) != 2 || !attempts["1"] || !attempts["2"] {
		t.Errorf("%d Jobs with attempts %v, want the failed one (1) and its retry (2)", len(jobs.Items), attempts)
	}
}
