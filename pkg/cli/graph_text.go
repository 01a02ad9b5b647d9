package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// writeText prints phases in order and, under each, its jobs in model order
// with their number of Jobs and their dependencies.
func writeText(w io.Writer, m *config.Model) {
	fmt.Fprintf(w, "%s: %s, %s, %s\n", m.Path,
		plural(len(m.Phases), "phase", "phases"),
		plural(len(m.Jobs()), "job", "jobs"),
		plural(m.KubernetesJobs(), "Kubernetes Job", "Kubernetes Jobs"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for p, phase := range m.Phases {
		fmt.Fprintln(tw)
		if p == 0 {
			fmt.Fprintf(tw, "phase %d/%d %s\n", p+1, len(m.Phases), phase.Name)
		} else {
			fmt.Fprintf(tw, "phase %d/%d %s, after all of %s\n", p+1, len(m.Phases), phase.Name, m.Phases[p-1].Name)
		}
		for _, j := range phase.Jobs {
			count := manifestCount(j)
			if j.Type == config.TypeDirectory {
				count += " in " + j.Path
			}
			if deps := m.Graph.Node(j.Index).Deps; len(deps) > 0 {
				fmt.Fprintf(tw, "  %s\t%s\tafter %s\n", j.Name, count, joinNames(m, deps))
			} else {
				fmt.Fprintf(tw, "  %s\t%s\n", j.Name, count)
			}
		}
	}
	tw.Flush()
}
