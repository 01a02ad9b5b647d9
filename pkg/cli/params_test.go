package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A manifest that sets a parameter itself wins; validate (exit 0) and run
// say so on stderr, naming the file, the job and the key.
func TestValidateEnvWarning(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"jobermodel.yaml": "jobernetes_config:\n  env: {REGION: eu}\njobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml}\n",
		"job.yaml": `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: busybox, env: [{name: REGION, value: own}, {name: DAY, value: own}]}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model := filepath.Join(dir, "jobermodel.yaml")
	code, stdout, stderr := run("validate", "-f", model, "-e", "DAY=2026-01-01")
	if code != ExitOK || !strings.Contains(stdout, "is valid") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	manifest := filepath.Join(dir, "job.yaml")
	want := []string{
		"warning: " + model + `: phase "p": job "a": ` + manifest + `: env: the manifest sets DAY itself: its value wins over the parameter DAY="2026-01-01"`,
		"warning: " + model + `: phase "p": job "a": ` + manifest + `: env: the manifest sets REGION itself: its value wins over the parameter REGION="eu"`,
	}
	if got := strings.Split(strings.TrimSpace(stderr), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
	}
}
