package render

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
	// reverts are dotted edges from a job to its revert (compensating)
	// Job's node, which has class "revert" (a dashed border).
	reverts [][2]int
	// finally is the index of the finally phase, 0 for none (a finally
	// phase is never the first): its phase edge reads "finally".
	finally int
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
	group string // a sub-model's nodes share one, drawn as a subgraph
}

type flowClass struct {
	name string
	ids  []int
}

// revertStyle draws revert (compensating) Jobs with a dashed border.
var revertStyle = [2]string{"revert", "stroke-dasharray:5 5"}

// Mermaid prints the model's DAG as a Mermaid flowchart: trigger rules
// in the labels, revert Jobs as dashed nodes, the finally phase marked.
func Mermaid(w io.Writer, m *config.Model) {
	var fc flowchart
	reverts := flowClass{name: revertStyle[0]}
	next := len(m.Jobs()) // revert nodes' ids follow the jobs'
	for p, phase := range m.Phases {
		fp := flowPhase{name: phaseLabel(m, p)}
		if isFinally(m, p) {
			fc.finally = p
		}
		for _, j := range phase.Jobs {
			label := j.Name
			if notes := jobNotes(j); notes != "" {
				label += " (" + notes + ")"
			}
			group := ""
			if j.SubModel != "" {
				group = j.SubModel + " (model " + j.SubModelPath + ")"
			}
			fp.nodes = append(fp.nodes, flowNode{id: j.Index, label: label, group: group})
			if j.Revert != nil {
				fp.nodes = append(fp.nodes, flowNode{id: next, label: "revert " + j.Name})
				fc.reverts = append(fc.reverts, [2]int{j.Index, next})
				reverts.ids = append(reverts.ids, next)
				next++
			}
		}
		fc.phases = append(fc.phases, fp)
	}
	if len(reverts.ids) > 0 {
		fc.classDefs = append(fc.classDefs, revertStyle)
		fc.classes = append(fc.classes, reverts)
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
		group, groups := "", 0
		for _, n := range phase.nodes {
			if n.group != group {
				if group != "" {
					fmt.Fprintln(w, "        end")
				}
				if group = n.group; group != "" {
					fmt.Fprintf(w, "        subgraph p%dm%d [\"%s\"]\n", p, groups, mermaidText(group))
					groups++
				}
			}
			fmt.Fprintf(w, "        n%d[\"%s\"]\n", n.id, mermaidText(n.label))
		}
		if group != "" {
			fmt.Fprintln(w, "        end")
		}
		fmt.Fprintln(w, "    end")
	}
	for _, e := range fc.edges {
		fmt.Fprintf(w, "    n%d --> n%d\n", e[0], e[1])
	}
	for _, e := range fc.reverts {
		fmt.Fprintf(w, "    n%d -. on failure .-> n%d\n", e[0], e[1])
	}
	for p := 1; p < len(fc.phases); p++ {
		if p == fc.finally {
			fmt.Fprintf(w, "    p%d -. finally .-> p%d\n", p-1, p)
			continue
		}
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
