package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// writeMermaid prints a Mermaid flowchart: one subgraph per phase, an edge
// per dependency, and an edge from each phase's subgraph to the next. Ids
// are generated (p0, n0, ...) so that no name can collide with Mermaid
// keywords such as "end"; names only appear in quoted, escaped labels.
func writeMermaid(w io.Writer, m *config.Model) {
	fmt.Fprintln(w, "flowchart TD")
	for p, phase := range m.Phases {
		fmt.Fprintf(w, "    subgraph p%d [\"%s\"]\n", p, mermaidText(phase.Name))
		for _, j := range phase.Jobs {
			label := j.Name
			if len(j.Manifests) != 1 {
				label += " (" + manifestCount(j) + ")"
			}
			fmt.Fprintf(w, "        n%d[\"%s\"]\n", j.Index, mermaidText(label))
		}
		fmt.Fprintln(w, "    end")
	}
	for _, n := range m.Graph.Nodes() {
		for _, d := range n.Deps {
			fmt.Fprintf(w, "    n%d --> n%d\n", d, n.Index)
		}
	}
	for p := 1; p < len(m.Phases); p++ {
		fmt.Fprintf(w, "    p%d --> p%d\n", p-1, p)
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
