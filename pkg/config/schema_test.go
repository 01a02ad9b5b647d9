package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// compileSchema compiles the embedded schema with a draft 2020-12 validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "mem://jobermodel.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validateFile checks a model file against the schema as an editor sees it:
// the YAML read as the loader reads it (YAML 1.1 through sigs.k8s.io/yaml).
func validateFile(t *testing.T, sch *jsonschema.Schema, path string) error {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sch.Validate(v)
}

// The schema is kept equal to the loader: what Load accepts passes it, and
// a model Load refuses for its shape (a key, type, value or name) fails it.
// Invalid fixtures whose problems the schema cannot see are listed apart.
func TestSchemaMatchesLoader(t *testing.T) {
	sch := compileSchema(t)
	valid, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "jobermodel.yaml"))
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "valid", "*", "jobermodel.yaml"))
	valid = append(valid, fixtures...)
	if len(valid) < 6 {
		t.Fatalf("only %d valid models found", len(valid))
	}
	for _, path := range valid {
		if _, err := Load(path, LoadOptions{}); err != nil {
			t.Errorf("%s does not load, so it cannot prove the schema: %v", path, err)
			continue
		}
		if err := validateFile(t, sch, path); err != nil {
			t.Errorf("%s loads but fails the schema: %v", path, err)
		}
	}

	// Problems beyond a JSON Schema: the DAG, files and manifests, and YAML
	// that does not make one JSON document.
	notShape := map[string]string{
		"graph":          "cycles, unknown and duplicate names",
		"manifests":      "the manifests' contents",
		"duplicate-keys": "YAML duplicate keys (JSON keeps the last)",
		"not-yaml":       "not YAML at all",
		"two-documents":  "two YAML documents",
	}
	dirs, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*"))
	sort.Strings(dirs)
	dirs = append(dirs, filepath.Join("testdata", "failure")) // unknown policy and rule, bad run_timeout
	shape := 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		path := filepath.Join(dir, "jobermodel.yaml")
		if _, err := Load(path, LoadOptions{}); err == nil {
			t.Errorf("%s loads: not an invalid fixture", path)
		}
		if _, skip := notShape[name]; skip {
			continue
		}
		shape++
		err := validateFile(t, sch, path)
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: Load refuses its shape, the schema accepts it (%v)", path, err)
		}
	}
	if shape < 10 {
		t.Errorf("only %d shape fixtures checked", shape)
	}
}

// Each shape rule of the loader, one model at a time: the schema agrees
// with Load on whether it is valid.
func TestSchemaRules(t *testing.T) {
	sch := compileSchema(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(`apiVersion: batch/v1
kind: Job
metadata: {name: x}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	const jobs = "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml}\n"
	tests := []struct {
		name, model string
		valid       bool
	}{
		{"minimal", jobs, true},
		{"null options", "jobernetes_config:\n" + jobs, true},
		{"every option", `jobernetes_config:
  cleanup: true
  kubernetes_namespace: team-a
  incluster: false
  parallelization: 3
  refresh_time: 2.5
  ssl_insecure_warnings: false
  jobname: nightly_etl
  failure_policy: abort
  run_timeout: 1h30m
` + jobs, true},
		{"null option values", "jobernetes_config:\n  cleanup:\n  jobname:\n  run_timeout:\n" + jobs, true},
		{"run_timeout in seconds", "jobernetes_config: {run_timeout: 90}\n" + jobs, true},
		{"run_timeout zero", "jobernetes_config: {run_timeout: 0}\n" + jobs, false},
		{"run_timeout not a duration", "jobernetes_config: {run_timeout: soon}\n" + jobs, false},
		{"unknown option", "jobernetes_config: {colour: blue}\n" + jobs, false},
		{"bad policy", "jobernetes_config: {failure_policy: retry}\n" + jobs, false},
		{"fractional parallelization", "jobernetes_config: {parallelization: 1.5}\n" + jobs, false},
		{"bad namespace", "jobernetes_config: {kubernetes_namespace: Team_A}\n" + jobs, false},
		{"bad model name", "jobernetes_config: {jobname: '--'}\n" + jobs, false},
		{"every job key", `jobernetes:
  - phase_name: p
    jobs:
      - {name: a, job_path: job.yaml, type: file, revert_path: job.yaml}
      - {name: b, job_path: job.yaml, depends_on: [a], trigger_rule: one_failed}
`, true},
		{"unknown rule", "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml}\n      - {name: b, job_path: job.yaml, depends_on: [a], trigger_rule: any}\n", false},
		{"depends_on a string", "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml}\n      - {name: b, job_path: job.yaml, depends_on: a}\n", false},
		{"empty revert_path", "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml, revert_path: ''}\n", false},
		{"name with a space", "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a b, job_path: job.yaml}\n", false},
		{"name too long", "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: " + string(bytes.Repeat([]byte("a"), 64)) + ", job_path: job.yaml}\n", false},
		{"no jobs", "jobernetes:\n  - phase_name: p\n    jobs: []\n", false},
		{"no phases", "jobernetes: []\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "jobermodel.yaml")
			if err := os.WriteFile(path, []byte(tc.model), 0o644); err != nil {
				t.Fatal(err)
			}
			_, loadErr := Load(path, LoadOptions{})
			if (loadErr == nil) != tc.valid {
				t.Fatalf("Load: %v, want valid=%v", loadErr, tc.valid)
			}
			if err := validateFile(t, sch, path); (err == nil) != tc.valid {
				t.Errorf("schema: %v, want valid=%v", err, tc.valid)
			}
		})
	}
}
