package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Every reference and CEL problem of a data-flow model is found offline,
// each at its path:line:col.
func TestDataflowProblems(t *testing.T) {
	path := filepath.Join("testdata", "dataflow-invalid", "jobermodel.yaml")
	_, err := Load(path, LoadOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load: %v, want a ValidationError", err)
	}
	got := ve.Error()
	for _, want := range []string{
		path + `:12:11: phase "plan": job "early": jobernetes[0].jobs[1].env[X]: results.later.url: job "later" does not run before "early"`,
		path + `:20:11: phase "ship": job "deploy": jobernetes[1].jobs[0].matrix[tier]: must be a list of values`,
		path + `:17:9: phase "ship": job "deploy": jobernetes[1].jobs[0].when: invalid CEL expression: 1:35: Syntax error`,
		path + `:22:11: phase "ship": job "deploy": jobernetes[1].jobs[0].env[A]: results.nope.x: unknown job "nope"`,
		path + `:23:11: phase "ship": job "deploy": jobernetes[1].jobs[0].env[B]: results.detect.missing: job "detect" does not declare the result "missing"`,
		path + `:24:11: phase "ship": job "deploy": jobernetes[1].jobs[0].env[C]: $(matrix.zone): the job has no matrix key "zone"`,
		path + `:31:9: phase "ship": job "big": jobernetes[1].jobs[2].matrix: the matrix has 4 combinations, more than max_matrix (3)`,
		path + `:36:9: phase "ship": job "typed": jobernetes[1].jobs[3].when: must be a boolean CEL expression; 1 + 2 is of type int`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing problem:\n  %s\nin:\n%s", want, got)
		}
	}
	if n := len(ve.Problems); n != 8 {
		t.Errorf("%d problems, want 8:\n%s", n, got)
	}
}

func TestCombinationsOrder(t *testing.T) {
	axes := []MatrixAxis{{Key: "region"}, {Key: "tier"}}
	got := Combinations(axes, [][]any{{"eu", "us"}, {"web", "api"}})
	want := []string{"eu/web", "eu/api", "us/web", "us/api"}
	if len(got) != len(want) {
		t.Fatalf("%d combinations, want %d", len(got), len(want))
	}
	for i, c := range got {
		if s := c.Values[0].(string) + "/" + c.Values[1].(string); s != want[i] || c.Index != i {
			t.Errorf("combination %d = %s (index %d), want %s", i, s, c.Index, want[i])
		}
	}
	if n := len(Combinations(axes, [][]any{{"eu"}, {}})); n != 0 {
		t.Errorf("an empty list gives %d combinations, want 0", n)
	}
}

func TestSubstitute(t *testing.T) {
	res := func(r ResultRef) (any, bool) {
		switch r.String() {
		case "results.detect.changed":
			return "true", true
		case "results.deploy.url":
			return []any{"a", "b"}, true
		}
		return nil, false
	}
	c := &Combination{Keys: []string{"region"}, Values: []any{"eu"}}
	for in, want := range map[string]string{
		"$(results.detect.changed)":                  "true",
		"x=$(results.deploy.url) r=$(matrix.region)": `x=["a","b"] r=eu`,
		"plain": "plain",
	} {
		if got, ok := Substitute(in, res, c); !ok || got != want {
			t.Errorf("Substitute(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := Substitute("$(results.nope.x)", res, nil); ok {
		t.Errorf("an unknown result substituted")
	}
}

// When reads results and params; a false expression is false, a result of
// the wrong type is an error at run time.
func TestWhenEval(t *testing.T) {
	w, msg := compileWhen(`results.detect.changed == "true" && params.ENV == "prod"`)
	if w == nil {
		t.Fatal(msg)
	}
	if len(w.Refs) != 1 || w.Refs[0] != (ResultRef{Job: "detect", Key: "changed"}) {
		t.Errorf("refs %v", w.Refs)
	}
	ok, err := w.Eval(map[string]string{"ENV": "prod"}, map[string]map[string]any{"detect": {"changed": "true"}})
	if err != nil || !ok {
		t.Errorf("Eval = %v, %v; want true", ok, err)
	}
	ok, err = w.Eval(map[string]string{"ENV": "dev"}, map[string]map[string]any{"detect": {"changed": "true"}})
	if err != nil || ok {
		t.Errorf("Eval = %v, %v; want false", ok, err)
	}
	w2, _ := compileWhen(`results.detect.changed`)
	if _, err := w2.Eval(nil, map[string]map[string]any{"detect": {"changed": "yes"}}); err == nil {
		t.Errorf("a string used as a condition evaluated without error")
	}
}
