// Package cli is the jobernetes command line: a cobra command tree whose
// commands return *ExitError, and Execute, which turns that into the exit
// codes of docs/commands.md ("Commands").
package cli

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
)

// NewRootCommand builds the jobernetes command and its subcommands. Each
// subcommand comes from a small constructor taking the streams, so that
// tests can run any of them in-process with buffers.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "jobernetes",
		Short: "Run a DAG of Kubernetes Jobs, phase by phase",
		Long: `jobernetes runs the Kubernetes Jobs of a model file (jobermodel.yaml) as a DAG:
phases run in order, and inside a phase each job starts as soon as the jobs it
depends_on have succeeded.

Exit codes: 0 success, 1 run failed, 2 invalid model or usage, 3 cluster error.`,
		SilenceErrors: true, // Execute prints them, with the right exit code
		SilenceUsage:  true, // a failed run is no reason to print usage
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	addLogFlags(root.PersistentFlags())

	root.AddCommand(
		newValidateCommand(streams),
		newGraphCommand(streams),
		newRunCommand(streams),
		newStatusCommand(streams),
		newLogsCommand(streams), newCancelCommand(streams), newDeleteCommand(streams), newUICommand(streams),
		newCronJobCommand(streams), newBundleCommand(streams),
		newSchemaCommand(streams),
		newVersionCommand(streams),
	)
	wrapRunErrors(root)
	return root
}

// wrapRunErrors makes every RunE return an *ExitError, so that Execute can
// tell run errors from the usage errors cobra returns before RunE.
func wrapRunErrors(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		wrapRunErrors(c)
	}
	run := cmd.RunE
	if run == nil {
		return
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		err := run(c, args)
		var ee *ExitError
		if err != nil && !errors.As(err, &ee) {
			return &ExitError{Code: ExitRunFailed, Err: err}
		}
		return err
	}
}

// addLogFlags exposes klog's verbosity as -v/--v, as kubectl does.
func addLogFlags(fs *pflag.FlagSet) {
	gfs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(gfs)
	if v := gfs.Lookup("v"); v != nil {
		pf := pflag.PFlagFromGoFlag(v)
		pf.Shorthand = "v"
		pf.Usage = "log verbosity: 2 logs actions, 4 traces"
		fs.AddFlag(pf)
	}
}

// Execute runs the command line of this process and returns its exit code:
//
//	func main() { os.Exit(cli.Execute()) }
func Execute() int {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	defer klog.Flush()
	return RunAs(context.Background(), invokedName(os.Args[0]), os.Args[1:], streams)
}

// Run runs the command line args with the given streams and returns the
// exit code; Execute uses it with the process's arguments, tests with
// buffers.
func Run(ctx context.Context, args []string, streams genericiooptions.IOStreams) int {
	return RunAs(ctx, defaultName, args, streams)
}

// RunAs is Run for a command invoked as name, such as "kubectl jobernetes"
// (see invokedName): help, usage and hints use that name.
func RunAs(ctx context.Context, name string, args []string, streams genericiooptions.IOStreams) int {
	root := NewRootCommand(streams)
	setCommandName(root, name)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	path := root.CommandPath()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return exitCode(err, path, streams.ErrOut)
}
