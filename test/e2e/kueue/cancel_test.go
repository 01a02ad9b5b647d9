package kueue

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A cancel while Kueue holds Jobs: the queued Jobs are deleted with the
// running ones, nothing active of the run is left, nothing is created after the
// cancel returned.
func TestKueueCancelWithQueuedJobs(t *testing.T) {
	model, jobs, adm, jn, ns := setup(t, "30s")
	cp := requireKueue(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const runID = "kueue-cancel"
	p := jn.Start(t, "run", "-f", model, "-n", ns, "--run-id", runID)
	adm.waitQueued(t, 7) // a, then b1..b8: 6 of these held
	asked := time.Now()
	r := jn.Run(ctx, t, "cancel", "-n", ns, "--run-id", runID)
	returned := time.Now()
	if r.Code != 0 || !strings.Contains(r.Stdout, "8 active Job(s) deleted") {
		t.Fatalf("cancel: exit %d, want 0 and 8 Jobs (2 running, 6 queued) deleted", r.Code)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the orchestrator still runs 10s after the cancel")
	}
	if res := p.Wait(); res.Code != 1 {
		t.Errorf("orchestrator: exit %d, want 1 (cancelled)", res.Code)
	}
	// a succeeded before the cancel: it stays, as the record does.
	sel := metav1.ListOptions{LabelSelector: "jobernetes.io/run=" + runID + ",jobernetes.io/job!=a"}
	var left []string
	for range 100 {
		left = nil
		l, err := cp.Client.BatchV1().Jobs(ns).List(ctx, sel)
		pods, perr := cp.Client.CoreV1().Pods(ns).List(ctx, sel)
		if err != nil || perr != nil {
			t.Fatal(err, perr)
		}
		for _, j := range l.Items {
			left = append(left, fmt.Sprintf("job %s (finalizers %v, deleting %v)", j.Name, j.Finalizers, j.DeletionTimestamp != nil))
		}
		for _, p := range pods.Items {
			left = append(left, fmt.Sprintf("pod %s (finalizers %v, deleting %v)", p.Name, p.Finalizers, p.DeletionTimestamp != nil))
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("MEASURE kueue cancel: cancel returned after %s; Jobs and pods gone %s after it was called",
		returned.Sub(asked).Round(time.Millisecond), time.Since(asked).Round(time.Millisecond))
	if len(left) != 0 {
		t.Errorf("left 10s after the cancel: %v", left)
	}
	for _, e := range jobs.Snapshot() {
		if e.Added.After(returned) {
			t.Errorf("Job %s created after the cancel returned", e.Name)
		}
	}
}

// SIGKILL while Kueue holds Jobs, then a resume: the resume finds the queued
// Jobs and waits for them (creates none again), and the run succeeds with
// every Job created once.
func TestKueueResumeWithQueuedJobs(t *testing.T) {
	model, jobs, adm, jn, ns := setup(t, "2s")
	cp := requireKueue(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const runID = "kueue-resume"
	cmd := exec.Command(binary, "run", "-f", model, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.AdminKubeconfig)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	adm.waitQueued(t, 7)
	_ = cmd.Process.Kill()
	_ = cmd.Wait() // killed on purpose
	_, _, queuedAtKill := adm.counts()
	begin := time.Now()
	r := jn.Run(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
	if r.Code != 0 {
		t.Fatalf("resume: exit %d, want 0", r.Code)
	}
	peak, _, _ := adm.counts()
	t.Logf("MEASURE kueue resume: killed with %d Jobs queued; the resume finished the run in %s; at most %d admitted at once",
		queuedAtKill, time.Since(begin).Round(time.Millisecond), peak)
	if peak > 2 {
		t.Errorf("at most %d Jobs admitted at once, want 2 (the quota)", peak)
	}
	assertOnce(t, jobs)
}
