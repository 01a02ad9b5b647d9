package clidocs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobernetes/jobernetes/pkg/config"
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

// The model reference (docs/model.md) lists every property of the model's
// JSON Schema, with the schema's description: run make docs after changing
// the schema.
func TestModelReferenceListsEverySchemaProperty(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "model.md"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ModelKeys(config.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 20 {
		t.Fatalf("only %d keys read from the schema: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.Contains(string(page), "| `"+k.Path+"` |") {
			t.Errorf("docs/model.md does not list %s: run make docs", k.Path)
		}
	}
	if !strings.Contains(string(page), modelKeysTable(keys)) {
		t.Errorf("docs/model.md's table of keys is stale: run make docs")
	}
}
