package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// flowchart is what a Mermaid drawing of a DAG needs: phases of nodes and
// the dependency edges between nodes. `graph --format mermaid` draws it from
// the model, `status -o mermaid` from the run's recorded plan.
type flowchart struct {
	phases []flowPhase
	edges  [][2]int // from node id to node id
	// classes assign a class to node ids, in the order written; classDefs
	// define them (written first, in order).
	classDefs [][2]string
	classes   []flowClass
}

type flowPhase struct {
	name  string
	nodes []flowNode
}

type flowNode struct {
	id    int
	label string
}

type flowClass struct {
	name string
	ids  []int
}

// writeMermaid prints the model's DAG as a Mermaid flowchart.
func writeMermaid(w io.Writer, m *config.Model) {
	var fc flowchart
	for _, phase := range m.Phases {
		fp := flowPhase{name: phase.Name}
		for _, j := range phase.Jobs {
			label := j.Name
			if len(j.Manifests) != 1 {
				label += " (" + manifestCount(j) + ")"
			}
			fp.nodes = append(fp.nodes, flowNode{id: j.Index, label: label})
		}
		fc.phases = append(fc.phases, fp)
	}
	for _, n := range m.Graph.Nodes() {
		for _, d := range n.Deps {
			fc.edges = append(fc.edges, [2]int{d, n.Index})
		}
	}
	fc.write(w)
}

// write prints a Mermaid flowchart: one subgraph per phase, an edge per
// dependency, and an edge from each phase's subgraph to the next. Ids are
// generated (p0, n0, ...) so that no name can collide with Mermaid keywords
// such as "end"; names only appear in quoted, escaped labels.
func (fc *flowchart) write(w io.Writer) {
	fmt.Fprintln(w, "flowchart TD")
	for _, cd := range fc.classDefs {
		fmt.Fprintf(w, "    classDef %s %s\n", cd[0], cd[1])
	}
	for p, phase := range fc.phases {
		fmt.Fprintf(w, "    subgraph p%d [\"%s\"]\n", p, mermaidText(phase.name))
		for _, n := range phase.nodes {
			fmt.Fprintf(w, "        n%d[\"%s\"]\n", n.id, mermaidText(n.label))
		}
		fmt.Fprintln(w, "    end")
	}
	for _, e := range fc.edges {
		fmt.Fprintf(w, "    n%d --> n%d\n", e[0], e[1])
	}
	for p := 1; p < len(fc.phases); p++ {
		fmt.Fprintf(w, "    p%d --> p%d\n", p-1, p)
	}
	for _, c := range fc.classes {
		ids := make([]string, len(c.ids))
		for i, id := range c.ids {
			ids[i] = fmt.Sprintf("n%d", id)
		}
		fmt.Fprintf(w, "    class %s %s\n", strings.Join(ids, ","), c.name)
	}
}

// mermaidText escapes a label for a double-quoted Mermaid string, with
// Mermaid's entity codes.
var mermaidText = strings.NewReplacer(
	`#`, `#35;`,
	`"`, `#quot;`,
	`<`, `#lt;`,
	`>`, `#gt;`,
	"\n", " ",
).Replace
