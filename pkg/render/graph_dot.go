package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// maxDirectPhaseEdges bounds the dashed phase order edges drawn straight
// from each sink of a phase to each source of the next; past it they meet
// in one point, so that wide phases stay linear in size.
const maxDirectPhaseEdges = 64

// Dot prints a Graphviz digraph: one cluster per phase, an edge per
// dependency, and dashed phase order edges from each phase's sinks to the
// next phase's sources; trigger rules in labels, revert Jobs as dashed
// nodes behind dotted "on failure" edges, dotted "finally" edges into the
// finally phase.
func Dot(w io.Writer, m *config.Model) {
	fmt.Fprintln(w, "digraph jobernetes {")
	fmt.Fprintln(w, "    node [shape=box];")
	for p, phase := range m.Phases {
		fmt.Fprintf(w, "    subgraph cluster_%d {\n", p)
		fmt.Fprintf(w, "        label=%s;\n", dotString(phaseLabel(m, p)))
		group, groups := "", 0
		for _, j := range phase.Jobs {
			if j.SubModel != group {
				if group != "" {
					fmt.Fprintln(w, "        }")
				}
				if group = j.SubModel; group != "" {
					fmt.Fprintf(w, "        subgraph cluster_%d_%d {\n", p, groups)
					fmt.Fprintf(w, "            label=%s;\n", dotString(group+" (model "+j.SubModelPath+")"))
					groups++
				}
			}
			label := j.Name
			if notes := jobNotes(j); notes != "" {
				label += "\n" + notes
			}
			fmt.Fprintf(w, "        n%d [label=%s];\n", j.Index, dotString(label))
			if j.Revert != nil {
				fmt.Fprintf(w, "        r%d [label=%s, style=dashed];\n", j.Index, dotString("revert "+j.Name))
			}
		}
		if group != "" {
			fmt.Fprintln(w, "        }")
		}
		fmt.Fprintln(w, "    }")
	}
	for _, n := range m.Graph.Nodes() {
		for _, d := range n.Deps {
			fmt.Fprintf(w, "    n%d -> n%d;\n", d, n.Index)
		}
	}
	for _, j := range m.Jobs() {
		if j.Revert != nil {
			fmt.Fprintf(w, "    n%d -> r%d [style=dotted, label=\"on failure\"];\n", j.Index, j.Index)
		}
	}
	for p := 1; p < len(m.Phases); p++ {
		dotPhaseEdges(w, m, p)
	}
	fmt.Fprintln(w, "}")
}

// dotPhaseEdges draws the order between phase p-1 and phase p: dashed
// edges from the one's sinks to the other's sources (through a point past
// maxDirectPhaseEdges pairs), or dotted "finally" edges into the finally
// phase.
func dotPhaseEdges(w io.Writer, m *config.Model, p int) {
	if isFinally(m, p) {
		// Everything before runs first, whatever happened: one edge
		// from the previous cluster's sinks through a point.
		sinks, _ := phaseEnds(m, p-1)
		_, sources := phaseEnds(m, p)
		fmt.Fprintf(w, "    phase_%d [shape=point];\n", p)
		for _, s := range sinks {
			fmt.Fprintf(w, "    n%d -> phase_%d [style=dotted, arrowhead=none];\n", s, p)
		}
		for _, t := range sources {
			fmt.Fprintf(w, "    phase_%d -> n%d [style=dotted, label=\"finally\"];\n", p, t)
		}
		return
	}
	sinks, _ := phaseEnds(m, p-1)
	_, sources := phaseEnds(m, p)
	if len(sinks)*len(sources) <= maxDirectPhaseEdges {
		for _, s := range sinks {
			for _, t := range sources {
				fmt.Fprintf(w, "    n%d -> n%d [style=dashed];\n", s, t)
			}
		}
		return
	}
	fmt.Fprintf(w, "    phase_%d [shape=point];\n", p)
	for _, s := range sinks {
		fmt.Fprintf(w, "    n%d -> phase_%d [style=dashed, arrowhead=none];\n", s, p)
	}
	for _, t := range sources {
		fmt.Fprintf(w, "    phase_%d -> n%d [style=dashed];\n", p, t)
	}
}

// dotString quotes s as a DOT string.
func dotString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
