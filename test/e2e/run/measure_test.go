package run

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// reactions returns, for every Job with dependencies, the time from the
// watch event of its last predecessor's completion to the watch event of its
// own creation: the orchestrator's reaction time as a client sees it.
func reactions(t *testing.T, nodes map[string][]jobEvent, deps map[string][]string) []time.Duration {
	t.Helper()
	var out []time.Duration
	for succ, preds := range deps {
		if len(preds) == 0 || len(nodes[succ]) != 1 {
			continue
		}
		var last time.Time
		for _, p := range preds {
			if len(nodes[p]) != 1 {
				t.Errorf("predecessor %s has %d Jobs", p, len(nodes[p]))
				continue
			}
			if c := nodes[p][0].completed; c.After(last) {
				last = c
			}
		}
		out = append(out, nodes[succ][0].added.Sub(last))
	}
	return out
}

// Reaction time over a 200-Job DAG (20 chains of 10, 0 s pods).
// Goal (issue 4): p50 <= 20 ms, p99 <= 100 ms; the figures are printed.
func TestMeasureReactionTime(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	var b strings.Builder
	deps := map[string][]string{}
	b.WriteString("  - phase_name: chains\n    jobs:\n")
	for c := 0; c < 20; c++ {
		for i := 0; i < 10; i++ {
			name := fmt.Sprintf("c%02d_%d", c, i)
			if i == 0 {
				fmt.Fprintf(&b, "      - {name: %s, job_path: ok.yaml}\n", name)
				deps[name] = nil
				continue
			}
			prev := fmt.Sprintf("c%02d_%d", c, i-1)
			fmt.Fprintf(&b, "      - {name: %s, job_path: ok.yaml, depends_on: [%s]}\n", name, prev)
			deps[name] = []string{prev}
		}
	}
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(false, 0, b.String()),
		"ok.yaml":         e2eutil.JobYAML("0s", false),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	wall := time.Since(start)
	time.Sleep(200 * time.Millisecond)
	rs := reactions(t, byNode(rec.snapshot()), deps)
	if len(rs) != 180 {
		t.Fatalf("measured %d reactions, want 180", len(rs))
	}
	p50, p99 := e2eutil.Percentile(rs, 0.50), e2eutil.Percentile(rs, 0.99)
	t.Logf("MEASURE reaction time over 200 Jobs (180 edges): p50 %s, p99 %s, max %s; wall %s; peak RSS %d MiB",
		p50, p99, e2eutil.Percentile(rs, 1), wall.Round(time.Millisecond), r.maxRSSKiB/1024)
	// A gross regression (a polling loop, a sleep) shows as seconds; the
	// goals themselves are reported, not asserted, on a noisy 2-core box.
	if p50 > time.Second {
		t.Errorf("reaction p50 %s: the orchestrator is not event-driven", p50)
	}
}

// A 1,000-Job DAG of fan-out, chain and diamond layers with 0 s pods:
// completes; peak RSS and API requests by verb are printed; Jobs are listed
// and watched once per run, not per Job.
func TestMeasureThousandJobs(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	var b strings.Builder
	// Phase fan: 1 root + 399 dependents.
	b.WriteString("  - phase_name: fan\n    jobs:\n      - {name: root, job_path: ok.yaml}\n")
	for i := 0; i < 399; i++ {
		fmt.Fprintf(&b, "      - {name: fan%03d, job_path: ok.yaml, depends_on: [root]}\n", i)
	}
	// Phase chain: 4 chains of 25.
	b.WriteString("  - phase_name: chain\n    jobs:\n")
	for c := 0; c < 4; c++ {
		for i := 0; i < 25; i++ {
			if i == 0 {
				fmt.Fprintf(&b, "      - {name: ch%d_%02d, job_path: ok.yaml}\n", c, i)
			} else {
				fmt.Fprintf(&b, "      - {name: ch%d_%02d, job_path: ok.yaml, depends_on: [ch%d_%02d]}\n", c, i, c, i-1)
			}
		}
	}
	// Phase diamond: 10 layers of 50, each node depending on two of the
	// previous layer.
	b.WriteString("  - phase_name: diamond\n    jobs:\n")
	for l := 0; l < 10; l++ {
		for i := 0; i < 50; i++ {
			if l == 0 {
				fmt.Fprintf(&b, "      - {name: d%d_%02d, job_path: ok.yaml}\n", l, i)
			} else {
				fmt.Fprintf(&b, "      - {name: d%d_%02d, job_path: ok.yaml, depends_on: [d%d_%02d, d%d_%02d]}\n", l, i, l-1, i, l-1, (i+1)%50)
			}
		}
	}
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(true, 0, b.String()),
		"ok.yaml":         e2eutil.JobYAML("0s", false),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	wall := time.Since(start)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	time.Sleep(time.Second)
	if n := len(rec.snapshot()); n != 1000 {
		t.Errorf("%d Jobs created, want 1000", n)
	}
	counts, err := cp.CountRequestsIn(ns, "jobernetes/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	t.Logf("MEASURE 1000-Job DAG: wall %s, peak RSS %d MiB, API requests: %s",
		wall.Round(time.Millisecond), r.maxRSSKiB/1024, strings.Join(lines, " "))
	if counts["list jobs"] > 1 || counts["watch jobs"] > 2 {
		t.Errorf("Jobs listed %d times and watched %d times: want once per run", counts["list jobs"], counts["watch jobs"])
	}
	if counts["create jobs"] != 1000 {
		t.Errorf("create jobs = %d, want 1000", counts["create jobs"])
	}
}
