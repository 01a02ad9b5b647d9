package run

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// thirtyJobs: a fan, chains and another fan, 1 s pods.
func thirtyJobs(cleanup bool) string {
	var b strings.Builder
	b.WriteString("  - phase_name: first\n    jobs:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "      - {name: f%d, job_path: ok.yaml}\n", i)
	}
	b.WriteString("  - phase_name: chains\n    jobs:\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "      - {name: c%d_0, job_path: ok.yaml}\n", i)
		fmt.Fprintf(&b, "      - {name: c%d_1, job_path: ok.yaml, depends_on: [c%d_0]}\n", i, i)
	}
	b.WriteString("  - phase_name: last\n    jobs:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "      - {name: l%d, job_path: ok.yaml}\n", i)
	}
	return model(cleanup, 0, b.String())
}

// SIGKILL the orchestrator at several points of a 30-Job run and restart it
// with the same run ID until it finishes: every node's Job is created
// exactly once, and the run succeeds.
func TestResumeAfterSIGKILL(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, cleanup := range []bool{true, false} {
		t.Run(fmt.Sprintf("cleanup=%v", cleanup), func(t *testing.T) {
			ns := cp.NewNamespace(t)
			dir := e2eutil.WriteFiles(t, map[string]string{
				"jobermodel.yaml": thirtyJobs(cleanup),
				"ok.yaml":         e2eutil.JobYAML("1s", false),
			})
			modelPath := filepath.Join(dir, "jobermodel.yaml")
			rec := watchJobs(t, ns)
			runID := fmt.Sprintf("resume-%d", time.Now().UnixNano()%100000)
			// Kill points chosen to land before, during and between phases
			// (including right after creates, before the cache catches up).
			kills := []time.Duration{700 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond, 900 * time.Millisecond, 3 * time.Second}
			for i, d := range kills {
				// A short lease: a restart waits at most this long for the
				// killed process's claim on the run to expire.
				cmd := exec.Command(binary, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
				cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.AdminKubeconfig)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				select {
				case <-time.After(d):
					_ = cmd.Process.Kill()
					<-exited //nolint:errcheck // killed on purpose: Wait reports the kill
					t.Logf("kill %d after %s: %d Jobs created so far", i+1, d, len(rec.snapshot()))
				case err := <-exited:
					t.Logf("run %d ended by itself before its kill point: %v", i+1, err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
			if r.code != 0 {
				t.Fatalf("final run: exit %d, want 0", r.code)
			}
			// And once more: a finished run creates nothing.
			r = jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", runID)
			if r.code != 0 || !strings.Contains(r.stdout, "already finished") {
				t.Errorf("re-running a finished run: exit %d, output %q", r.code, r.stdout)
			}
			time.Sleep(300 * time.Millisecond)
			nodes := byNode(rec.snapshot())
			if len(nodes) != 30 {
				t.Errorf("%d nodes got Jobs, want 30", len(nodes))
			}
			for node, evs := range nodes {
				if len(evs) != 1 {
					t.Errorf("node %s: %d Jobs created (UIDs), want exactly 1", node, len(evs))
				}
			}
			for i := 0; i < 5; i++ {
				assertOrder(t, nodes, fmt.Sprintf("c%d_1", i), fmt.Sprintf("c%d_0", i))
			}
		})
	}
}

// Two orchestrators of one run at once: one drives it, the other waits for
// the Lease, then finds the run finished. No Job is created twice.
func TestConcurrentOrchestrators(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": thirtyJobs(true),
		"ok.yaml":         e2eutil.JobYAML("1s", false),
	})
	modelPath := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	results := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() {
			results <- jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", "twins", "--lease-duration", "3s")
		}()
	}
	a, b := <-results, <-results
	if a.code != 0 || b.code != 0 {
		t.Fatalf("exit codes %d and %d, want 0 and 0", a.code, b.code)
	}
	if !strings.Contains(a.stderr+b.stderr, "is being driven by") {
		t.Errorf("neither process said it waited for the other")
	}
	if !strings.Contains(a.stdout+b.stdout, "already finished") {
		t.Errorf("the waiting process did not find the run finished")
	}
	time.Sleep(300 * time.Millisecond)
	for node, evs := range byNode(rec.snapshot()) {
		if len(evs) != 1 {
			t.Errorf("node %s: %d Jobs created, want exactly 1", node, len(evs))
		}
	}
}

// SIGINT stops creating, leaves the cluster as it is, says how to resume,
// and exits 130; the resumed run finishes.
func TestInterruptAndResume(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(false, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: slow.yaml}
      - {name: b, job_path: ok.yaml, depends_on: [a]}
`),
		"slow.yaml": e2eutil.JobYAML("3s", false),
		"ok.yaml":   e2eutil.JobYAML("0s", false),
	})
	modelPath := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	var out, errb strings.Builder
	cmd := exec.Command(binary, "run", "-f", modelPath, "-n", ns, "--run-id", "interrupted")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.AdminKubeconfig)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e2eutil.WaitFor(t, 30*time.Second, "Job a", func() bool { return len(byNode(rec.snapshot())["a"]) == 1 })
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	t.Logf("interrupted run: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	if code != 130 {
		t.Errorf("exit %d after SIGINT, want 130", code)
	}
	if !strings.Contains(errb.String(), "--run-id interrupted") {
		t.Errorf("no resume hint")
	}
	jobs, _ := cp.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items) != 1 {
		t.Errorf("%d Jobs after the interrupt, want a's Job left as it was", len(jobs.Items))
	}
	// Told to stop, it recorded a's Job and released it: only a SIGKILL
	// leaves a Job holding the run's finalizer (controller.Stop).
	for _, j := range jobs.Items {
		if runmeta.HasFinalizer(&j) {
			t.Errorf("Job %s still carries %s after the interrupt", j.Name, runmeta.FinalizerUnrecorded)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", modelPath, "-n", ns, "--run-id", "interrupted")
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d, want 0", r.code)
	}
	for node, evs := range byNode(rec.snapshot()) {
		if len(evs) != 1 {
			t.Errorf("node %s: %d Jobs created, want exactly 1", node, len(evs))
		}
	}
}
