package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestYAML11Booleans pins what sigs.k8s.io/yaml v1.6 does with the original
// tool's YAML 1.1 spellings: it parses with go.yaml.in/yaml/v2, a YAML 1.1
// parser, so True, yes, on, y and their opposites arrive as booleans and
// need no handling of our own. Quoted, they are strings, and rejected.
func TestYAML11Booleans(t *testing.T) {
	dir := t.TempDir()
	job, err := os.ReadFile(filepath.Join("testdata", "valid", "yaml11", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), job, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spelling string
		want     bool
		invalid  bool
	}{
		{spelling: "true", want: true},
		{spelling: "True", want: true},
		{spelling: "TRUE", want: true},
		{spelling: "yes", want: true},
		{spelling: "Yes", want: true},
		{spelling: "on", want: true},
		{spelling: "ON", want: true},
		{spelling: "y", want: true},
		{spelling: "false", want: false},
		{spelling: "False", want: false},
		{spelling: "no", want: false},
		{spelling: "NO", want: false},
		{spelling: "off", want: false},
		{spelling: "n", want: false},
		{spelling: `"True"`, invalid: true},
		{spelling: "1", invalid: true},
	}
	for _, tc := range tests {
		t.Run(tc.spelling, func(t *testing.T) {
			model := "jobernetes_config:\n  cleanup: " + tc.spelling + "\n  incluster: " + tc.spelling +
				"\njobernetes:\n  - phase_name: p\n    jobs:\n      - name: a\n        job_path: job.yaml\n"
			path := filepath.Join(dir, "jobermodel.yaml")
			if err := os.WriteFile(path, []byte(model), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path, LoadOptions{})
			if tc.invalid {
				if err == nil {
					t.Fatalf("cleanup: %s accepted", tc.spelling)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Options.Cleanup != tc.want || m.Options.InCluster == nil || *m.Options.InCluster != tc.want {
				t.Errorf("cleanup/incluster: %s read as %v/%v, want %v", tc.spelling, m.Options.Cleanup, m.Options.InCluster, tc.want)
			}
		})
	}
}
