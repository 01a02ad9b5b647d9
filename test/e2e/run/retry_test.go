package run

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// assertNeverCoexist fails when two Jobs of one model job were ever alive
// at once, as one watch stream saw them: a Job is alive from its ADDED
// event until it completed, failed or was deleted, whichever came first.
func assertNeverCoexist(t *testing.T, nodes map[string][]jobEvent) {
	t.Helper()
	end := func(e jobEvent) time.Time {
		out := time.Now().Add(time.Hour) // still alive
		for _, at := range []time.Time{e.completed, e.failed, e.deleted} {
			if !at.IsZero() && at.Before(out) {
				out = at
			}
		}
		return out
	}
	for node, evs := range nodes {
		for i := range evs {
			for j := i + 1; j < len(evs); j++ {
				a, b := evs[i], evs[j]
				if a.added.Before(end(b)) && b.added.Before(end(a)) {
					t.Errorf("job %s: Jobs %s and %s were alive at the same time", node, a.name, b.name)
				}
			}
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The reproduction of issue 16: a run ends by its deadline while `long` is
// still running; a retry with a fixed manifest must keep that Job, not
// start a second copy. The first retry's own deadline counts from the
// retry's start (it fails again, later than at once); the second retry,
// with a longer deadline, waits for the kept Job and finishes the run.
func TestRetryKeepsRunningJob(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	body := `
  - phase_name: one
    jobs:
      - {name: quick, job_path: quick.yaml}
      - {name: long, job_path: long.yaml, depends_on: [quick]}
  - phase_name: two
    jobs:
      - {name: after, job_path: quick.yaml}
`
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("  run_timeout: 4s\n", body),
		"quick.yaml":      e2eutil.JobYAML("0s", false),
		"long.yaml":       e2eutil.JobYAML("14s", false),
	})
	model := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const runID = "keep-running"
	r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID)
	if r.code != 1 || !strings.Contains(r.stdout, "DeadlineExceeded") {
		t.Fatalf("first attempt: exit %d, want 1 with DeadlineExceeded", r.code)
	}
	// The user "fixes" long's manifest: the running Job keeps its spec.
	writeFile(t, filepath.Join(dir, "long.yaml"), e2eutil.JobYAML("0s", false))

	start := time.Now()
	r = jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--retry-failed")
	took := time.Since(start)
	if r.code != 1 || !strings.Contains(r.stdout, "DeadlineExceeded") {
		t.Fatalf("first retry (4s deadline, long needs longer): exit %d, want 1 with DeadlineExceeded", r.code)
	}
	if took < 3500*time.Millisecond {
		t.Errorf("first retry failed after %s: its deadline must count from the retry's start (4s)", took)
	}
	for _, want := range []string{"running since attempt 1", "long.yaml of job long changed since attempt 1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("first retry's output lacks %q", want)
		}
	}

	writeFile(t, model, modelWith("  run_timeout: 2m\n", body))
	r = jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--retry-failed", "-o", "json")
	if r.code != 0 {
		t.Fatalf("second retry: exit %d, want 0", r.code)
	}
	time.Sleep(300 * time.Millisecond)
	nodes := byNode(rec.snapshot())
	assertNeverCoexist(t, nodes)
	if n := len(nodes["long"]); n != 1 {
		t.Errorf("long has %d Jobs, want the one of attempt 1 only", n)
	}
	if n := len(nodes["quick"]); n != 1 {
		t.Errorf("quick has %d Jobs, want 1 (it succeeded in attempt 1)", n)
	}
	if n := len(nodes["after"]); n != 1 {
		t.Errorf("after has %d Jobs, want 1", n)
	}
	assertOrder(t, nodes, "after", "long")

	// The retry's report: long is attempt 1's Job, with its own run time;
	// the report's span is the attempt's.
	var rep struct {
		Attempt     int     `json:"attempt"`
		WallSeconds float64 `json:"wallSeconds"`
		Jobs        []struct {
			Job         string  `json:"job"`
			State       string  `json:"state"`
			Attempt     int     `json:"attempt"`
			KeptRunning bool    `json:"keptRunning"`
			RunSeconds  float64 `json:"runSeconds"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if rep.Attempt != 3 {
		t.Errorf("report attempt %d, want 3", rep.Attempt)
	}
	for _, j := range rep.Jobs {
		switch j.Job {
		case "long":
			if j.Attempt != 1 || !j.KeptRunning || j.State != "succeeded" || j.RunSeconds < 12 {
				t.Errorf("long in the report: %+v, want attempt 1, kept running, succeeded, its own run time (~14s)", j)
			}
			if rep.WallSeconds >= j.RunSeconds {
				t.Errorf("report wall-clock %.1fs, want the last attempt's span (shorter than long's %.1fs)", rep.WallSeconds, j.RunSeconds)
			}
		case "quick":
			if j.Attempt != 1 || j.KeptRunning {
				t.Errorf("quick in the report: %+v, want attempt 1 (kept, succeeded)", j)
			}
		case "after":
			if j.Attempt != 3 {
				t.Errorf("after in the report: %+v, want attempt 3", j)
			}
		}
	}

	// status lists each attempt with its result.
	r = jobernetes(ctx, t, "status", "-n", ns, "--run-id", runID, "-o", "json")
	var st struct {
		Attempt  int `json:"attempt"`
		Attempts []struct {
			Attempt    int        `json:"attempt"`
			Result     string     `json:"result"`
			StartedAt  *time.Time `json:"startedAt"`
			FinishedAt *time.Time `json:"finishedAt"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status: %v", err)
	}
	var results []string
	for _, a := range st.Attempts {
		results = append(results, a.Result)
		if a.StartedAt == nil || a.FinishedAt == nil || a.FinishedAt.Before(*a.StartedAt) {
			t.Errorf("attempt %d: started %v, finished %v", a.Attempt, a.StartedAt, a.FinishedAt)
		}
	}
	if got := strings.Join(results, ","); st.Attempt != 3 || got != "Failed,Failed,Succeeded" {
		t.Errorf("status: attempt %d, attempts %s; want 3, Failed,Failed,Succeeded", st.Attempt, got)
	}
	r = jobernetes(ctx, t, "status", "-n", ns, "--run-id", runID)
	if !strings.Contains(r.stdout, "attempt 1: Failed") || !strings.Contains(r.stdout, "attempt 3: Succeeded") {
		t.Errorf("status text does not list the attempts")
	}
}

// Under abort the deadline deletes the running Job; a finalizer holds it
// in deletion. The retry must wait until it is gone before creating its
// successor, and then finish.
func TestRetryWaitsForAbortedJob(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	const finalizer = "test.jobernetes.io/hold"
	body := `
  - phase_name: one
    jobs:
      - {name: long, job_path: long.yaml}
`
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("  run_timeout: 3s\n  failure_policy: abort\n", body),
		"long.yaml":       e2eutil.JobYAML("60s", false),
	})
	model := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const runID = "abort-then-retry"
	jobs := cp.Client.BatchV1().Jobs(ns)
	// Once the Job exists, a finalizer of the test's holds it in deletion.
	go func() {
		hold := []byte(`{"metadata":{"finalizers":["` + finalizer + `"]}}`)
		for ctx.Err() == nil {
			if evs := rec.snapshot(); len(evs) > 0 {
				if _, err := jobs.Patch(ctx, evs[0].name, types.MergePatchType, hold, metav1.PatchOptions{}); err == nil {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID); r.code != 1 {
		t.Fatalf("first attempt: exit %d, want 1", r.code)
	}
	first := rec.snapshot()
	if len(first) != 1 {
		t.Fatalf("first attempt created %d Jobs, want 1", len(first))
	}
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	t.Cleanup(func() { // whatever happened, let the namespace go
		_, _ = jobs.Patch(context.Background(), first[0].name, types.MergePatchType, patch, metav1.PatchOptions{})
	})
	j, err := jobs.Get(ctx, first[0].name, metav1.GetOptions{})
	if err != nil || j.DeletionTimestamp == nil {
		t.Fatalf("the aborted Job should be held in deletion by its finalizer: %v, %+v", err, j)
	}

	writeFile(t, model, modelWith("  run_timeout: 2m\n  failure_policy: abort\n", body))
	writeFile(t, filepath.Join(dir, "long.yaml"), e2eutil.JobYAML("0s", false))
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	p := jn.Start(t, "run", "-f", model, "-n", ns, "--run-id", runID, "--retry-failed")
	time.Sleep(3 * time.Second)
	if n := len(rec.snapshot()); n != 1 {
		t.Errorf("the retry created a Job while the aborted one was still being deleted (%d Jobs)", n)
	}
	if _, err := jobs.Patch(ctx, first[0].name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		t.Fatalf("retry did not finish:\n%s", p.Stdout())
	}
	res := p.Wait()
	t.Logf("retry -> exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	if res.Code != 0 {
		t.Fatalf("retry: exit %d, want 0", res.Code)
	}
	if !strings.Contains(res.Stdout, "to be deleted before its job long runs again") {
		t.Errorf("the retry did not say it waits for the deleted Job")
	}
	time.Sleep(300 * time.Millisecond)
	nodes := byNode(rec.snapshot())
	assertNeverCoexist(t, nodes)
	if evs := nodes["long"]; len(evs) != 2 || evs[0].deleted.IsZero() || !evs[1].added.After(evs[0].deleted) {
		t.Errorf("long: want the aborted Job deleted, then one Job of attempt 2 created after that; got %+v", evs)
	}
}

// A retry killed (SIGKILL) before it finished is resumed without
// --retry-failed: the resume acts on the retry's Jobs, so a job that
// succeeded in attempt 1 is not run again and nothing is created twice.
func TestResumeKilledRetry(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
      - {name: b, job_path: flaky.yaml}
  - phase_name: two
    jobs:
      - {name: c1, job_path: slow.yaml}
      - {name: c2, job_path: slow.yaml, depends_on: [c1]}
      - {name: c3, job_path: slow.yaml, depends_on: [c2]}
`),
		"ok.yaml":    e2eutil.JobYAML("0s", false),
		"flaky.yaml": e2eutil.JobYAML("0s", true),
		"slow.yaml":  e2eutil.JobYAML("1s", false),
	})
	model := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const runID = "killed-retry"
	if r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID); r.code != 1 {
		t.Fatalf("first attempt: exit %d, want 1", r.code)
	}
	writeFile(t, filepath.Join(dir, "flaky.yaml"), e2eutil.JobYAML("0s", false))
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	p := jn.Start(t, "run", "-f", model, "-n", ns, "--run-id", runID, "--retry-failed", "--lease-duration", "2s")
	// Kill once the retry's first Job of phase two exists: mid-retry.
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && len(byNode(rec.snapshot())["c1"]) == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	p.Kill()
	p.Wait()
	t.Logf("killed the retry with %d Jobs created", len(rec.snapshot()))

	r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
	if r.code != 0 {
		t.Fatalf("resume of the killed retry: exit %d, want 0", r.code)
	}
	time.Sleep(300 * time.Millisecond)
	nodes := byNode(rec.snapshot())
	assertNeverCoexist(t, nodes)
	want := map[string]int{"a": 1, "b": 2, "c1": 1, "c2": 1, "c3": 1}
	for node, n := range want {
		if got := len(nodes[node]); got != n {
			t.Errorf("job %s: %d Jobs created, want %d", node, got, n)
		}
	}
}
