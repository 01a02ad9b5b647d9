package render

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
)

// wideModel is two phases of n independent jobs each: n*n sink-to-source
// pairs between them.
func wideModel(t *testing.T, n int) *config.Model {
	t.Helper()
	m := &config.Model{Path: "wide.yaml"}
	var specs []graph.PhaseSpec
	idx := 0
	for p := range 2 {
		ph := config.Phase{Name: fmt.Sprintf("p%d", p)}
		spec := graph.PhaseSpec{Name: ph.Name}
		for k := range n {
			name := fmt.Sprintf("j%d_%d", p, k)
			ph.Jobs = append(ph.Jobs, &config.Job{Name: name, Phase: ph.Name, PhaseIndex: p, Index: idx,
				Type: config.TypeFile, Manifests: []*config.Manifest{{}}})
			spec.Nodes = append(spec.Nodes, graph.NodeSpec{Name: name})
			idx++
		}
		m.Phases = append(m.Phases, ph)
		specs = append(specs, spec)
	}
	g, err := graph.Build(specs)
	if err != nil {
		t.Fatal(err)
	}
	m.Graph = g
	return m
}

// TestDotPhaseEdgesStayLinear: past maxDirectPhaseEdges sink-source pairs,
// phase order edges meet in one point instead of growing as n*n.
func TestDotPhaseEdgesStayLinear(t *testing.T) {
	tests := []struct {
		n, dashed int
		point     bool
	}{
		{n: 8, dashed: 64},              // 8*8 = 64: drawn directly
		{n: 9, dashed: 18, point: true}, // 81 > 64: 9 in, 9 out
		{n: 1000, dashed: 2000, point: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			var out bytes.Buffer
			Dot(&out, wideModel(t, tc.n))
			s := out.String()
			if got := strings.Count(s, "style=dashed"); got != tc.dashed {
				t.Errorf("%d dashed edges, want %d", got, tc.dashed)
			}
			if got := strings.Contains(s, "phase_1 [shape=point];"); got != tc.point {
				t.Errorf("point node present = %v, want %v", got, tc.point)
			}
			checkDot(t, s)
		})
	}
}

// checkDot runs Graphviz on the output when it is installed.
func checkDot(t *testing.T, src string) {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		return
	}
	cmd := exec.Command(dot, "-Tsvg", "-o", "/dev/null")
	cmd.Stdin = strings.NewReader(src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("dot rejects the output: %v\n%s", err, out)
	}
}

func TestEscaping(t *testing.T) {
	if got := mermaidText(`a "b" <c> #d`); got != `a #quot;b#quot; #lt;c#gt; #35;d` {
		t.Errorf("mermaidText = %q", got)
	}
	if got := dotString("a \"b\" \\c\nd"); got != `"a \"b\" \\c\nd"` {
		t.Errorf("dotString = %q", got)
	}
}
