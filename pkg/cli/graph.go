package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// graphFormats are the outputs of `jobernetes graph`, by --format name.
var graphFormats = map[string]func(io.Writer, *config.Model){
	"text":    writeText,
	"mermaid": writeMermaid,
	"dot":     writeDot,
}

func newGraphCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var filename, format string
	cmd := &cobra.Command{
		Use:   "graph [-f FILE] [--format text|mermaid|dot]",
		Short: "Print the model's DAG as text, Mermaid (for a README) or Graphviz dot",
		Long: `Graph validates the model like validate does and prints its DAG:

  text     phases in order, each job with its dependencies and its number of Jobs
  mermaid  a Mermaid flowchart, ready to paste into a GitHub README in a
           ` + "```mermaid" + ` block: one subgraph per phase
  dot      Graphviz: one cluster per phase (render with: dot -Tsvg)

Arrows point from a job to the jobs that wait for it. A trigger rule other
than all_succeeded follows the job's name; a revert_path is a dashed node
"revert JOB" reached by a dotted "on failure" edge; the finally phase is
labelled "(finally)" and reached by a dotted "finally" edge. Exit codes: 0, 2 invalid
model or usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			write, ok := graphFormats[format]
			if !ok {
				return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("unknown --format %q: use text, mermaid or dot", format)}
			}
			m, err := loadModel(filename)
			if err != nil {
				return err
			}
			write(streams.Out, m)
			return nil
		},
	}
	addFilenameFlag(cmd, &filename)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, mermaid or dot")
	return cmd
}

// manifestCount is "1 Job" or "3 Jobs".
func manifestCount(j *config.Job) string {
	return plural(len(j.Manifests), "Job", "Jobs")
}

// phaseEnds returns the nodes of a phase without dependents inside it
// (sinks) and without dependencies (sources), in model order: the phase
// order edges run from one phase's sinks to the next phase's sources.
func phaseEnds(m *config.Model, p int) (sinks, sources []int) {
	for _, i := range m.Graph.Phases()[p].Nodes {
		n := m.Graph.Node(i)
		if len(n.Dependents) == 0 {
			sinks = append(sinks, i)
		}
		if len(n.Deps) == 0 {
			sources = append(sources, i)
		}
	}
	return sinks, sources
}

func joinNames(m *config.Model, idx []int) string {
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = m.Graph.Node(i).Name
	}
	return strings.Join(names, ", ")
}

// jobNotes is what a drawing adds to a job's name: its number of Jobs when
// not 1 and its trigger rule when not the default, e.g. "2 Jobs, all_done".
func jobNotes(j *config.Job) string {
	var notes []string
	if len(j.Manifests) != 1 {
		notes = append(notes, manifestCount(j))
	}
	if j.TriggerRule != "" && j.TriggerRule != config.RuleAllSucceeded {
		notes = append(notes, j.TriggerRule)
	}
	return strings.Join(notes, ", ")
}

// isFinally reports whether phase p is the model's finally phase.
func isFinally(m *config.Model, p int) bool {
	return m.Options.FinallyPhase != "" && m.Phases[p].Name == m.Options.FinallyPhase
}

// phaseLabel is a phase's name, "(finally)" added for the finally phase.
func phaseLabel(m *config.Model, p int) string {
	if isFinally(m, p) {
		return m.Phases[p].Name + " (finally)"
	}
	return m.Phases[p].Name
}
