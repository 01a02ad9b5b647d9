package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// sixtyJobs: a fan-out, chains and a diamond lattice, 60 Jobs, 9 deep,
// pods of 0-2 s.
func sixtyJobs(rng *rand.Rand) *dag {
	d := newDAG()
	d.add(rng, "fan", "root")
	for i := range 19 {
		d.add(rng, "fan", fmt.Sprintf("f%02d", i), "root")
	}
	for c := range 4 {
		for i := range 5 {
			var deps []string
			if i > 0 {
				deps = []string{fmt.Sprintf("c%d_%d", c, i-1)}
			}
			d.add(rng, "chains", fmt.Sprintf("c%d_%d", c, i), deps...)
		}
	}
	for l := range 2 {
		for i := range 10 {
			var deps []string
			if l > 0 {
				deps = []string{fmt.Sprintf("d%d_%d", l-1, i), fmt.Sprintf("d%d_%d", l-1, (i+1)%10)}
			}
			d.add(rng, "diamond", fmt.Sprintf("d%d_%d", l, i), deps...)
		}
	}
	return d
}

// Restart kube-apiserver, or etcd, in the middle of a run (default Lease
// duration; the restart takes a few seconds, less than the Lease's renew
// deadline of 10 s): the orchestrator rides it out, and the run completes
// with every Job created once, in order. (Longer outages: TestAPIServerFrozen.)
func TestControlPlaneRestart(t *testing.T) {
	framework.RequireCluster(t)
	if os.Getenv(framework.EnvAttach) != "" {
		t.Skipf("restarting components needs a control plane started by the test, not an attached one (%s)", framework.EnvAttach)
	}
	for _, component := range []string{framework.KubeAPIServer, framework.Etcd} {
		t.Run(component, func(t *testing.T) {
			cp := framework.RequireCluster(t)
			rng := newRand(t)
			ns := cp.NewNamespace(t)
			d := sixtyJobs(rng)
			model := d.write(t, true)
			rec := e2eutil.WatchJobs(t, cp.Client, ns)
			runID := newRunID("restart")
			p := jobernetes().Start(t, "run", "-f", model, "-n", ns, "--run-id", runID)
			// Restart once a third of the Jobs were created (in chains).
			at := 15 + rng.IntN(15)
			e2eutil.WaitFor(t, 2*time.Minute, fmt.Sprintf("%d Jobs", at), func() bool { return len(rec.Snapshot()) >= at })
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			begin := time.Now()
			if err := cp.Restart(ctx, component); err != nil {
				t.Fatal(err)
			}
			down := time.Since(begin)
			t.Logf("MEASURE %s restarted after %d Jobs, back in %s", component, at, down.Round(time.Millisecond))
			select {
			case <-p.Done():
			case <-time.After(4 * time.Minute):
				p.Kill()
				t.Fatal("the run did not finish within 4 minutes of the restart")
			}
			r := p.Wait()
			t.Logf("jobernetes -> exit %d in %s\nstdout (tail):\n%s\nstderr:\n%s", r.Code, r.Duration.Round(time.Millisecond), tail(r.Stdout, 30), tail(r.Stderr, 30))
			if r.Code != 0 {
				t.Fatalf("exit %d, want 0", r.Code)
			}
			time.Sleep(time.Second) // the last watch events (the test's watch re-listed too)
			checkOnce(t, ns, runID, d, rec, nil, nil)
			checkOrder(t, d, rec)
			if got := readRecord(t, ns, runID); got.Result != record.ResultSucceeded || len(got.Jobs) != d.kubernetesJobs() {
				t.Errorf("run record: %s with %d Jobs, want Succeeded with %d", got.Result, len(got.Jobs), d.kubernetesJobs())
			}
			t.Logf("MEASURE run across a %s restart: wall %s (%s down)", component, r.Duration.Round(time.Millisecond), down.Round(time.Millisecond))
		})
	}
}

// --kube-api-qps 2 --kube-api-burst 2 on a 50-Job run whose fan-out makes
// 29 Jobs ready at once: slow, but correct (every Job once, in order, the
// run succeeds). With a short Lease (5 s: renewed within 3.3 s) this also
// checks that the Lease's renewals do not queue behind the run's own
// requests in the client's rate limiter: they once did, and the run died
// with "lost the run's lease" (exit 3).
func TestThrottledClient(t *testing.T) {
	cp := framework.RequireCluster(t)
	rng := newRand(t)
	ns := cp.NewNamespace(t)
	d := newDAG()
	d.add(rng, "fan", "root")
	for i := range 29 {
		d.add(rng, "fan", fmt.Sprintf("f%02d", i), "root")
	}
	for c := range 3 {
		for i := range 4 {
			var deps []string
			if i > 0 {
				deps = []string{fmt.Sprintf("c%d_%d", c, i-1)}
			}
			d.add(rng, "chains", fmt.Sprintf("c%d_%d", c, i), deps...)
		}
	}
	for l := range 2 {
		for i := range 4 {
			var deps []string
			if l > 0 {
				deps = []string{fmt.Sprintf("d%d_%d", l-1, i), fmt.Sprintf("d%d_%d", l-1, (i+1)%4)}
			}
			d.add(rng, "diamond", fmt.Sprintf("d%d_%d", l, i), deps...)
		}
	}
	if d.kubernetesJobs() != 50 {
		t.Fatalf("%d Jobs, want 50", d.kubernetesJobs())
	}
	model := d.write(t, false)
	rec := e2eutil.WatchJobs(t, cp.Client, ns)
	runID := newRunID("throttled")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	r := jobernetes().Run(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID, "--kube-api-qps", "2", "--kube-api-burst", "2", "--lease-duration", "5s")
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0", r.Code)
	}
	time.Sleep(500 * time.Millisecond)
	checkOnce(t, ns, runID, d, rec, nil, nil)
	checkOrder(t, d, rec)
	if got := readRecord(t, ns, runID); got.Result != record.ResultSucceeded || len(got.Jobs) != 50 {
		t.Errorf("run record: %s with %d Jobs, want Succeeded with 50", got.Result, len(got.Jobs))
	}
	entries, err := e2eutil.ReadAudit(cp.AuditLogPath, userAgent)
	if err != nil {
		t.Fatal(err)
	}
	counts, requests := map[string]int{}, 0
	for _, e := range entries {
		if e.Namespace == ns {
			counts[e.Verb+" "+e.Resource]++
			requests++
		}
	}
	var keys []string
	for k, n := range counts {
		keys = append(keys, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(keys)
	t.Logf("MEASURE 50 Jobs at 2 QPS: wall %s, %d requests (%.1f/s): %s", r.Duration.Round(time.Millisecond),
		requests, float64(requests)/r.Duration.Seconds(), strings.Join(keys, " "))
}

// kube-apiserver frozen (SIGSTOP) for 15 s mid-run, longer than the Lease's
// renew deadline (2/3 of the default 15 s): the run should carry on once
// the API server answers again.
//
// The orchestrator loses the run's Lease, stops acting at once (as it
// must), queues for the Lease again and resumes the run when the API server
// is back. A restart shorter than the renew deadline
// (TestControlPlaneRestart) is ridden out without losing the Lease.
func TestAPIServerFrozen(t *testing.T) {
	cp := framework.RequireCluster(t)
	if os.Getenv(framework.EnvAttach) != "" {
		t.Skipf("freezing components needs a control plane started by the test, not an attached one (%s)", framework.EnvAttach)
	}
	rng := newRand(t)
	ns := cp.NewNamespace(t)
	d := sixtyJobs(rng)
	model := d.write(t, true)
	rec := e2eutil.WatchJobs(t, cp.Client, ns)
	runID := newRunID("frozen")
	p := jobernetes().Start(t, "run", "-f", model, "-n", ns, "--run-id", runID)
	e2eutil.WaitFor(t, 2*time.Minute, "20 Jobs", func() bool { return len(rec.Snapshot()) >= 20 })
	pid := 0
	for _, pr := range cp.Processes() {
		if pr.Name == framework.KubeAPIServer {
			pid = pr.PID
		}
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT) //nolint:errcheck // never leave it frozen
	time.Sleep(15 * time.Second)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(3 * time.Minute):
		p.Kill()
		t.Fatal("the run did not finish within 3 minutes of the outage")
	}
	r := p.Wait()
	t.Logf("jobernetes -> exit %d in %s\nstdout (tail):\n%s\nstderr:\n%s", r.Code, r.Duration.Round(time.Millisecond), tail(r.Stdout, 20), tail(r.Stderr, 20))
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0", r.Code)
	}
	time.Sleep(time.Second)
	checkOnce(t, ns, runID, d, rec, nil, nil)
}
