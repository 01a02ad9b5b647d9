package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad writes each input as a model file next to a few manifests (good
// and bad, a file and a folder) and loads it. Load must never panic, must
// report problems only as a *ValidationError, and must keep its promises
// about the models it accepts. The seeds (every model under testdata and
// examples, plus the ones below) run with plain `go test`.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`jobernetes:
  - phase_name: p
    jobs:
      - name: a
        job_path: job.yaml
      - name: b
        job_path: dir
        type: directory
        depends_on: [a]
`))
	f.Add([]byte(`jobernetes_config: {cleanup: True, incluster: no, parallelization: 2}
jobernetes:
  - {phase_name: p, jobs: [{name: a, job_path: bad.yaml}, {name: b, job_path: job.yaml, depends_on: [b, c]}]}
  - {phase_name: q, jobs: [{name: c, job_path: job.yaml, depends_on: [a]}]}
`))
	f.Add([]byte("jobernetes:\n  - phase_name: p\n    jobs:\n      - name: a\n        job_path: job.yaml\n        depends_on: [b]\n      - name: b\n        job_path: job.yaml\n        depends_on: [a]\n"))
	f.Add([]byte("{\"jobernetes\": [{\"phase_name\": \"p\", \"jobs\": [{\"name\": \"a\", \"job_path\": \"job.yaml\"}]}]}"))
	f.Add([]byte("jobernetes: &x [*x]\n"))
	f.Add([]byte("? [a]\n: b\n"))
	f.Add([]byte("---\n---\n"))
	// Hostile shapes (see hostile_test.go): aliases, nesting, binary.
	f.Add([]byte(laughs(4, 4) + oneJobModel))
	f.Add([]byte("a: &a [x]\nb: &b [*a, *a]\n" + oneJobModel))
	f.Add([]byte("x: " + strings.Repeat("[", 50) + strings.Repeat("]", 50) + "\n" + oneJobModel))
	f.Add([]byte("jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: &p job.yaml}\n      - {name: b, job_path: *p, depends_on: [a]}\n"))
	f.Add([]byte("\x7fELF\x02\x01\x01\x00\x00\xff\xfe"))
	for _, pattern := range []string{"testdata/*/*/jobermodel.yaml", "../../examples/*/jobermodel.yaml"} {
		seeds, _ := filepath.Glob(pattern)
		for _, s := range seeds {
			if data, err := os.ReadFile(s); err == nil {
				f.Add(data)
			}
		}
	}
	good, err := os.ReadFile(filepath.Join("testdata", "valid", "yaml11", "job.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	bad, err := os.ReadFile(filepath.Join("testdata", "invalid", "manifests", "restart-always.yaml"))
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		files := map[string][]byte{
			"job.yaml":        good,
			"bad.yaml":        bad,
			"dir/a.yaml":      good,
			"dir/sub/b.yml":   good,
			"jobermodel.yaml": data,
		}
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		m, err := Load(filepath.Join(dir, "jobermodel.yaml"), LoadOptions{confine: true})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T without problems: %v", err, err)
			}
			if m != nil {
				t.Fatal("model and error together")
			}
			for _, p := range ve.Problems {
				if p.Message == "" {
					t.Fatalf("problem without a message: %+v", p)
				}
			}
			return
		}
		jobs := m.Jobs()
		if m.Graph == nil || m.Graph.Len() != len(jobs) || len(m.Phases) != len(m.Graph.Phases()) {
			t.Fatalf("graph and jobs disagree")
		}
		for i, j := range jobs {
			if j.Index != i || m.Graph.Node(i).Name != j.Name || m.Phases[j.PhaseIndex].Name != j.Phase {
				t.Fatalf("job %d (%s) out of place", i, j.Name)
			}
			if SanitizeDNS(j.Name) == "" || len(j.Manifests) == 0 {
				t.Fatalf("job %q accepted without a DNS-safe name or a manifest", j.Name)
			}
			for _, mf := range j.Manifests {
				if mf.Job == nil || len(mf.Job.Spec.Template.Spec.Containers) == 0 {
					t.Fatalf("job %q: manifest %s accepted without containers", j.Name, mf.Path)
				}
			}
		}
	})
}
