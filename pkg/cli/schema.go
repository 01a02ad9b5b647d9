package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/config"
)

func newSchemaCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the model file, for editors",
		Long: `Schema prints the JSON Schema (draft 2020-12) of the model file's shape: keys,
types, allowed values and names. Editors that speak the YAML language server
(VS Code's YAML extension, Neovim, Helix, JetBrains) use it for completion,
hover help and errors as you type when the model file starts with

  # yaml-language-server: $schema=<path or URL of the schema>

The repository keeps it as schema/jobermodel.schema.json. 'validate' checks
more than the schema can: the DAG, paths and every Job manifest.

Exit codes: 0.`,
		Example: `  jobernetes schema > jobermodel.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := streams.Out.Write(config.Schema())
			return err
		},
	}
}
