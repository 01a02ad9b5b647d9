package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const envJob = `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - {name: init, image: busybox, env: [{name: REGION, value: own}]}
      containers:
      - {name: main, image: busybox}
`

// writeEnvModel writes a model and its manifests (name -> content) into a
// temporary folder and returns the model's path.
func writeEnvModel(t *testing.T, model string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["jobermodel.yaml"] = model
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "jobermodel.yaml")
}

func TestEnvLoad(t *testing.T) {
	p := writeEnvModel(t, `jobernetes_config:
  env: {DAY: "2026-01-01", REGION: eu, EMPTY: ""}
jobernetes:
  - phase_name: p
    jobs:
      - {name: a, job_path: job.yaml, env: {REGION: us, TARGET: dwh}}
      - {name: b, job_path: job.yaml}
`, map[string]string{"job.yaml": envJob})
	m, err := Load(p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"DAY": "2026-01-01", "REGION": "eu", "EMPTY": ""}; !reflect.DeepEqual(m.Options.Env, want) {
		t.Errorf("model env %v, want %v", m.Options.Env, want)
	}
	a, b := m.Jobs()[0], m.Jobs()[1]
	if want := map[string]string{"DAY": "2026-01-01", "REGION": "us", "TARGET": "dwh", "EMPTY": ""}; !reflect.DeepEqual(m.JobEnv(a), want) {
		t.Errorf("job a env %v, want %v", m.JobEnv(a), want)
	}
	if b.Env != nil || m.JobEnv(b)["REGION"] != "eu" {
		t.Errorf("job b env %v / %v", b.Env, m.JobEnv(b))
	}
	// The manifest's init container sets REGION itself: a warning per job,
	// naming the value it hides (run -e included).
	var got []string
	for _, w := range m.EnvWarnings(map[string]string{"REGION": "cli"}) {
		got = append(got, strings.TrimPrefix(w.String(), p+": "))
	}
	dir := filepath.Dir(p)
	want := []string{
		`phase "p": job "a": ` + filepath.Join(dir, "job.yaml") + `: env: the manifest sets REGION itself: its value wins over the parameter REGION="cli"`,
		`phase "p": job "b": ` + filepath.Join(dir, "job.yaml") + `: env: the manifest sets REGION itself: its value wins over the parameter REGION="cli"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestEnvInvalid(t *testing.T) {
	const hint = " (YAML reads unquoted yes, no, on, off, y, n, true, false and numbers as such; put the value in quotes)"
	for _, tc := range []struct {
		name, config, jobEnv, manifest string
		want                           []string
	}{{
		name:   "values must be strings",
		config: "{COUNT: 1, DEBUG: yes, NOTHING: }",
		want: []string{
			`jobernetes_config.env[COUNT]: must be a string, not the number 1` + hint,
			`jobernetes_config.env[DEBUG]: must be a string, not the boolean true` + hint,
			`jobernetes_config.env[NOTHING]: must be a string; write "" for an empty value`,
		},
	}, {
		name:   "names",
		config: `{"1DAY": x, "A B": y, JOBERNETES_RUN_ID: z}`,
		want: []string{
			`jobernetes_config.env[1DAY]: invalid environment variable name "1DAY": a valid environment variable name must consist of...`,
			`jobernetes_config.env[A B]: invalid environment variable name "A B": a valid environment variable name must consist of...`,
			`jobernetes_config.env[JOBERNETES_RUN_ID]: "JOBERNETES_RUN_ID" is set by jobernetes itself (JOBERNETES_RUN_ID, JOBERNETES_PHASE, JOBERNETES_JOB, JOBERNETES_ATTEMPT)`,
		},
	}, {
		name:   "not a mapping",
		config: "[DAY]",
		jobEnv: "DAY=1",
		want: []string{
			`jobernetes_config.env: must be a mapping of variable names to string values, not a list`,
			`phase "p": job "a": jobernetes[0].jobs[0].env: must be a mapping of variable names to string values, not the string "DAY=1"`,
		},
	}, {
		name:     "a manifest may not set an injected variable",
		config:   "{}",
		manifest: strings.Replace(envJob, "name: REGION", "name: JOBERNETES_ATTEMPT", 1),
		want: []string{
			`phase "p": job "a": job.yaml: spec.template.spec.initContainers[0].env[0].name: "JOBERNETES_ATTEMPT" is set by jobernetes on every container; remove it from the manifest`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			job := "{name: a, job_path: job.yaml}"
			if tc.jobEnv != "" {
				job = "{name: a, job_path: job.yaml, env: " + tc.jobEnv + "}"
			}
			manifest := tc.manifest
			if manifest == "" {
				manifest = envJob
			}
			p := writeEnvModel(t, "jobernetes_config:\n  env: "+tc.config+"\njobernetes:\n  - phase_name: p\n    jobs:\n      - "+job+"\n",
				map[string]string{"job.yaml": manifest})
			sameLines(t, problemLines(t, p, LoadOptions{}), tc.want)
		})
	}
}

func TestEnvProblem(t *testing.T) {
	for name, ok := range map[string]bool{
		"DAY": true, "_x": true, "a.b-c": true, "JOBERNETES_OTHER": true,
		"": false, "1A": false, "A=B": false, "JOBERNETES_JOB": false, "JOBERNETES_PHASE": false,
	} {
		if got := EnvProblem(name) == ""; got != ok {
			t.Errorf("EnvProblem(%q) = %q, want ok=%v", name, EnvProblem(name), ok)
		}
	}
}
