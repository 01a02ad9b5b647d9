package kueue

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
)

// cpuJob is a Job of one scripted pod that requests 1 CPU: Kueue's quota
// of 2 CPUs admits two at a time.
func cpuJob(d string) string {
	return strings.Replace(e2eutil.JobYAML(d, false), "        command: [\"sleep\", \"1\"]\n",
		"        command: [\"sleep\", \"1\"]\n        resources: {requests: {cpu: \"1\"}}\n", 1)
}

// tenJobs is a 10-Job DAG: a (first.yaml), then b1..b8 at once, then z
// (job.yaml); every Job in queue.
func tenJobs(queue string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "jobernetes_config:\n  queue: %s\njobernetes:\n", queue)
	b.WriteString("  - phase_name: first\n    jobs:\n      - {name: a, job_path: first.yaml}\n")
	b.WriteString("  - phase_name: wide\n    jobs:\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "      - {name: b%d, job_path: job.yaml}\n", i)
	}
	b.WriteString("  - phase_name: last\n    jobs:\n      - {name: z, job_path: job.yaml}\n")
	return b.String()
}

// setup gives a test a namespace with a queue of 2 CPUs, the 10-Job model
// (a's pod runs 1 s, the others' d) and watches of its Jobs.
func setup(t *testing.T, d string) (model string, jobs *e2eutil.Recorder, adm *admissions, jn e2eutil.Jobernetes, ns string) {
	t.Helper()
	cp := requireKueue(t)
	ns = cp.NewNamespace(t)
	queue := "q-" + ns
	cp.NewKueueQueue(t, ns, queue, "2")
	dir := e2eutil.WriteFiles(t, map[string]string{"jobermodel.yaml": tenJobs(queue), "first.yaml": cpuJob("1s"), "job.yaml": cpuJob(d)})
	jobs = e2eutil.WatchJobs(t, cp.Client, ns)
	adm = watchAdmissions(t, cp, ns)
	return filepath.Join(dir, "jobermodel.yaml"), jobs, adm, e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}, ns
}

// assertOnce checks that every one of the 10 jobs got exactly one Job.
func assertOnce(t *testing.T, jobs *e2eutil.Recorder) {
	t.Helper()
	nodes := e2eutil.ByNode(jobs.Snapshot())
	if len(nodes) != 10 {
		t.Errorf("%d jobs got Jobs, want 10", len(nodes))
	}
	for node, evs := range nodes {
		if len(evs) != 1 {
			t.Errorf("job %s: %d Jobs created, want 1", node, len(evs))
		}
	}
}

// The 10-Job DAG through a quota of 2: it succeeds, Kueue never admits more
// than 2 at once, each Job is created once, status shows the held Jobs as
// queued with their reason, and the report splits queued from running time.
func TestKueueDAGThroughQuota(t *testing.T) {
	model, jobs, adm, jn, ns := setup(t, "1s")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const runID = "kueue-dag"
	begin := time.Now()
	p := jn.Start(t, "run", "-f", model, "-n", ns, "--run-id", runID, "-o", "json")
	adm.waitQueued(t, 6) // b1..b8 created, 6 of them held
	st := jn.Run(ctx, t, "status", "-n", ns, "--run-id", runID, "-o", "json")
	var status struct {
		Jobs []struct{ Job, State, Reason string }
	}
	if err := json.Unmarshal([]byte(st.Stdout), &status); err != nil {
		t.Fatalf("status -o json: %v", err)
	}
	queued := 0
	for _, j := range status.Jobs {
		if j.State == "queued" {
			queued++
			if j.Reason == "" {
				t.Errorf("queued Job %s has no reason", j.Job)
			}
		}
	}
	if queued == 0 {
		t.Errorf("status shows no queued Job while Kueue holds some: %s", st.Stdout)
	}
	text := jn.Run(ctx, t, "status", "-n", ns, "--run-id", runID)
	if !strings.Contains(text.Stdout, "queued") {
		t.Errorf("status text does not say queued:\n%s", text.Stdout)
	}

	res := p.Wait()
	wall := time.Since(begin)
	if res.Code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "queued    ") || !strings.Contains(res.Stderr, "admitted  ") {
		t.Errorf("the progress says nothing of queued and admitted Jobs:\n%s", res.Stderr)
	}
	var report struct {
		Jobs []struct {
			Job                                       string
			RunSeconds, QueuedSeconds, RunningSeconds float64
		}
	}
	if err := json.Unmarshal([]byte(res.Stdout), &report); err != nil {
		t.Fatalf("report: %v\n%s", err, res.Stdout)
	}
	var maxQueued float64
	for _, j := range report.Jobs {
		maxQueued = max(maxQueued, j.QueuedSeconds)
		if j.QueuedSeconds > 0 && j.QueuedSeconds+j.RunningSeconds > j.RunSeconds+0.01 {
			t.Errorf("job %s: queued %.1fs + running %.1fs exceed its run %.1fs", j.Job, j.QueuedSeconds, j.RunningSeconds, j.RunSeconds)
		}
	}
	if maxQueued < 1 {
		t.Errorf("no Job queued a second or more in the report (max %.1fs): the quota held 6 of 8", maxQueued)
	}
	peak, _, everQueued := adm.counts()
	t.Logf("MEASURE kueue dag: 10 Jobs through a quota of 2 in %s; at most %d admitted at once; %d Jobs were queued; longest queued %.1fs",
		wall.Round(time.Millisecond), peak, everQueued, maxQueued)
	if peak > 2 || peak < 2 {
		t.Errorf("at most %d Jobs admitted at once, want 2 (the quota)", peak)
	}
	assertOnce(t, jobs)
}
