package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// copyExample copies examples/NAME into a temporary folder, with edit
// applied to its model file.
func copyExample(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	src, _ := filepath.Abs(filepath.Join("..", "..", "..", "examples", name))
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "jobermodel.yaml" {
			b = []byte(edit(string(b)))
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func envOf(j *batchv1.Job) map[string]string {
	out := map[string]string{}
	for _, e := range j.Spec.Template.Spec.Containers[0].Env {
		out[e.Name] = e.Value
	}
	return out
}

// The data-flow example end to end (docs/dataflow.md): detect's results
// decide deploy's fan-out (2 regions x 2 tiers, in matrix order, with the
// right env), notify gets the JSON list of deploy's URLs, a false `when`
// skips rollback with its reason, the sub-model's Jobs run inside the run
// in its phases' order, status -o json shows every result, and no job has
// two Jobs.
func TestDataflowExample(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := copyExample(t, "dataflow", func(s string) string { return strings.Replace(s, "cleanup: true", "cleanup: false", 1) })
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	runID := runIDOf(t, r.stdout)

	list, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: labelRun + "=" + runID})
	if err != nil {
		t.Fatal(err)
	}
	byJob := map[string][]*batchv1.Job{}
	for i := range list.Items {
		j := &list.Items[i]
		byJob[j.Labels["jobernetes.io/job"]] = append(byJob[j.Labels["jobernetes.io/job"]], j)
	}
	want := []struct{ region, tier string }{{"eu-west", "web"}, {"eu-west", "api"}, {"us-east", "web"}, {"us-east", "api"}}
	if len(byJob["deploy"]) != len(want) {
		t.Fatalf("deploy has %d Jobs, want %d (regions x tiers)", len(byJob["deploy"]), len(want))
	}
	var urls []string
	for i, w := range want {
		var found *batchv1.Job
		for _, j := range byJob["deploy"] {
			if j.Labels["jobernetes.io/matrix"] == string(rune('0'+i)) {
				found = j
			}
		}
		if found == nil {
			t.Fatalf("no deploy Job with label jobernetes.io/matrix=%d", i)
		}
		env := envOf(found)
		if env["JOBERNETES_MATRIX_REGION"] != w.region || env["JOBERNETES_MATRIX_TIER"] != w.tier || env["CHANGED"] != "true" {
			t.Errorf("deploy Job %d env: region %q tier %q CHANGED %q, want %s %s true", i,
				env["JOBERNETES_MATRIX_REGION"], env["JOBERNETES_MATRIX_TIER"], env["CHANGED"], w.region, w.tier)
		}
		urls = append(urls, "https://"+w.tier+"."+w.region+".example.com")
	}
	if len(byJob["notify"]) != 1 {
		t.Fatalf("notify has %d Jobs, want 1", len(byJob["notify"]))
	}
	wantURLs, _ := json.Marshal(urls)
	if got := envOf(byJob["notify"][0])["URLS"]; got != string(wantURLs) {
		t.Errorf("notify URLS = %s, want %s", got, wantURLs)
	}
	if len(byJob["rollback"]) != 0 {
		t.Errorf("rollback's when is false, yet it has %d Jobs", len(byJob["rollback"]))
	}
	if len(byJob["infra.vpc"]) != 1 || len(byJob["infra.nodes"]) != 1 {
		t.Errorf("sub-model Jobs: infra.vpc %d, infra.nodes %d, want 1 each", len(byJob["infra.vpc"]), len(byJob["infra.nodes"]))
	}
	nodes := byNode(rec.snapshot())
	assertOrder(t, nodes, "infra.nodes", "infra.vpc")
	assertOrder(t, nodes, "deploy", "detect")
	assertOrder(t, nodes, "notify", "deploy")
	seen := map[string]int{}
	for _, e := range rec.snapshot() {
		seen[e.name]++
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("Job %s was created %d times", name, n)
		}
	}

	txt := jobernetes(ctx, t, "status", "--run-id", runID, "-n", ns)
	if !strings.Contains(txt.stdout, "results:") || !strings.Contains(txt.stdout, `{"changed":"true","regions":["eu-west","us-east"]}`) {
		t.Errorf("status text lacks detect's results:\n%s", txt.stdout)
	}
	st := jobernetes(ctx, t, "status", "--run-id", runID, "-n", ns, "-o", "json")
	if st.code != 0 {
		t.Fatalf("status exit %d: %s", st.code, st.stderr)
	}
	var doc struct {
		Result string `json:"result"`
		Jobs   []struct {
			Job     string          `json:"job"`
			State   string          `json:"state"`
			Message string          `json:"message"`
			Results json.RawMessage `json:"results"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &doc); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, st.stdout)
	}
	results := map[string][]string{}
	for _, j := range doc.Jobs {
		if len(j.Results) > 0 {
			var compact bytes.Buffer
			if err := json.Compact(&compact, j.Results); err != nil {
				t.Fatal(err)
			}
			results[j.Job] = append(results[j.Job], compact.String())
		}
		if j.Job == "rollback" && (j.State != "skipped" || !strings.Contains(j.Message, `when: results.detect.changed == "false" is false`)) {
			t.Errorf("rollback: state %q message %q, want skipped by its when", j.State, j.Message)
		}
	}
	if got := results["detect"]; len(got) != 1 || !strings.Contains(got[0], `"changed":"true"`) || !strings.Contains(got[0], `"regions":["eu-west","us-east"]`) {
		t.Errorf("status results of detect = %v", got)
	}
	if got := results["deploy"]; len(got) != 4 || !strings.Contains(got[0], urls[0]) {
		t.Errorf("status results of deploy = %v, want 4 URLs in matrix order", got)
	}
}

// SIGKILL around the producer's completion and the fan-out's creates, with
// cleanup on (the producer's Job is gone at resume): the resumed run
// creates the same Jobs with the same values (deploy's URLs, which its
// pods build from their env, come out right) and no Job twice.
func TestDataflowResumeAfterSIGKILL(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := copyExample(t, "dataflow", func(s string) string { return s })
	modelPath := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	runID := fmt.Sprintf("df-%d", time.Now().UnixNano()%100000)
	has := func(node string, done bool) func() bool {
		return func() bool {
			for _, e := range rec.snapshot() {
				if e.node == node && (!done || !e.completed.IsZero()) {
					return true
				}
			}
			return false
		}
	}
	kills := []struct {
		what string
		when func() bool
	}{
		{"detect complete", has("detect", true)},
		{"first deploy created", has("deploy", false)},
		{"a deploy complete", has("deploy", true)},
	}
	for _, k := range kills {
		cmd := exec.Command(binary, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.AdminKubeconfig)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.After(time.Minute)
	wait:
		for {
			select {
			case err := <-exited:
				t.Logf("run ended before %q: %v", k.what, err)
				break wait
			case <-deadline:
				t.Fatalf("%q did not happen", k.what)
			case <-time.After(10 * time.Millisecond):
				if k.when() {
					_ = cmd.Process.Kill()
					<-exited //nolint:errcheck // killed on purpose
					t.Logf("killed at %q: %d Jobs created so far", k.what, len(rec.snapshot()))
					break wait
				}
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
	if r.code != 0 {
		t.Fatalf("final run: exit %d, want 0:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	time.Sleep(300 * time.Millisecond)
	names := map[string]int{}
	nodes := map[string]int{}
	for _, e := range rec.snapshot() {
		names[e.name]++
		nodes[e.node]++
	}
	for name, n := range names {
		if n != 1 {
			t.Errorf("Job %s created %d times (UIDs), want 1", name, n)
		}
	}
	for node, want := range map[string]int{"detect": 1, "deploy": 4, "notify": 1, "rollback": 0, "infra.vpc": 1, "infra.nodes": 1} {
		if nodes[node] != want {
			t.Errorf("%s: %d Jobs, want %d", node, nodes[node], want)
		}
	}
	st := jobernetes(ctx, t, "status", "--run-id", runID, "-n", ns, "-o", "json")
	for _, w := range []string{"https://web.eu-west.example.com", "https://api.eu-west.example.com", "https://web.us-east.example.com", "https://api.us-east.example.com"} {
		if !strings.Contains(st.stdout, w) {
			t.Errorf("status lacks deploy result %s", w)
		}
	}
}

// Results that cannot be used fail their job with a message that names
// the key and the container, and nothing that reads them is created: a
// missing declared key, a message that is not JSON, a matrix over
// max_matrix decided at run time, a matrix value that is not a list.
func TestDataflowBadResults(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": `jobernetes_config:
  failure_policy: continue
  max_matrix: 2
jobernetes:
  - phase_name: one
    jobs:
      - {name: missing, job_path: missing.yaml, results: [url]}
      - {name: notjson, job_path: notjson.yaml, results: [url]}
      - {name: many, job_path: many.yaml, results: [list, scalar]}
      - {name: after_missing, job_path: ok.yaml, depends_on: [missing], env: {U: "$(results.missing.url)"}}
      - {name: fan, job_path: ok.yaml, depends_on: [many], matrix: {x: "$(results.many.list)"}}
      - {name: fan_scalar, job_path: ok.yaml, depends_on: [many], matrix: {x: "$(results.many.scalar)"}}
      - {name: fan_after_missing, job_path: ok.yaml, depends_on: [missing], matrix: {x: "$(results.missing.url)"}}
      - {name: none, job_path: many.yaml, results: [list, scalar], matrix: {x: []}}
      - {name: after_none, job_path: ok.yaml, depends_on: [none], env: {L: "$(results.none.list)"}}
`,
		"missing.yaml": e2eutil.ResultJobYAML("0s", `{"other": 1}`),
		"notjson.yaml": e2eutil.ResultJobYAML("0s", `url=http://x`),
		"many.yaml":    e2eutil.ResultJobYAML("0s", `{"list": [1, 2, 3], "scalar": "a"}`),
		"ok.yaml":      e2eutil.JobYAML("0s", false),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stdout)
	}
	out := r.stdout + r.stderr
	for _, want := range []string{
		`declared result "url" is missing: no container of pod`,
		`container main of pod`, `its termination message is not one JSON object`,
		`more than 2 combinations (max_matrix 2`,
		`matrix key x: results.many.scalar is the JSON value "a", not a JSON list`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(out, "the matrix has no combinations (an empty list): the job succeeds with no Jobs") {
		t.Errorf("output does not say the empty matrix succeeded with no Jobs")
	}
	nodes := byNode(rec.snapshot())
	if len(nodes["none"]) != 0 || len(nodes["after_none"]) != 1 {
		t.Errorf("empty matrix: %d Jobs (want 0), its dependent %d (want 1)", len(nodes["none"]), len(nodes["after_none"]))
	}
	if !strings.Contains(out, "skipped   one/fan_after_missing") {
		t.Errorf("a matrix decided from a failed job's results is not said skipped")
	}
	for _, n := range []string{"after_missing", "fan", "fan_scalar", "fan_after_missing"} {
		if len(nodes[n]) != 0 {
			t.Errorf("%s: %d Jobs created, want none", n, len(nodes[n]))
		}
	}
}

// A producer fails under failure_policy stop: the matrix that would read
// its results is skipped (never decided), and the run ends at once, exit 1.
func TestDataflowProducerFails(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": `jobernetes:
  - phase_name: one
    jobs:
      - {name: detect, job_path: fail.yaml, results: [list]}
  - phase_name: two
    jobs:
      - {name: fan, job_path: ok.yaml, matrix: {x: "$(results.detect.list)"}}
`,
		"fail.yaml": e2eutil.JobYAML("0s", true),
		"ok.yaml":   e2eutil.JobYAML("0s", false),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stdout)
	}
	st := jobernetes(ctx, t, "status", "-n", ns, "--run-id", runIDOf(t, r.stdout), "-o", "json")
	if !strings.Contains(st.stdout, `"job": "fan"`) || !strings.Contains(st.stdout, `"state": "skipped"`) {
		t.Errorf("status does not show fan skipped:\n%s", st.stdout)
	}
}
