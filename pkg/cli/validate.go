package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/render"
)

// defaultModel is the model file read when -f is not given.
const defaultModel = "jobermodel.yaml"

func newValidateCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var filename string
	var envFlags []string
	cmd := &cobra.Command{
		Use:   "validate [-f FILE]",
		Short: "Check the model file and every Job manifest it names, offline",
		Long: `Validate loads the model file and every Job manifest it names, and reports
every problem at once, each naming the model file, the phase, the job and the
manifest. It never contacts a cluster. It warns (on stderr, still exit 0) when
a manifest's own env sets a parameter of the model (or of -e): the manifest's
value wins.

Exit codes: 0 valid, 2 invalid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := parseEnv(envFlags)
			if err != nil {
				return err
			}
			m, err := loadModel(filename)
			if err != nil {
				return err
			}
			printEnvWarnings(streams.ErrOut, m, env)
			fmt.Fprintf(streams.Out, "%s is valid: %s, %s, %s\n", m.Path,
				render.Plural(len(m.Phases), "phase", "phases"),
				render.Plural(len(m.Jobs()), "job", "jobs"),
				render.Plural(m.KubernetesJobs(), "Kubernetes Job", "Kubernetes Jobs"))
			return nil
		},
	}
	addFilenameFlag(cmd, &filename)
	addEnvFlag(cmd.Flags(), &envFlags)
	return cmd
}

func addFilenameFlag(cmd *cobra.Command, filename *string) {
	cmd.Flags().StringVarP(filename, "filename", "f", defaultModel, "model file")
}

// loadModel loads a model offline: without -n, a manifest's namespace is
// compared with the model's kubernetes_namespace only.
func loadModel(filename string) (*config.Model, error) {
	m, err := config.Load(filename, config.LoadOptions{})
	if err != nil {
		return nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	return m, nil
}
