package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every problem with a place in the model file is printed as
// path:line:col: message, the format of editors and CI problem matchers.
func TestProblemPositions(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string // "line:col field-or-message-start", in problem order
	}{
		{"unknown-keys", []string{"4:1 extra", "2:3 jobernetes_config.cleanpu", "3:3 jobernetes_config.colour",
			"7:5 jobernetes[0].job", "6:5 jobernetes[0].jobs", "12:9 jobernetes[1].jobs[0].dependson", "10:9 jobernetes[1].jobs[0].true"}},
		// go-yaml names the line; the column is the key's.
		{"duplicate-keys", []string{`3:3 duplicate key "cleanup"`, `8:9 duplicate key "name"`}},
		// A syntax error: go-yaml gives only the line.
		{"not-yaml", []string{"2:1 not valid YAML"}},
		{"bad-entries", []string{"2:5 jobernetes[0]", "5:9 jobernetes[1].jobs[0]", "8:9 jobernetes[1].jobs[1].depends_on",
			"10:5 jobernetes[2].jobs", "12:5 jobernetes[3].jobs"}},
		// A missing key is placed at its mapping; list items at the item.
		{"graph", []string{"16:9 jobernetes[1].jobs[0].depends_on", "25:22 jobernetes[1].jobs[3].depends_on[0]",
			"25:28 jobernetes[1].jobs[3].depends_on[1]", "25:42 jobernetes[1].jobs[3].depends_on[3]",
			"28:22 jobernetes[1].jobs[4].depends_on[0]", "28:28 jobernetes[1].jobs[4].depends_on[1]",
			"29:5 jobernetes[2].phase_name", "37:9 jobernetes[3].jobs[1].name"}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			model := filepath.Join("testdata", "invalid", tc.fixture, "jobermodel.yaml")
			_, err := Load(model, LoadOptions{})
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v", err)
			}
			var got []string
			for _, p := range ve.Problems {
				s := p.String()
				prefix := model + ":"
				if !strings.HasPrefix(s, prefix) {
					t.Errorf("no path:line:col: %s", s)
					continue
				}
				loc, rest, _ := strings.Cut(strings.TrimPrefix(s, prefix), ": ")
				line, col, _ := strings.Cut(loc, ":")
				if want := line + ":" + col; want != itoa(p.Line)+":"+itoa(p.Column) {
					t.Errorf("%s: printed %s, fields %d:%d", s, want, p.Line, p.Column)
				}
				// Drop the phase and job names to compare the field.
				for strings.HasPrefix(rest, "phase ") || strings.HasPrefix(rest, "job ") {
					_, rest, _ = strings.Cut(rest, ": ")
				}
				got = append(got, loc[:strings.LastIndexByte(loc, ':')]+":"+col+" "+rest)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d: %s\nwant it to start with %s", i, got[i], w)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Lines count from the file's start, also after comments, a modeline and
// leading document markers; a manifest's problems are placed at the
// job_path naming it and at their field in the manifest.
func TestProblemPositionsAfterPreamble(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "jobermodel.yaml")
	src := `# yaml-language-server: $schema=x.json
# a comment
---
jobernetes:
  - phase_name: p
    jobs:
      - name: a
        job_path: nope.yaml
      - name: b
        job_path: job.yaml
        trigger_rule: sometimes
  - phase_name: q
    jobs:
      - name: c
        job_path: job.yaml
        depends_on: [a]
`
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: Always\n      containers: [{name: c, image: i}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(model, LoadOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v", err)
	}
	want := []string{
		model + `:8:9: phase "p": job "a": jobernetes[0].jobs[0].job_path: `,
		model + `:11:9: phase "p": job "b": jobernetes[0].jobs[1].trigger_rule: Unsupported value "sometimes"`,
		model + `:10:9: phase "p": job "b": ` + filepath.Join(dir, "job.yaml") + `:6:7: spec.template.spec.restartPolicy: `,
		model + `:15:9: phase "q": job "c": ` + filepath.Join(dir, "job.yaml") + `:6:7: spec.template.spec.restartPolicy: `,
		model + `:16:22: phase "q": job "c": jobernetes[1].jobs[0].depends_on[0]: job "a" is in phase "p"`,
	}
	if len(ve.Problems) != len(want) {
		t.Fatalf("problems:\n%v", ve)
	}
	for i, w := range want {
		if s := ve.Problems[i].String(); !strings.HasPrefix(s, w) {
			t.Errorf("problem %d:\n%s\nwant it to start with\n%s", i, s, w)
		}
	}
}

// A manifest's problems name their place in the manifest too: the field,
// a map key written as [key], or the field of an "unknown field" message.
func TestManifestProblemPositions(t *testing.T) {
	model := filepath.Join("testdata", "invalid", "manifests", "jobermodel.yaml")
	_, err := Load(model, LoadOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v", err)
	}
	want := map[string]string{ // manifest file name + field or message -> line:col
		"unknown-field.yaml unknown field \"spec.paralelism\"":         "4:3",
		"unknown-field.json unknown field \"spec.completion\"":         "1:52",
		"restart-always.yaml spec.template.spec.restartPolicy":         "6:7",
		"reserved.yaml metadata.labels[jobernetes.io/run]":             "8:5",
		"container-basics.yaml spec.template.spec.containers[2].image": "14:11",
		// go-yaml's line, counted in the manifest; a duplicate at its key.
		"malformed.yaml not valid YAML or JSON: did not find expected node content":                          "5:1",
		"duplicate-field.yaml duplicate key \"labels\"; each key may appear only once":                       "5:3",
		"pod.yaml apiVersion \"v1\", kind \"Pod\" is not a Job: expected apiVersion: batch/v1 and kind: Job": "",
	}
	seen := map[string]bool{}
	for _, p := range ve.Problems {
		key := filepath.Base(p.Manifest) + " " + p.Field
		if p.Field == "" {
			key = filepath.Base(p.Manifest) + " " + p.Message
		}
		w, ok := want[key]
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		got := ""
		if p.ManifestLine > 0 {
			got = itoa(p.ManifestLine) + ":" + itoa(p.ManifestColumn)
			if s := p.String(); !strings.Contains(s, p.Manifest+":"+got+": ") {
				t.Errorf("%s: not printed as manifest:line:col", s)
			}
		}
		if got != w {
			t.Errorf("%s: at %q, want %q", key, got, w)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("found %d of %d problems: %v", len(seen), len(want), seen)
	}
}
