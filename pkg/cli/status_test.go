package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	core "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// The run of the status fixtures started at runStart; "now" is 95s later.
var (
	runStart  = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	statusNow = runStart.Add(95 * time.Second)
)

func at(sec float64) time.Time { return runStart.Add(time.Duration(sec * float64(time.Second))) }

// statusCluster is a fake cluster holding one run mid-way, as the record
// and the Jobs tell it:
//
//	prepare:  extract (succeeded, recorded, Job deleted by cleanup)
//	process:  transform (running) -> load (waiting)
//	          report: directory job of 2 Jobs, one succeeded (recorded),
//	          one failed (Job still there, not yet recorded)
//	publish:  notify (waiting)
//
// plus an older finished run, for the list.
func statusCluster(t *testing.T) *fake.Clientset {
	t.Helper()
	const ns = "data"
	rec := &record.Record{
		Version: 1, RunID: "etl-20261127-120000-ab12", Model: "examples/etl/jobermodel.yaml", ModelName: "etl",
		Fingerprint: "f", StartedAt: runStart.UnixMilli(), Result: record.ResultRunning,
		Params: map[string]string{"DAY": "2026-11-27", "REGION": "eu-west"},
		Plan: []record.PlanJob{
			{Phase: "prepare", Job: "extract", KubernetesJobs: []string{"extract-aaaaaaaa"}},
			{Phase: "process", Job: "transform", KubernetesJobs: []string{"transform-bbbbbbbb"}},
			{Phase: "process", Job: "load", DependsOn: []string{"transform"}, KubernetesJobs: []string{"load-cccccccc"}},
			{Phase: "process", Job: "report", KubernetesJobs: []string{"report-daily-dddddddd", "report-weekly-eeeeeeee"}},
			{Phase: "publish", Job: "notify", KubernetesJobs: []string{"notify-ffffffff"}},
		},
		Jobs: map[string]*record.JobRecord{
			"extract-aaaaaaaa": {Job: "extract", Phase: "prepare", CreatedAt: at(0.2).UnixMilli(), FinishedAt: at(12.5).UnixMilli(),
				Result: record.JobSucceeded, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods"},
			"report-daily-dddddddd": {Job: "report", Phase: "process", CreatedAt: at(12.9).UnixMilli(), FinishedAt: at(20).UnixMilli(),
				Result: record.JobSucceeded, Reason: "CompletionsReached"},
		},
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: record.Name(rec.RunID), Namespace: ns, UID: "cm-uid-1",
		Labels: map[string]string{runmeta.LabelRun: rec.RunID, runmeta.LabelManagedBy: runmeta.ManagedBy},
	}}
	if err := record.Encode(cm, rec); err != nil {
		t.Fatal(err)
	}
	old := &record.Record{
		Version: 1, RunID: "etl-20261126-120000-zz99", Fingerprint: "f", StartedAt: runStart.Add(-24 * time.Hour).UnixMilli(),
		FinishedAt: runStart.Add(-24*time.Hour + 61*time.Second).UnixMilli(), Result: record.ResultSucceeded,
		Plan: []record.PlanJob{{Phase: "p", Job: "a", KubernetesJobs: []string{"a-1"}}},
		Jobs: map[string]*record.JobRecord{"a-1": {Job: "a", Phase: "p", Result: record.JobSucceeded}},
	}
	oldCM := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: record.Name(old.RunID), Namespace: ns, UID: "cm-uid-0",
		Labels: map[string]string{runmeta.LabelRun: old.RunID, runmeta.LabelManagedBy: runmeta.ManagedBy},
	}}
	if err := record.Encode(oldCM, old); err != nil {
		t.Fatal(err)
	}
	yes := true
	job := func(name, node string, created float64, cond *batchv1.JobCondition) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, CreationTimestamp: metav1.NewTime(at(created)),
			Labels:          map[string]string{runmeta.LabelRun: rec.RunID, runmeta.LabelJob: node},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID, Controller: &yes}},
		}}
		if cond != nil {
			j.Status.Conditions = []batchv1.JobCondition{*cond}
		}
		return j
	}
	failed := &batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at(31)),
		Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}
	// A Job with the run's label that the run did not create: not shown.
	foreign := job("transform-bbbbbbbb-copy", "transform", 14, nil)
	foreign.OwnerReferences = nil
	return fake.NewClientset(cm, oldCM,
		job("transform-bbbbbbbb", "transform", 12.8, nil),
		job("report-daily-dddddddd", "report", 12.9, &batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at(20))}),
		job("report-weekly-eeeeeeee", "report", 13.1, failed),
		foreign,
	)
}

// runStatusCmd runs `jobernetes status ARGS` in-process against client.
func runStatusCmd(t *testing.T, client kubernetes.Interface, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	o := &statusOptions{
		kubeFlags: newKubeFlags(), streams: streams,
		now:       func() time.Time { return statusNow },
		newClient: func() (kubernetes.Interface, error) { return client, nil },
	}
	cmd := o.command()
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	code = exitCode(err, "jobernetes status", errOut)
	return code, out.String(), errOut.String()
}

// checkGolden compares got with testdata/golden/name (-update rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/cli -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./pkg/cli -update rewrites it):\n%s", golden, got)
	}
}

// The outputs of `status` are golden files: text for humans, the JSON
// schema scripts rely on, the Mermaid drawing.
func TestStatusGolden(t *testing.T) {
	client := statusCluster(t)
	for _, tc := range []struct{ golden, output string }{
		{"status.text", "text"},
		{"status.json", "json"},
		{"status.mermaid", "mermaid"},
		{"status.svg", "svg"},
	} {
		t.Run(tc.output, func(t *testing.T) {
			code, stdout, stderr := runStatusCmd(t, client, "--run-id", "etl-20261127-120000-ab12", "-n", "data", "-o", tc.output)
			if code != ExitOK || stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			checkGolden(t, tc.golden, stdout)
		})
	}
	t.Run("list", func(t *testing.T) {
		code, stdout, stderr := runStatusCmd(t, client, "-n", "data")
		if code != ExitOK || stderr != "" {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		checkGolden(t, "runs.text", stdout)
	})
	t.Run("list json", func(t *testing.T) {
		code, stdout, stderr := runStatusCmd(t, client, "-n", "data", "-o", "json")
		if code != ExitOK || stderr != "" {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		checkGolden(t, "runs.json", stdout)
	})
}

// The JSON schema, field by field: decoding strictly into the documented
// types loses nothing, and the states are the documented ones.
func TestStatusJSONSchema(t *testing.T) {
	_, stdout, _ := runStatusCmd(t, statusCluster(t), "--run-id", "etl-20261127-120000-ab12", "-n", "data", "-o", "json")
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var st report.RunStatus
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("status -o json does not decode strictly into RunStatus: %v", err)
	}
	if st.APIVersion != "jobernetes.io/v1alpha1" || st.Kind != "RunStatus" || st.Result != "Running" {
		t.Errorf("apiVersion %q kind %q result %q", st.APIVersion, st.Kind, st.Result)
	}
	want := map[string]string{
		"extract-aaaaaaaa": "succeeded", "transform-bbbbbbbb": "running", "load-cccccccc": "waiting",
		"report-daily-dddddddd": "succeeded", "report-weekly-eeeeeeee": "failed", "notify-ffffffff": "waiting",
	}
	if len(st.Jobs) != len(want) {
		t.Fatalf("%d jobs, want %d: %+v", len(st.Jobs), len(want), st.Jobs)
	}
	for _, j := range st.Jobs {
		if j.State != want[j.KubernetesJob] {
			t.Errorf("%s: state %s, want %s", j.KubernetesJob, j.State, want[j.KubernetesJob])
		}
	}
	// The raw keys scripts use.
	var raw map[string]interface{}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"apiVersion", "kind", "runID", "namespace", "result", "startedAt", "jobs"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	job0 := raw["jobs"].([]interface{})[0].(map[string]interface{})
	for _, k := range []string{"phase", "job", "kubernetesJob", "state", "createdAt", "finishedAt", "durationSeconds"} {
		if _, ok := job0[k]; !ok {
			t.Errorf("jobs[0] key %q missing", k)
		}
	}
}

func TestStatusExitCodes(t *testing.T) {
	forbidden := fake.NewClientset()
	forbidden.PrependReactor("*", "*", func(core.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", nil)
	})
	for _, tc := range []struct {
		name   string
		client kubernetes.Interface
		args   []string
		code   int
		stderr string
	}{
		{"unknown run", statusCluster(t), []string{"--run-id", "nope", "-n", "data"}, ExitInvalid, `no run "nope" in namespace "data"`},
		{"invalid run ID", statusCluster(t), []string{"--run-id", "No_Such", "-n", "data"}, ExitInvalid, "invalid run ID"},
		{"unknown output", statusCluster(t), []string{"--run-id", "x", "-o", "wide"}, ExitInvalid, `unknown -o "wide"`},
		{"bad jsonpath", statusCluster(t), []string{"--run-id", "x", "-o", "jsonpath={.result"}, ExitInvalid, `-o jsonpath={.result`},
		{"mermaid needs a run", statusCluster(t), []string{"-o", "mermaid"}, ExitInvalid, "needs --run-id"},
		{"forbidden", forbidden, []string{"--run-id", "x", "-n", "data"}, ExitCluster, "forbidden"},
		{"forbidden list", forbidden, []string{"-n", "data"}, ExitCluster, "forbidden"},
		{"no runs", fake.NewClientset(), []string{"-n", "empty"}, ExitOK, "No runs found in namespace empty."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runStatusCmd(t, tc.client, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want it to contain %q)", code, tc.code, stderr, tc.stderr)
			}
		})
	}
}

// A failed run with a skipped job and revert Jobs (one recorded, one still
// running): every Job is shown with its own state, reverts after the plan.
func TestStatusSkippedAndReverts(t *testing.T) {
	const ns, id = "data", "rv-1"
	rec := &record.Record{
		Version: 1, RunID: id, Fingerprint: "f", StartedAt: runStart.UnixMilli(), Result: record.ResultRunning,
		Plan: []record.PlanJob{
			{Phase: "one", Job: "a", KubernetesJobs: []string{"a-1"}},
			{Phase: "two", Job: "b", KubernetesJobs: []string{"b-1"}},
			{Phase: "two", Job: "c", KubernetesJobs: []string{"c-1"}},
		},
		Jobs: map[string]*record.JobRecord{
			"a-1":        {Job: "a", Phase: "one", Result: record.JobSucceeded, CreatedAt: at(0).UnixMilli(), FinishedAt: at(2).UnixMilli()},
			"b-1":        {Job: "b", Phase: "two", Result: record.JobSucceeded, CreatedAt: at(2).UnixMilli(), FinishedAt: at(3).UnixMilli()},
			"c-1":        {Job: "c", Phase: "two", Result: record.JobSkipped, Reason: "Skipped", Message: "trigger rule all_failed not met"},
			"revert-b-1": {Job: "b", Phase: "two", Result: record.JobSucceeded, Revert: true, CreatedAt: at(4).UnixMilli(), FinishedAt: at(5).UnixMilli()},
		},
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: record.Name(id), Namespace: ns, UID: "cm-rv",
		Labels: map[string]string{runmeta.LabelRun: id, runmeta.LabelManagedBy: runmeta.ManagedBy}}}
	if err := record.Encode(cm, rec); err != nil {
		t.Fatal(err)
	}
	yes := true
	revertA := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "revert-a-1", Namespace: ns, CreationTimestamp: metav1.NewTime(at(5)),
		Labels:          map[string]string{runmeta.LabelRun: id, runmeta.LabelJob: "a", runmeta.LabelPhase: "one", runmeta.LabelRevert: "true"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID, Controller: &yes}}}}
	client := fake.NewClientset(cm, revertA)

	code, stdout, stderr := runStatusCmd(t, client, "--run-id", id, "-n", ns, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var st report.RunStatus
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range st.Jobs {
		got = append(got, j.Job+"="+j.State)
	}
	want := "a=succeeded b=succeeded c=skipped b (revert)=succeeded a (revert)=running"
	if strings.Join(got, " ") != want {
		t.Errorf("jobs:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
	_, mm, _ := runStatusCmd(t, client, "--run-id", id, "-n", ns, "-o", "mermaid")
	if !strings.Contains(mm, `n2["c: skipped"]`) || !strings.Contains(mm, "class n2 skipped") {
		t.Errorf("mermaid:\n%s", mm)
	}
	// The picture: reverts join their phase's rows, the skipped job says so
	// where its bar would be, the running revert's bar is drawn up to now.
	_, svg, _ := runStatusCmd(t, client, "--run-id", id, "-n", ns, "-o", "svg")
	var texts []string
	for _, e := range parseSVG(t, svg)["text"] {
		texts = append(texts, e.text)
	}
	joined := strings.Join(texts, "|")
	for _, want := range []string{"phase one|a|a-1|", "b (revert)|revert-b-1", "a (revert)|revert-a-1|1m30s", "c|c-1|skipped"} {
		if !strings.Contains(joined, want) {
			t.Errorf("SVG texts lack %q:\n%s", want, joined)
		}
	}
}

// -o yaml, jsonpath and name print what -o json does, through cli-runtime's
// printers; -o name is the run's record ConfigMap, for kubectl.
func TestStatusObjectFormats(t *testing.T) {
	const id = "etl-20261127-120000-ab12"
	_, jsonOut, _ := runStatusCmd(t, statusCluster(t), "--run-id", id, "-n", "data", "-o", "json")
	var fromJSON map[string]any
	if err := json.Unmarshal([]byte(jsonOut), &fromJSON); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args  []string
		check func(t *testing.T, out string)
	}{
		{[]string{"--run-id", id, "-o", "yaml"}, func(t *testing.T, out string) {
			var fromYAML map[string]any
			if err := yaml.Unmarshal([]byte(out), &fromYAML); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromYAML, fromJSON) {
				t.Errorf("-o yaml differs from -o json:\n%s", out)
			}
		}},
		{[]string{"--run-id", id, "-o", "jsonpath={.result} {.jobs[*].state}"}, func(t *testing.T, out string) {
			if want := "Running succeeded running waiting succeeded failed waiting"; out != want {
				t.Errorf("jsonpath: %q, want %q", out, want)
			}
		}},
		{[]string{"--run-id", id, "-o", "name"}, func(t *testing.T, out string) {
			if want := "configmap/jobernetes-run-" + id + "\n"; out != want {
				t.Errorf("-o name: %q, want %q", out, want)
			}
		}},
		{[]string{"-o", "name"}, func(t *testing.T, out string) {
			want := "configmap/jobernetes-run-" + id + "\nconfigmap/jobernetes-run-etl-20261126-120000-zz99\n"
			if out != want {
				t.Errorf("-o name list: %q, want %q", out, want)
			}
		}},
		{[]string{"-o", "jsonpath={.kind} {.items[*].runID}"}, func(t *testing.T, out string) {
			if want := "RunList " + id + " etl-20261126-120000-zz99"; out != want {
				t.Errorf("jsonpath list: %q, want %q", out, want)
			}
		}},
		{[]string{"-o", "yaml"}, func(t *testing.T, out string) {
			var l report.RunList
			if err := yaml.UnmarshalStrict([]byte(out), &l); err != nil || l.Kind != "RunList" || len(l.Items) != 2 {
				t.Errorf("-o yaml list: %+v, %v:\n%s", l, err, out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, stderr := runStatusCmd(t, statusCluster(t), append(tc.args, "-n", "data")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			tc.check(t, out)
		})
	}
}
