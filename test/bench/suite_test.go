package bench

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite baselines/kubectl-wait.example.sh")

// The committed copy of the kubectl baseline is what the generator writes
// for a small diamond lattice (3 layers of 3); the benchmark generates the
// same script for each shape it runs.
func TestKubectlScriptExample(t *testing.T) {
	script, files := kubectlScript(layered(3, 3), 2*time.Second)
	if len(files) != 3 {
		t.Fatalf("%d level files, want 3", len(files))
	}
	path := filepath.Join("baselines", "kubectl-wait.example.sh")
	if *update {
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != script {
		t.Errorf("%s is stale: go test ./test/bench -run TestKubectlScriptExample -update\n--- generated:\n%s", path, script)
	}
}

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		s             shape
		nodes, levels int
	}{
		{chain(50), 50, 50},
		{fanOut(1000), 1000, 2},
		{layered(10, 100), 1000, 10},
		{layered(20, 500), 10000, 20},
		{wave(100), 102, 3},
	} {
		if len(tc.s.nodes) != tc.nodes || len(tc.s.levels()) != tc.levels {
			t.Errorf("%s: %d nodes in %d levels, want %d in %d", tc.s.name, len(tc.s.nodes), len(tc.s.levels()), tc.nodes, tc.levels)
		}
		if _, err := tc.s.graph(); err != nil {
			t.Errorf("%s: %v", tc.s.name, err)
		}
	}
}

// A cell is the median of its successful runs; failed runs are counted,
// not averaged in, and writes are split by what they touch.
func TestAggregate(t *testing.T) {
	run := func(rep int, makespan time.Duration, creates int, err string) runResult {
		return runResult{
			Shape: "chain-3", Pods: "0s", Orch: orchJobernetes, Rep: rep, Jobs: 3, Err: err,
			Makespan: makespan, Floor: 2 * time.Second, Ratio: float64(makespan) / float64(2*time.Second),
			Requests: map[string]int{"create jobs": creates, "delete jobs": 3, "create events": 6, "update configmaps": 2, "update leases": 1, "watch jobs": 1},
		}
	}
	cells := aggregate([]runResult{
		run(1, 3*time.Second, 3, ""),
		run(2, 9*time.Second, 3, ""),
		run(3, 4*time.Second, 5, ""),
		run(4, time.Hour, 99, "timed out"),
	})
	if len(cells) != 1 {
		t.Fatalf("%d cells, want 1", len(cells))
	}
	c := cells[0]
	if c.runs != 3 || c.failed != 1 {
		t.Errorf("runs %d failed %d, want 3 and 1", c.runs, c.failed)
	}
	if c.makespan != 4*time.Second || c.ratio != 2 {
		t.Errorf("makespan %s ratio %v, want the medians 4s and 2", c.makespan, c.ratio)
	}
	if c.jobWrites != 6 || c.eventWrites != 6 || c.stateWrites != 3 || c.requests["create jobs"] != 3 {
		t.Errorf("job writes %d, event writes %d, state writes %d, create jobs %d; want 6, 6, 3, 3",
			c.jobWrites, c.eventWrites, c.stateWrites, c.requests["create jobs"])
	}
	if report := renderReport(condition{}, []runResult{run(1, 3*time.Second, 3, "")}); !strings.Contains(report, "| chain-3 | 0s | jobernetes | 1 |") {
		t.Errorf("report has no row for the run:\n%s", report)
	}
}

// The shapes are spelled as they are asked for, and a layered shape
// keeps its LxW name so that layered-20x10 and layered-5x40 (both 200 Jobs)
// stay apart in the report.
func TestParseShape(t *testing.T) {
	for _, tc := range []struct {
		in, name      string
		nodes, levels int
	}{
		{"layered-20x10", "layered-20x10", 200, 20},
		{"wave-100", "wave-100", 102, 3},
		{"chain-20", "chain-20", 20, 20},
		{"fanout-200", "fanout-200", 200, 2},
	} {
		sh, err := parseShape(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if sh.name != tc.name || len(sh.nodes) != tc.nodes || len(sh.levels()) != tc.levels {
			t.Errorf("%s: %s, %d nodes in %d levels; want %s, %d in %d", tc.in, sh.name, len(sh.nodes), len(sh.levels()), tc.name, tc.nodes, tc.levels)
		}
	}
	sink := wave(3).nodes[4]
	if sink.name != "sink" || strings.Join(sink.deps, ",") != "w00001,w00002,w00003" {
		t.Errorf("wave-3's sink: %+v", sink)
	}
	for _, bad := range []string{"wave-1", "layered-20", "ring-5"} {
		if _, err := parseShape(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestParseVariants(t *testing.T) {
	vs, names, err := parseVariants("noev: --job-events=false ; gmp1:GOMAXPROCS=1 --kube-api-qps 50;")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "jobernetes+noev,jobernetes+gmp1" {
		t.Errorf("names %v", names)
	}
	if g := vs["jobernetes+gmp1"]; strings.Join(g.env, " ") != "GOMAXPROCS=1" || strings.Join(g.args, " ") != "--kube-api-qps 50" {
		t.Errorf("gmp1: %+v", g)
	}
	if !isJobernetes("jobernetes+noev") || isJobernetes(orchPoll1) || userAgentPrefix("jobernetes+noev") != "jobernetes/" {
		t.Error("a variant is not run and counted as jobernetes")
	}
	for _, bad := range []string{"noname", ":--x", "a:--x;a:--y"} {
		if _, _, err := parseVariants(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// × lowest floor divides each cell's makespan by the lowest floor of any
// run on the shape, whichever orchestrator reached it; the wave's last
// create is the runs' largest reaction.
func TestLowestFloor(t *testing.T) {
	run := func(orch string, makespan, floor, last time.Duration) runResult {
		return runResult{Shape: "wave-3", Pods: "0s", Orch: orch, Jobs: 5, Makespan: makespan, Floor: floor, LastCreate: last,
			Ratio: float64(makespan) / float64(floor)}
	}
	cells := aggregate([]runResult{
		run(orchJobernetes, 22*time.Second, 21*time.Second, 300*time.Millisecond),
		run(orchJobernetes, 24*time.Second, 22*time.Second, 200*time.Millisecond),
		run(orchPoll1, 40*time.Second, 20*time.Second, time.Second),
		{Shape: "wave-3", Pods: "0s", Orch: orchPoll1, Floor: time.Second, Err: "failed"}, // not counted
		run(orchPoll1, 30*time.Second, 10*time.Second, 0).withPods("2s"),                  // another cell
	})
	if len(cells) != 3 {
		t.Fatalf("%d cells", len(cells))
	}
	j := cells[0]
	if j.lowestFloor != 20*time.Second || j.xLowest != 23.0/20 || j.lastCreate != 250*time.Millisecond || j.lastWorst != 300*time.Millisecond {
		t.Errorf("jobernetes: lowest floor %s, × %v, last %s worst %s; want 20s, 1.15, 250ms, 300ms", j.lowestFloor, j.xLowest, j.lastCreate, j.lastWorst)
	}
	if p := cells[1]; p.xLowest != 2 {
		t.Errorf("poll-1s: × %v, want 2", p.xLowest)
	}
	if p := cells[2]; p.lowestFloor != 10*time.Second {
		t.Errorf("2s pods: lowest floor %s, want their own 10s", p.lowestFloor)
	}
	report := renderReport(condition{}, []runResult{run(orchJobernetes, 22*time.Second, 20*time.Second, 300*time.Millisecond)})
	if !strings.Contains(report, "| 1.100 | 1.100 |") || !strings.Contains(report, "| 300 ms |") {
		t.Errorf("report lacks × lowest floor or last create:\n%s", report)
	}
}

func (r runResult) withPods(p string) runResult { r.Pods = p; return r }
