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
