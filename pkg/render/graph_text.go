package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// Text prints phases in order and, under each, its jobs in model order
// with their number of Jobs, their dependencies, a trigger rule other than
// the default and their revert manifest.
func Text(w io.Writer, m *config.Model) {
	fmt.Fprintf(w, "%s: %s, %s, %s\n", m.Path,
		Plural(len(m.Phases), "phase", "phases"),
		Plural(len(m.Jobs()), "job", "jobs"),
		Plural(m.KubernetesJobs(), "Kubernetes Job", "Kubernetes Jobs"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for p, phase := range m.Phases {
		fmt.Fprintln(tw)
		switch {
		case isFinally(m, p):
			fmt.Fprintf(tw, "phase %d/%d %s (finally), after everything else, whatever happened\n", p+1, len(m.Phases), phase.Name)
		case p == 0:
			fmt.Fprintf(tw, "phase %d/%d %s\n", p+1, len(m.Phases), phase.Name)
		default:
			fmt.Fprintf(tw, "phase %d/%d %s, after all of %s\n", p+1, len(m.Phases), phase.Name, m.Phases[p-1].Name)
		}
		group := ""
		for _, j := range phase.Jobs {
			if j.SubModel != group {
				group = j.SubModel
				if group != "" {
					fmt.Fprintf(tw, "  %s: sub-model %s\n", group, j.SubModelPath)
				}
			}
			count := manifestCount(j)
			if j.Type == config.TypeDirectory {
				count += " in " + j.Path
			}
			cols := []string{j.Name, count}
			if deps := m.Graph.Node(j.Index).Deps; len(deps) > 0 {
				cols = append(cols, "after "+joinNames(m, deps))
			}
			if j.TriggerRule != "" && j.TriggerRule != config.RuleAllSucceeded {
				cols = append(cols, "trigger "+j.TriggerRule)
			}
			if j.Revert != nil {
				cols = append(cols, "revert "+j.Revert.RelPath)
			}
			if j.When != nil {
				cols = append(cols, "when "+j.When.Expr)
			}
			fmt.Fprintf(tw, "  %s\n", strings.Join(cols, "\t"))
		}
	}
	tw.Flush()
}
