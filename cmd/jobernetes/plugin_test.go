package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Installed as kubectl-jobernetes on PATH, the binary is a kubectl plugin:
// `kubectl jobernetes ...` runs it, and its help names it so.
func TestKubectlPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl on PATH")
	}
	dir := t.TempDir()
	// A plain build (the e2e packages' too) shares their build cache.
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "kubectl-jobernetes"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+filepath.Join(dir, "no-kubeconfig"))
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"jobernetes", "version", "--client"}, []string{"jobernetes ", "\ncommit: ", "\ngo: go"}},
		{[]string{"jobernetes", "--help"}, []string{"Usage:\n  kubectl jobernetes [command]"}},
		{[]string{"jobernetes", "run", "--help"}, []string{"kubectl jobernetes run [-f FILE]"}},
	}
	for _, tc := range tests {
		cmd := exec.Command(kubectl, tc.args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("kubectl %s: %v\n%s", strings.Join(tc.args, " "), err, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("kubectl %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
}
