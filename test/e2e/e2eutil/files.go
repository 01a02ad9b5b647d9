package e2eutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// JobYAML is a Job manifest whose one pod the test bed finishes d (a Go
// duration such as "1500ms") after it runs, succeeding or failing, with
// backoffLimit 0: a failed pod fails the Job.
func JobYAML(d string, fail bool) string {
	outcome := "succeed"
	if fail {
		outcome = "fail"
	}
	return scriptedJob(d, outcome, "")
}

// ResultJobYAML is JobYAML's succeeding Job whose container ("main")
// writes msg as its termination message (test/e2e/README.md: $(VAR) in msg
// takes VAR from the pod's env): how a fake pod reports results
// (docs/dataflow.md).
func ResultJobYAML(d, msg string) string { return scriptedJob(d, "succeed", msg) }

// scriptedJob is a Job of one pod scripted by the test bed's annotations.
func scriptedJob(d, outcome, msg string) string {
	message := ""
	if msg != "" {
		message = fmt.Sprintf("\n        test.jobernetes.io/termination-message: %q", msg)
	}
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: ignored
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        test.jobernetes.io/duration: %q
        test.jobernetes.io/outcome: %s%s
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["sleep", "1"]
`, d, outcome, message)
}

// Model is a model file with the given options and phases (body is the
// YAML of the jobernetes list, indented by two spaces).
func Model(cleanup bool, parallelization int, body string) string {
	return fmt.Sprintf("jobernetes_config:\n  cleanup: %v\n  parallelization: %d\njobernetes:\n%s", cleanup, parallelization, body)
}

// WriteFiles writes files (slash path -> content) under a new temporary
// folder and returns it.
func WriteFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
