package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

func modelWith(options string, body string) string {
	return "jobernetes_config:\n  cleanup: false\n" + options + "jobernetes:\n" + body
}

func nodeNames(nodes map[string][]jobEvent) string {
	var out []string
	for n := range nodes {
		out = append(out, n)
	}
	return strings.Join(sortedStrings(out), ",")
}

func sortedStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// Trigger rules under failure_policy continue: which Jobs run, which are
// skipped, and the run's result.
func TestTriggerRules(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("  failure_policy: continue\n", `
  - phase_name: one
    jobs:
      - {name: a, job_path: fail.yaml}
      - {name: b, job_path: ok.yaml, depends_on: [a]}
      - {name: c, job_path: ok.yaml, depends_on: [a], trigger_rule: one_failed}
      - {name: d, job_path: ok.yaml, depends_on: [a, b], trigger_rule: all_done}
      - {name: e, job_path: ok.yaml}
`),
		"ok.yaml":   e2eutil.JobYAML("0s", false),
		"fail.yaml": e2eutil.JobYAML("1s", true),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	time.Sleep(200 * time.Millisecond)
	nodes := byNode(rec.snapshot())
	if got := nodeNames(nodes); got != "a,c,d,e" {
		t.Errorf("Jobs created for %s, want a,c,d,e", got)
	}
	assertOrder(t, map[string][]jobEvent{"c": nodes["c"], "a": withFailedAsCompleted(nodes["a"])}, "c", "a")
	if !strings.Contains(r.stdout, "skipped: b") {
		t.Errorf("report does not name the skipped job b")
	}
}

// withFailedAsCompleted lets assertOrder check "after a finished" for
// failed predecessors.
func withFailedAsCompleted(evs []jobEvent) []jobEvent {
	out := append([]jobEvent(nil), evs...)
	for i := range out {
		if out[i].completed.IsZero() {
			out[i].completed = out[i].failed
		}
	}
	return out
}

// The three failure policies on the same DAG (parallelization 2):
// a fails after 1 s while b runs 6 s; c waits for a slot.
func TestFailurePolicies(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, tc := range []struct {
		policy         string
		cCreated       bool
		bCompleted     bool
		maxDurationSec float64
	}{
		{"stop", false, true, 60},
		{"continue", true, true, 60},
		{"abort", false, false, 5},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			ns := cp.NewNamespace(t)
			dir := e2eutil.WriteFiles(t, map[string]string{
				"jobermodel.yaml": modelWith(fmt.Sprintf("  parallelization: 2\n  failure_policy: %s\n", tc.policy), `
  - phase_name: one
    jobs:
      - {name: a, job_path: fail.yaml}
      - {name: b, job_path: slow.yaml}
      - {name: c, job_path: ok.yaml}
`),
				"ok.yaml":   e2eutil.JobYAML("0s", false),
				"slow.yaml": e2eutil.JobYAML("6s", false),
				"fail.yaml": e2eutil.JobYAML("1s", true),
			})
			rec := watchJobs(t, ns)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
			took := time.Since(start)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1", r.code)
			}
			time.Sleep(300 * time.Millisecond)
			nodes := byNode(rec.snapshot())
			if got := len(nodes["c"]) == 1; got != tc.cCreated {
				t.Errorf("c created: %v, want %v", got, tc.cCreated)
			}
			b := nodes["b"]
			if len(b) != 1 {
				t.Fatalf("b: %d Jobs", len(b))
			}
			if got := !b[0].completed.IsZero(); got != tc.bCompleted {
				t.Errorf("b completed: %v, want %v", got, tc.bCompleted)
			}
			if tc.policy == "abort" {
				if b[0].deleted.IsZero() {
					t.Errorf("abort did not delete the running Job b")
				}
				e2eutil.WaitFor(t, 30*time.Second, "b's pods to go", func() bool {
					pods, err := cp.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "jobernetes.io/job=b"})
					return err == nil && len(pods.Items) == 0
				})
			}
			t.Logf("MEASURE failure_policy %s: run took %s", tc.policy, took.Round(time.Millisecond))
			if took.Seconds() > tc.maxDurationSec {
				t.Errorf("run took %s", took)
			}
		})
	}
}

// The finally phase runs whatever happened; the failed run still exits 1.
func TestFinallyPhase(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("  finally_phase: always\n", `
  - phase_name: work
    jobs:
      - {name: a, job_path: fail.yaml}
  - phase_name: more
    jobs:
      - {name: b, job_path: ok.yaml}
  - phase_name: always
    jobs:
      - {name: notify, job_path: ok.yaml}
`),
		"ok.yaml":   e2eutil.JobYAML("0s", false),
		"fail.yaml": e2eutil.JobYAML("0s", true),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	time.Sleep(200 * time.Millisecond)
	nodes := byNode(rec.snapshot())
	if got := nodeNames(nodes); got != "a,notify" {
		t.Errorf("Jobs created for %s, want a,notify", got)
	}
	assertOrder(t, map[string][]jobEvent{"notify": nodes["notify"], "a": withFailedAsCompleted(nodes["a"])}, "notify", "a")
}

// Reverts run in reverse dependency order after a failure; order asserted
// from the test's watch.
func TestRevertOrder(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", `
  - phase_name: load
    jobs:
      - {name: a, job_path: ok.yaml, revert_path: undo.yaml}
      - {name: b, job_path: ok.yaml, depends_on: [a], revert_path: undo.yaml}
  - phase_name: publish
    jobs:
      - {name: c, job_path: fail.yaml}
`),
		"ok.yaml":   e2eutil.JobYAML("0s", false),
		"undo.yaml": e2eutil.JobYAML("1s", false),
		"fail.yaml": e2eutil.JobYAML("0s", true),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	time.Sleep(200 * time.Millisecond)
	var revA, revB []jobEvent
	for _, e := range rec.snapshot() {
		switch {
		case strings.HasPrefix(e.name, "revert-a-"):
			revA = append(revA, e)
		case strings.HasPrefix(e.name, "revert-b-"):
			revB = append(revB, e)
		}
	}
	if len(revA) != 1 || len(revB) != 1 {
		t.Fatalf("revert Jobs: a %d, b %d, want 1 each", len(revA), len(revB))
	}
	assertOrder(t, map[string][]jobEvent{"ra": revA, "rb": revB}, "ra", "rb")
}

// --retry-failed after the failing manifest was fixed: only the failed Job
// and its never-run successors are created; succeeded ones stay done.
func TestRetryFailed(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
  - phase_name: two
    jobs:
      - {name: b, job_path: flaky.yaml}
      - {name: c, job_path: ok.yaml, depends_on: [b]}
  - phase_name: three
    jobs:
      - {name: d, job_path: ok.yaml}
`),
		"ok.yaml":    e2eutil.JobYAML("0s", false),
		"flaky.yaml": e2eutil.JobYAML("0s", true),
	})
	model := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", "retry-me"); r.code != 1 {
		t.Fatalf("first attempt: exit %d, want 1", r.code)
	}
	before := len(rec.snapshot())
	if err := os.WriteFile(filepath.Join(dir, "flaky.yaml"), []byte(e2eutil.JobYAML("0s", false)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", "retry-me"); r.code != 2 {
		t.Errorf("resume with a changed manifest but without --retry-failed: exit %d, want 2", r.code)
	}
	if r := jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", "retry-me", "--retry-failed"); r.code != 0 {
		t.Fatalf("retry: exit %d, want 0", r.code)
	}
	time.Sleep(200 * time.Millisecond)
	evs := rec.snapshot()
	second := byNode(evs[before:])
	if got := nodeNames(second); got != "b,c,d" {
		t.Errorf("retry created Jobs for %s, want b,c,d", got)
	}
	all := byNode(evs)
	if len(all["b"]) != 2 {
		t.Errorf("b has %d Jobs, want the failed one kept and a new one", len(all["b"]))
	}
}

// run_timeout: a 5 s deadline with a 60 s Job fails in about 5 s.
func TestRunTimeout(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("  run_timeout: 5s\n", `
  - phase_name: one
    jobs:
      - {name: long, job_path: long.yaml}
`),
		"long.yaml": e2eutil.JobYAML("60s", false),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	took := time.Since(start)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stdout, "DeadlineExceeded") {
		t.Errorf("report does not say the deadline passed")
	}
	t.Logf("MEASURE run_timeout 5s with a 60s Job: the run failed after %s", took.Round(time.Millisecond))
	if took < 5*time.Second || took > 15*time.Second {
		t.Errorf("run took %s, want about 5s", took)
	}
}
