package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/version"
)

func newVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit and Go version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := version.Get()
			fmt.Fprintf(streams.Out, "jobernetes %s\ncommit: %s\ngo: %s %s\n", v.Version, v.Commit, v.GoVersion, v.Platform)
			return nil
		},
	}
}
