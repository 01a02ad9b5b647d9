package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// The failure-handling keys are checked statically, all problems at once.
func TestFailureHandlingValidation(t *testing.T) {
	_, err := Load("testdata/failure/jobermodel.yaml", LoadOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load: %v, want a ValidationError", err)
	}
	got := ve.Error()
	for _, want := range []string{
		`jobernetes_config.failure_policy: Unsupported value "explode": must be stop (the default), abort or continue`,
		`jobernetes_config.run_timeout: must be a positive duration such as 90s or 1h30m, not "soon"`,
		`jobernetes_config.finally_phase: phase "first" must be the last phase`,
		`job "a": jobernetes[0].jobs[0].trigger_rule: one_failed needs upstream jobs`,
		`job "b": jobernetes[0].jobs[1].trigger_rule: Unsupported value "sometimes"`,
		`job "c": testdata/failure/notajob.yaml`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q; got:\n%s", want, got)
		}
	}
}

func TestFailureHandlingOptions(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "job.yaml", validJob)
	write(t, dir, "undo.yaml", validJob)
	write(t, dir, "jobermodel.yaml", `
jobernetes_config:
  failure_policy: continue
  finally_phase: last
  run_timeout: 90
jobernetes:
  - phase_name: first
    jobs:
      - {name: a, job_path: job.yaml, revert_path: undo.yaml}
  - phase_name: last
    jobs:
      - {name: b, job_path: job.yaml, depends_on: []}
      - {name: c, job_path: job.yaml, trigger_rule: one_failed, depends_on: [b]}
`)
	m, err := Load(dir+"/jobermodel.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := m.Options
	if o.FailurePolicy != PolicyContinue || o.FinallyPhase != "last" || o.RunTimeout != 90*time.Second {
		t.Errorf("options %+v", o)
	}
	jobs := m.Jobs()
	if jobs[0].Revert == nil || jobs[0].Revert.RelPath != "undo.yaml" || jobs[0].TriggerRule != RuleAllSucceeded {
		t.Errorf("job a: revert %+v rule %q", jobs[0].Revert, jobs[0].TriggerRule)
	}
	if jobs[2].TriggerRule != RuleOneFailed {
		t.Errorf("job c rule %q", jobs[2].TriggerRule)
	}
	// The graph carries what its Decide reads.
	g := m.Graph
	if a, c := g.Node(0), g.Node(2); !a.HasRevert || a.Rule != graph.RuleAllSucceeded || c.HasRevert || c.Rule != graph.RuleOneFailed {
		t.Errorf("graph nodes a %+v, c %+v", a, c)
	}
	if ph := g.Phases(); ph[0].Finally || !ph[1].Finally {
		t.Errorf("graph phases %+v: want only the last one finally", ph)
	}
	if o.GraphPolicy() != graph.PolicyContinue || DefaultOptions().GraphPolicy() != graph.PolicyStop {
		t.Errorf("GraphPolicy of %q = %v", o.FailurePolicy, o.GraphPolicy())
	}
}

const validJob = `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox}
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
