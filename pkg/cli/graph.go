package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/render"
)

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
			write, ok := render.GraphFormat(format)
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
