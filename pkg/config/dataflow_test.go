package config

import (
	"errors"
	"os"
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
		path + `:39:9: phase "ship": job "yaml11": jobernetes[1].jobs[4].matrix[true]: matrix key true: YAML reads unquoted y`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing problem:\n  %s\nin:\n%s", want, got)
		}
	}
	if n := len(ve.Problems); n != 9 {
		t.Errorf("%d problems, want 9:\n%s", n, got)
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

// Sub-models: flattened into the outer phase with their phases' order and
// the outer job's place; nested models too; a cycle of files is refused.
func TestSubModels(t *testing.T) {
	job := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n"
	write := func(dir string, files map[string]string) {
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := t.TempDir()
	write(dir, map[string]string{
		"job.yaml": job, "a/job.yaml": job, "a/b/job.yaml": job,
		"jobermodel.yaml": "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: first, job_path: job.yaml}\n" +
			"      - {name: infra, type: model, job_path: a/jobermodel.yaml, depends_on: [first]}\n" +
			"      - {name: after, job_path: job.yaml, depends_on: [infra]}\n",
		"a/jobermodel.yaml": "jobernetes:\n  - phase_name: one\n    jobs:\n      - {name: x, job_path: job.yaml}\n" +
			"  - phase_name: two\n    jobs:\n      - {name: w, job_path: job.yaml}\n      - {name: inner, type: model, job_path: b/jobermodel.yaml}\n",
		"a/b/jobermodel.yaml": "jobernetes:\n  - phase_name: only\n    jobs:\n      - {name: z, job_path: job.yaml}\n",
	})
	m, err := Load(filepath.Join(dir, "jobermodel.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string][]string{}
	for _, j := range m.Jobs() {
		for _, d := range m.Graph.Node(j.Index).Deps {
			deps[j.Name] = append(deps[j.Name], m.Graph.Node(d).Name)
		}
	}
	want := map[string]string{
		"infra.x":       "first",
		"infra.w":       "infra.x",
		"infra.inner.z": "infra.x",
		"after":         "infra.x,infra.w,infra.inner.z",
		"first":         "",
	}
	for name, w := range want {
		if got := strings.Join(deps[name], ","); got != w {
			t.Errorf("%s depends on %q, want %q", name, got, w)
		}
	}
	if len(m.Jobs()) != 5 {
		t.Errorf("%d jobs, want 5", len(m.Jobs()))
	}

	cyc := t.TempDir()
	write(cyc, map[string]string{
		"job.yaml":        job,
		"jobermodel.yaml": "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: sub, type: model, job_path: other.yaml}\n",
		"other.yaml":      "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: back, type: model, job_path: jobermodel.yaml}\n",
	})
	_, err = Load(filepath.Join(cyc, "jobermodel.yaml"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "cycle of model files: jobermodel.yaml -> other.yaml -> jobermodel.yaml") {
		t.Errorf("a cycle of model files: %v", err)
	}
}
