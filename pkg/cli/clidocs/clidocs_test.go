package clidocs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The command reference in git (docs/commands, docs/man) is what the
// commands say: run `make docs` after changing a command, flag or help text.
func TestCommandReferenceIsCurrent(t *testing.T) {
	tmp := t.TempDir()
	if err := Generate(tmp); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"commands", "man"} {
		want := filepath.Join("..", "..", "..", "docs", sub)
		got := filepath.Join(tmp, sub)
		gotNames, wantNames := names(t, got), names(t, want)
		if !slices.Equal(gotNames, wantNames) {
			t.Errorf("docs/%s holds %v, the commands make %v: run make docs", sub, wantNames, gotNames)
			continue
		}
		for _, n := range gotNames {
			g, err := os.ReadFile(filepath.Join(got, n))
			if err != nil {
				t.Fatal(err)
			}
			w, err := os.ReadFile(filepath.Join(want, n))
			if err != nil {
				t.Fatal(err)
			}
			if string(g) != string(w) {
				t.Errorf("docs/%s/%s is stale: run make docs", sub, n)
			}
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
