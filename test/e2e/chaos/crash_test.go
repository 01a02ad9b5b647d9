package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// crashLoop runs the DAG's model with one run ID, SIGKILLs the
// orchestrator `kills` times at random moments and restarts it each time,
// then lets the last one run to its end and returns how it ended and how
// many kills were made (fewer if the run ended first).
//
// Each kill moment is one of four kinds, so that kills land everywhere a
// crash can hurt. Two make progress likely before the kill:
//   - "burst": as the test's watch sees the process's n-th new Job, n in
//     1..6 (mid-burst: between creates, the cache and the record);
//   - "run": 0.3-2.5 s after the process took the run's Lease;
//
// and two rarely do:
//   - "lease": 0-150 ms after it took the Lease (record read, cache sync);
//   - "start": 0-3 s after the process started, mostly while it waits for
//     the killed process's Lease to expire (2 s).
//
// A run advances about one level of the DAG per kill that lets it make
// progress, so the share of those is the DAG's remaining depth over the
// remaining kills (between 5% and 65%): all kills fit in the run, spread
// over all of it. Once the last level runs, kills land while the process
// waits for the Lease.
func crashLoop(t *testing.T, rng *rand.Rand, d *dag, model, ns, runID string, kills int, rec *e2eutil.Recorder, timeout time.Duration, extra ...string) (e2eutil.Result, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"run", "-f", model, "-n", ns, "--run-id", runID, "--lease-duration", "2s"}, extra...)
	depth, deepest := d.depths()
	begin := time.Now()
	var leaseWaits []time.Duration
	kinds := map[string]int{}
	finish := func(p *e2eutil.Process, i, done int) (e2eutil.Result, int) {
		select {
		case <-p.Done():
		case <-ctx.Done():
			p.Kill()
			t.Fatalf("the run did not finish within %s after %d kills", timeout, done)
		}
		r := p.Wait()
		t.Logf("final orchestrator (#%d) -> exit %d after %s\nstdout (tail):\n%s\nstderr:\n%s", i+1, r.Code,
			r.Duration.Round(time.Millisecond), tail(r.Stdout, 40), r.Stderr)
		t.Logf("MEASURE crash loop: %d kills (%v), %d orchestrators, wall %s, Lease taken after a kill in p50 %s max %s",
			done, kinds, i+1, time.Since(begin).Round(time.Millisecond),
			e2eutil.Percentile(leaseWaits, 0.5).Round(time.Millisecond), e2eutil.Percentile(leaseWaits, 1).Round(time.Millisecond))
		return r, done
	}
	for i := 0; ; i++ {
		before := len(rec.Snapshot())
		p := jobernetes().Start(t, args...)
		started := time.Now()
		if i >= kills {
			return finish(p, i, i)
		}
		// Draw everything up front, so that a seed replays the same choices.
		kind, x, n := rng.Float64(), rng.Float64(), 1+rng.IntN(6)
		reached := 0
		for node, es := range e2eutil.ByNode(rec.Snapshot()) {
			if len(es) > 0 {
				reached = max(reached, depth[node])
			}
		}
		progress := min(max(float64(deepest-reached)/float64(kills-i), 0.05), 0.65)
		var how string
		var at <-chan time.Time
		if last := reached >= deepest; last || kind >= progress && kind < progress+(1-progress)*0.55 {
			dl := time.Duration(x * float64(3*time.Second))
			if last {
				// The last level runs: only a kill while the process
				// waits for the Lease (2 s) leaves kills for later.
				dl = time.Duration(x * float64(1500*time.Millisecond))
			}
			how, at = fmt.Sprintf("start: %s after start", dl.Round(time.Millisecond)), time.After(time.Until(started.Add(dl)))
			kinds["start"]++
		} else {
			held := waitLease(ctx, t, ns, runID, p)
			if held < 0 {
				return finish(p, i, i) // the run ended before it took the Lease
			}
			if i > 0 {
				leaseWaits = append(leaseWaits, held)
			}
			switch {
			case kind >= progress:
				dl := time.Duration(x * float64(150*time.Millisecond))
				how, at = fmt.Sprintf("lease: %s after it took the Lease", dl.Round(time.Millisecond)), time.After(dl)
				kinds["lease"]++
			case kind < progress*0.45:
				how, at = fmt.Sprintf("burst: at its Job #%d", n), newJobs(ctx, rec, before, n)
				kinds["burst"]++
			default:
				dl := 300*time.Millisecond + time.Duration(x*float64(2200*time.Millisecond))
				how, at = fmt.Sprintf("run: %s after it took the Lease", dl.Round(time.Millisecond)), time.After(dl)
				kinds["run"]++
			}
			how += fmt.Sprintf(" (%s after start)", held.Round(time.Millisecond))
		}
		how += fmt.Sprintf(", DAG level %d/%d reached", reached, deepest)
		select {
		case <-p.Done():
			t.Logf("orchestrator #%d ended by itself before kill %d (%s)", i+1, i+1, how)
			return finish(p, i, i)
		case <-at:
		}
		p.Kill()
		r := p.Wait()
		t.Logf("kill %d/%d: %s; %d Jobs created so far; its last line: %s", i+1, kills, how, len(rec.Snapshot()), tail(r.Stdout, 1))
	}
}

// newJobs fires when the watch has seen n more Jobs than before, or after
// 5 s without them (the frontier may be smaller than n).
func newJobs(ctx context.Context, rec *e2eutil.Recorder, before, n int) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && ctx.Err() == nil && len(rec.Snapshot()) < before+n {
			time.Sleep(5 * time.Millisecond)
		}
		ch <- time.Now()
	}()
	return ch
}

// waitLease waits until process p holds the run's Lease and returns how
// long after its start; -1 if p exited first. The Lease's holder identity
// is host_PID_random (controller.WithRunLease).
func waitLease(ctx context.Context, t *testing.T, ns, runID string, p *e2eutil.Process) time.Duration {
	t.Helper()
	start := time.Now()
	marker := fmt.Sprintf("_%d_", p.PID())
	leases := framework.Current.Client.CoordinationV1().Leases(ns)
	for {
		select {
		case <-p.Done():
			return -1
		case <-ctx.Done():
			t.Fatalf("waiting for orchestrator pid %d to take the Lease: %v", p.PID(), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		l, err := leases.Get(ctx, record.Name(runID), metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			continue
		}
		if err == nil && l.Spec.HolderIdentity != nil && strings.Contains(*l.Spec.HolderIdentity, marker) {
			return time.Since(start)
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func killCount() int {
	if full() {
		return 50
	}
	return 10
}

// A 200-Job DAG, its orchestrator SIGKILLed 10 times (50 with
// JOBERNETES_CHAOS_FULL=1) and restarted with the same run ID each time:
// every Job is created exactly once, in order, and the run succeeds.
func TestCrashLoop(t *testing.T) {
	framework.RequireCluster(t)
	for _, cleanup := range []bool{false, true} {
		t.Run(fmt.Sprintf("cleanup=%v", cleanup), func(t *testing.T) {
			cp := framework.RequireCluster(t)
			rng := newRand(t)
			ns := cp.NewNamespace(t)
			// CI: 18 Jobs deep (6 chains of 5); full: 28 deep (2 chains
			// of 15), so that 50 kills fit in the run.
			d := mixedDAG(rng, 6, 5)
			if full() {
				d = mixedDAG(rng, 2, 15)
			}
			if d.kubernetesJobs() != 200 {
				t.Fatalf("the DAG has %d Jobs, want 200", d.kubernetesJobs())
			}
			model := d.write(t, cleanup)
			var extra []string
			if cleanup {
				// Segments of 1 KiB: the run's record spreads over dozens of
				// them (and its plan over several), so that kills land
				// between a segment's create and the head's write too.
				extra = []string{"--record-segment-bytes", "1024"}
			}
			rec := e2eutil.WatchJobs(t, cp.Client, ns)
			runID := newRunID("crash")
			kills := killCount()
			if !cleanup && !full() {
				kills = 5 // CI: the cleanup variant carries the kills
			}
			r, done := crashLoop(t, rng, d, model, ns, runID, kills, rec, 15*time.Minute, extra...)
			if done < kills {
				t.Errorf("the run ended after %d kills, before the %d planned", done, kills)
			}
			if r.Code != 0 || !strings.Contains(r.Stdout, "SUCCEEDED") {
				t.Fatalf("final orchestrator: exit %d, want 0 and SUCCEEDED", r.Code)
			}
			time.Sleep(500 * time.Millisecond) // the last watch events
			checkOnce(t, ns, runID, d, rec, nil, nil)
			checkOrder(t, d, rec)
			got := readRecord(t, ns, runID)
			if got.Result != record.ResultSucceeded || len(got.Jobs) != 200 {
				t.Errorf("run record: result %s with %d Jobs, want Succeeded with 200", got.Result, len(got.Jobs))
			}
			if cleanup {
				segs, err := cp.Client.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{LabelSelector: record.LabelSegment})
				if err != nil || len(segs.Items) < 5 { // 10 at 2 KiB in one CI run
					t.Errorf("the record has %d segments (%v), want it spread over many", len(segs.Items), err)
				}
				t.Logf("MEASURE crash loop: the record of 200 Jobs in %d segments of at most 1 KiB", len(segs.Items))
				e2eutil.WaitFor(t, time.Minute, "cleanup to delete every Job and pod of the run", func() bool {
					j, p := runJobsLeft(t, ns, runID)
					return j == 0 && p == 0
				})
			} else if j, _ := runJobsLeft(t, ns, runID); j != 200 {
				t.Errorf("cleanup: false left %d Jobs, want 200", j)
			}
			// A finished run, started again, creates nothing.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			again := jobernetes().Run(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--lease-duration", "2s")
			if again.Code != 0 || !strings.Contains(again.Stdout, "already finished") {
				t.Errorf("re-running the finished run: exit %d", again.Code)
			}
			if cleanup {
				// Deleting the run deletes its record's head; the garbage
				// collector takes the segments with it.
				if del := jobernetes().Run(ctx, t, "delete", "-n", ns, "--run-id", runID); del.Code != 0 {
					t.Fatalf("jobernetes delete: exit %d: %s", del.Code, del.Stderr)
				}
				e2eutil.WaitFor(t, time.Minute, "the record's segments to go with its head", func() bool {
					cms, err := cp.Client.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{LabelSelector: record.LabelRun + "=" + runID})
					return err == nil && len(cms.Items) == 0
				})
			}
		})
	}
}

// The same crash loop over a DAG where one Job fails (backoffLimit 0): the
// run ends with exit 1 naming the failed job, the failed Job is created once,
// and nothing downstream of it is ever created, whatever the kills.
func TestCrashLoopWithFailure(t *testing.T) {
	cp := framework.RequireCluster(t)
	rng := newRand(t)
	ns := cp.NewNamespace(t)
	d := newDAG()
	// fan (1 + 9) -> an 8x4 diamond whose node d4_3 fails -> a last phase.
	d.add(rng, "fan", "root")
	for i := range 9 {
		d.add(rng, "fan", fmt.Sprintf("f%d", i), "root")
	}
	for l := range 8 {
		for i := range 4 {
			name := fmt.Sprintf("d%d_%d", l, i)
			var deps []string
			if l > 0 {
				deps = []string{fmt.Sprintf("d%d_%d", l-1, i), fmt.Sprintf("d%d_%d", l-1, (i+1)%4)}
			}
			if name == "d4_3" {
				d.addFile("diamond", name, "pods/fail-1s.yaml", deps...)
				continue
			}
			d.add(rng, "diamond", name, deps...)
		}
	}
	d.addDir(rng, "after", "dir", 3)
	d.add(rng, "after", "last", "dir")
	d.endsAt = "d4_3"
	never := d.downstream("d4_3")
	model := d.write(t, true)
	rec := e2eutil.WatchJobs(t, cp.Client, ns)
	runID := newRunID("crashfail")
	kills := killCount() / 2
	r, done := crashLoop(t, rng, d, model, ns, runID, kills, rec, 10*time.Minute)
	if done < kills {
		t.Errorf("the run ended after %d kills, before the %d planned", done, kills)
	}
	if r.Code != 1 {
		t.Fatalf("final orchestrator: exit %d, want 1", r.Code)
	}
	for _, want := range []string{"FAILED", "failed: job d4_3", "BackoffLimitExceeded"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	time.Sleep(500 * time.Millisecond)
	// Everything before the failing layer ran.
	want := map[string]bool{"d4_3": true}
	for _, n := range d.nodes {
		if n.phase == "fan" || n.name < "d4_" && strings.HasPrefix(n.name, "d") {
			want[n.name] = true
		}
	}
	checkOnce(t, ns, runID, d, rec, want, never)
	checkOrder(t, d, rec)
	nodes := e2eutil.ByNode(rec.Snapshot())
	if f := nodes["d4_3"]; len(f) != 1 || f[0].Failed.IsZero() {
		t.Errorf("the failing Job: %+v, want one Job that failed", f)
	}
	got := readRecord(t, ns, runID)
	if got.Result != record.ResultFailed || !strings.Contains(got.Message, "d4_3") {
		t.Errorf("run record: result %s (%q), want Failed naming d4_3", got.Result, got.Message)
	}
	// The failed Job is kept for its logs.
	if j, _ := runJobsLeft(t, ns, runID); j < 1 {
		t.Errorf("the failed Job was deleted")
	}
}
