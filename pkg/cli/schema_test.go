package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// schema/jobermodel.schema.json, which the examples' modelines name, is
// what `jobernetes schema` prints (regenerate: jobernetes schema > it).
func TestSchemaCommandMatchesCommittedFile(t *testing.T) {
	code, stdout, stderr := run("schema")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "schema", "jobermodel.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(committed) {
		t.Error("schema/jobermodel.schema.json differs from `jobernetes schema`: run go run ./cmd/jobernetes schema > schema/jobermodel.schema.json")
	}
	if !strings.Contains(stdout, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
		t.Error("not a draft 2020-12 schema")
	}
}

// Every example names the schema in a yaml-language-server modeline that
// resolves, relative to the model file, to the committed schema.
func TestExamplesCarryTheSchemaModeline(t *testing.T) {
	models, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "jobermodel.yaml"))
	if len(models) == 0 {
		t.Fatal("no examples")
	}
	schema, _ := filepath.Abs(filepath.Join("..", "..", "schema", "jobermodel.schema.json"))
	for _, m := range models {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		ref, ok := strings.CutPrefix(first, "# yaml-language-server: $schema=")
		if !ok {
			t.Errorf("%s: first line %q is no yaml-language-server modeline", m, first)
			continue
		}
		if got, _ := filepath.Abs(filepath.Join(filepath.Dir(m), ref)); got != schema {
			t.Errorf("%s: $schema=%s resolves to %s, not %s", m, ref, got, schema)
		}
	}
}
