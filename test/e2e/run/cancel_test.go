package run

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

const cancelModel = `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
      - {name: b, job_path: long.yaml, depends_on: [a]}
      - {name: c, job_path: long.yaml, depends_on: [a]}
  - phase_name: two
    jobs:
      - {name: d, job_path: ok.yaml}
`

// runObjects counts what is left of a run in the namespace: Jobs and pods
// carrying its label, its record and its Lease.
func runObjects(ctx context.Context, t *testing.T, ns, runID string) (jobs, pods, records, leases int) {
	t.Helper()
	c := framework.Current.Client
	sel := metav1.ListOptions{LabelSelector: labelRun + "=" + runID}
	if l, err := c.BatchV1().Jobs(ns).List(ctx, sel); err == nil {
		jobs = len(l.Items)
	}
	if l, err := c.CoreV1().Pods(ns).List(ctx, sel); err == nil {
		pods = len(l.Items)
	}
	if _, err := c.CoreV1().ConfigMaps(ns).Get(ctx, "jobernetes-run-"+runID, metav1.GetOptions{}); err == nil {
		records = 1
	}
	if _, err := c.CoordinationV1().Leases(ns).Get(ctx, "jobernetes-run-"+runID, metav1.GetOptions{}); err == nil {
		leases = 1
	}
	return
}

// cancel from a second process mid-run: the orchestrator exits 1 within
// 2 s, the active Jobs and their pods are gone within 10 s, nothing is
// created after the cancel returned; the run shows Cancelled, a resume is
// refused, and --retry-failed runs the rest with never two Jobs of a job.
func TestCancel(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", cancelModel),
		"ok.yaml":         e2eutil.JobYAML("0s", false),
		"long.yaml":       e2eutil.JobYAML("60s", false),
	})
	model := filepath.Join(dir, "jobermodel.yaml")
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const runID = "cancel-me"
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	p := jn.Start(t, "run", "-f", model, "-n", ns, "--run-id", runID)
	e2eutil.WaitFor(t, time.Minute, "b and c to run", func() bool {
		nodes := byNode(rec.snapshot())
		return len(nodes["b"]) == 1 && len(nodes["c"]) == 1
	})

	asked := time.Now()
	r := jobernetes(ctx, t, "cancel", "-n", ns, "--run-id", runID, "--reason", "bad input data")
	returned := time.Now()
	if r.code != 0 || !strings.Contains(r.stdout, "2 active Job(s) deleted") {
		t.Fatalf("cancel: exit %d, want 0 and 2 Jobs deleted", r.code)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("the orchestrator still runs 10s after the cancel")
	}
	res := p.Wait()
	t.Logf("orchestrator -> exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	latency := p.ExitedAt().Sub(asked)
	t.Logf("MEASURE cancel: orchestrator exited %s after cancel was called (cancel returned after %s)",
		latency.Round(time.Millisecond), returned.Sub(asked).Round(time.Millisecond))
	if res.Code != 1 || !strings.Contains(res.Stdout, "cancelled: bad input data") {
		t.Errorf("orchestrator: exit %d, want 1 saying \"cancelled: bad input data\"", res.Code)
	}
	if latency > 2*time.Second {
		t.Errorf("orchestrator exited %s after the cancel, want within 2s", latency)
	}
	e2eutil.WaitFor(t, 10*time.Second, "the cancelled run's active Jobs and pods to go", func() bool {
		l, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: "jobernetes.io/job in (b,c)"})
		pods, perr := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "jobernetes.io/job in (b,c)"})
		return err == nil && perr == nil && len(l.Items) == 0 && len(pods.Items) == 0
	})
	t.Logf("MEASURE cancel: Jobs and pods gone %s after cancel was called", time.Since(asked).Round(time.Millisecond))
	for _, e := range rec.snapshot() {
		if e.added.After(returned) {
			t.Errorf("Job %s created after the cancel returned", e.name)
		}
	}

	r = jobernetes(ctx, t, "status", "-n", ns, "--run-id", runID, "-o", "json")
	var st struct{ Result, Message string }
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Result != "Cancelled" || !strings.Contains(st.Message, "bad input data") {
		t.Errorf("status: %+v (%v), want Cancelled with the reason", st, err)
	}
	if r = jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID); r.code != 2 || !strings.Contains(r.stderr, "cancelled") {
		t.Errorf("resume of a cancelled run: exit %d, want 2 saying it was cancelled", r.code)
	}
	if r = jobernetes(ctx, t, "cancel", "-n", ns, "--run-id", runID); r.code != 2 {
		t.Errorf("cancel of a cancelled run: exit %d, want 2", r.code)
	}

	writeFile(t, filepath.Join(dir, "long.yaml"), e2eutil.JobYAML("0s", false))
	if r = jobernetes(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--retry-failed"); r.code != 0 {
		t.Fatalf("retry of the cancelled run: exit %d, want 0", r.code)
	}
	time.Sleep(300 * time.Millisecond)
	nodes := byNode(rec.snapshot())
	assertNeverCoexist(t, nodes)
	for node, n := range map[string]int{"a": 1, "b": 2, "c": 2, "d": 1} {
		if got := len(nodes[node]); got != n {
			t.Errorf("job %s: %d Jobs, want %d", node, got, n)
		}
	}
}

// delete removes a finished run (record, Jobs, pods, Lease); a running run
// is refused unless --force; --finished prunes by age.
func TestDeleteRun(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", cancelModel),
		"ok.yaml":         e2eutil.JobYAML("0s", false),
		"long.yaml":       e2eutil.JobYAML("0s", false),
	})
	slow := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", cancelModel),
		"ok.yaml":         e2eutil.JobYAML("0s", false),
		"long.yaml":       e2eutil.JobYAML("60s", false),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, id := range []string{"done-1", "done-2"} {
		if r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", id); r.code != 0 {
			t.Fatalf("run %s: exit %d", id, r.code)
		}
	}
	if r := jobernetes(ctx, t, "delete", "-n", ns, "--run-id", "done-1"); r.code != 0 {
		t.Fatalf("delete: exit %d, want 0", r.code)
	}
	e2eutil.WaitFor(t, 30*time.Second, "nothing of run done-1 to be left", func() bool {
		j, p, c, l := runObjects(ctx, t, ns, "done-1")
		return j+p+c+l == 0
	})

	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	p := jn.Start(t, "run", "-f", filepath.Join(slow, "jobermodel.yaml"), "-n", ns, "--run-id", "busy")
	e2eutil.WaitFor(t, time.Minute, "run busy to run b", func() bool { return len(byNode(rec.snapshot())["b"]) >= 3 })
	if r := jobernetes(ctx, t, "delete", "-n", ns, "--run-id", "busy"); r.code != 2 || !strings.Contains(r.stderr, "still running") {
		t.Errorf("delete of a running run without --force: exit %d, want 2", r.code)
	}
	if r := jobernetes(ctx, t, "delete", "-n", ns, "--run-id", "busy", "--force"); r.code != 0 {
		t.Errorf("delete --force: exit %d, want 0", r.code)
	}
	if res := p.Wait(); res.Code != 1 {
		t.Errorf("the force-deleted run's orchestrator: exit %d, want 1", res.Code)
	}
	e2eutil.WaitFor(t, 30*time.Second, "nothing of run busy to be left", func() bool {
		j, p, c, l := runObjects(ctx, t, ns, "busy")
		return j+p+c+l == 0
	})

	if r := jobernetes(ctx, t, "delete", "-n", ns, "--finished", "--older-than", "1h"); r.code != 0 || strings.Contains(r.stdout, "done-2") {
		t.Errorf("prune --older-than 1h: exit %d, must keep done-2", r.code)
	}
	if r := jobernetes(ctx, t, "delete", "-n", ns, "--finished"); r.code != 0 || !strings.Contains(r.stdout, "run done-2") {
		t.Errorf("prune: exit %d, want done-2 deleted", r.code)
	}
	e2eutil.WaitFor(t, 30*time.Second, "nothing of run done-2 to be left", func() bool {
		j, p, c, l := runObjects(ctx, t, ns, "done-2")
		return j+p+c+l == 0
	})
}
