package chaos

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// dataflowModel: a producer's list decides a 3 x 2 fan-out, each Job of
// which reports its own value; an aggregator gets them all as a JSON list
// and reports it again; `when` on it runs one job and skips another.
const dataflowModel = `jobernetes_config:
  cleanup: true
jobernetes:
  - phase_name: produce
    jobs:
      - {name: p0, job_path: p0.yaml, results: [list]}
  - phase_name: fan
    jobs:
      - name: fan
        job_path: fan.yaml
        results: [v]
        matrix: {x: "$(results.p0.list)", z: ["1", "2"]}
  - phase_name: gather
    jobs:
      - {name: agg, job_path: agg.yaml, results: [all], env: {ALL: "$(results.fan.v)"}}
  - phase_name: decide
    jobs:
      - {name: gate, job_path: plain.yaml, when: "size(results.agg.all) == 6"}
      - {name: never, job_path: plain.yaml, when: "size(results.agg.all) == 0"}
`

// TestCrashLoopDataflow kills the orchestrator at random moments of a run
// whose fan-out, env and conditions come from results, with cleanup on
// (producers' Jobs are deleted once recorded) and a record of 1 KiB
// segments: every Job is created once, the fan-out is the one the
// producer decided, and the values that reach the last jobs are right.
func TestCrashLoopDataflow(t *testing.T) {
	cp := framework.RequireCluster(t)
	rng := newRand(t)
	ns := cp.NewNamespace(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"jobermodel.yaml": dataflowModel,
		"p0.yaml":         e2eutil.ResultJobYAML("1s", `{"list": ["a", "b", "c"]}`),
		"fan.yaml":        e2eutil.ResultJobYAML("1s", `{"v": "$(JOBERNETES_MATRIX_X)-$(JOBERNETES_MATRIX_Z)"}`),
		"agg.yaml":        e2eutil.ResultJobYAML("1s", `{"all": $(ALL)}`),
		"plain.yaml":      e2eutil.ResultJobYAML("1s", ""),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("JOBERNETES_TEST_RECORD_SEGMENT_BYTES", "1024")
	model := filepath.Join(dir, "jobermodel.yaml")
	rec := e2eutil.WatchJobs(t, cp.Client, ns)
	runID := newRunID("flow")
	args := []string{"run", "-f", model, "-n", ns, "--run-id", runID, "--lease-duration", "2s"}
	kills := 8
	if full() {
		kills = 20
	}
	for i := 0; i < kills; i++ {
		p := jobernetes().Start(t, args...)
		// The Lease of the process before expires 2 s after its kill:
		// kills land while it waits, while it reads the record, mid-burst
		// and between completions.
		d := time.Duration(rng.Float64() * float64(4*time.Second))
		select {
		case <-p.Done():
			t.Logf("orchestrator #%d ended by itself before its kill at %s", i+1, d.Round(time.Millisecond))
			i = kills
		case <-time.After(d):
			p.Kill()
			p.Wait()
			t.Logf("kill %d/%d at %s after start: %d Jobs created so far", i+1, kills, d.Round(time.Millisecond), len(rec.Snapshot()))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := jobernetes().Run(ctx, t, args...)
	if r.Code != 0 {
		t.Fatalf("final orchestrator: exit %d\n%s\n%s", r.Code, tail(r.Stdout, 30), r.Stderr)
	}
	time.Sleep(500 * time.Millisecond) // the last watch events
	byName, byNode := map[string]int{}, map[string]int{}
	for _, e := range rec.Snapshot() {
		byName[e.Name]++
		byNode[e.Node]++
	}
	for name, n := range byName {
		if n != 1 {
			t.Errorf("Job %s created %d times, want once", name, n)
		}
	}
	for node, want := range map[string]int{"p0": 1, "fan": 6, "agg": 1, "gate": 1, "never": 0} {
		if byNode[node] != want {
			t.Errorf("%s: %d Jobs, want %d", node, byNode[node], want)
		}
	}
	got := readRecord(t, ns, runID)
	if got.Result != record.ResultSucceeded {
		t.Errorf("run record: %s, want Succeeded", got.Result)
	}
	var agg struct {
		All []string `json:"all"`
	}
	for _, jr := range got.Jobs {
		if jr.Job == "agg" && len(jr.Results) > 0 {
			if err := json.Unmarshal(jr.Results, &agg); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := "a-1,a-2,b-1,b-2,c-1,c-2"; strings.Join(agg.All, ",") != want {
		t.Errorf("agg's results: %v, want the fan-out's values in matrix order %s", agg.All, want)
	}
}
