package render

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// The data-flow example drawn: a matrix decided at run time says where
// its Jobs come from, a when is shown, a sub-model is a group of its own.
func TestGraphDataflow(t *testing.T) {
	m, err := config.Load(filepath.Join("..", "..", "examples", "dataflow", "jobermodel.yaml"), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for format, wants := range map[string][]string{
		"text": {"deploy    Jobs decided at run time from results.detect.regions", `when results.detect.changed == "false"`,
			"infra: sub-model infra/jobermodel.yaml", "infra.nodes  1 Job  after infra.vpc"},
		"mermaid": {`subgraph p1m0 ["infra (model infra/jobermodel.yaml)"]`, "Jobs decided at run time from results.detect.regions"},
		"dot":     {"subgraph cluster_1_0 {", `label="infra (model infra/jobermodel.yaml)";`},
	} {
		draw, ok := GraphFormat(format)
		if !ok {
			t.Fatalf("no format %s", format)
		}
		var b bytes.Buffer
		draw(&b, m)
		for _, w := range wants {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", format, w, b.String())
			}
		}
	}
}
