package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/logstream"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

type logsOptions struct {
	kubeFlags
	streams genericiooptions.IOStreams
	runID   string
	follow  bool
	opts    logstream.Options
	noColor bool
	// newClient is the cluster client (tests replace it).
	newClient func() (kubernetes.Interface, error)
}

func newLogsCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &logsOptions{kubeFlags: newKubeFlags(), streams: streams}
	o.newClient = o.client
	return o.command()
}

func (o *logsOptions) command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs [--run-id ID] [JOB...] [-f] [--tail N] [--since D] [-c CONTAINER] [--timestamps]",
		Short: "Print the logs of a run's pods, each line prefixed with phase/job",
		Long: `Logs prints the logs of the pods of a run's Jobs (all of them, or the jobs
named, as JOB or PHASE/JOB), every line prefixed with its phase/job (coloured
on a terminal). Without --run-id, the namespace's most recent run.

-f follows: it attaches to each pod as the run creates it and ends when the run
has ended and every log has been read to its end.

A Job that cleanup deleted has no logs left: it is said ("logs gone: deleted
by cleanup"), not skipped.

Exit codes: 0; 2 invalid usage, no such run, or no run in the namespace;
3 cluster error.`,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), args) },
	}
	cmd.Flags().StringVar(&o.runID, "run-id", "", "the run (default: the namespace's most recent)")
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "stream the logs of every pod as the run creates it, until the run ends")
	cmd.Flags().Int64Var(&o.opts.Tail, "tail", -1, "lines of each container's log to show from its end (-1: all)")
	cmd.Flags().DurationVar(&o.opts.Since, "since", 0, "only lines newer than this (5s, 2m, 3h)")
	cmd.Flags().StringVarP(&o.opts.Container, "container", "c", "", "only this container of each pod (default: all)")
	cmd.Flags().BoolVar(&o.opts.Timestamps, "timestamps", false, "start every line with its RFC3339 timestamp")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "plain prefixes even on a terminal (so does the NO_COLOR environment variable)")
	o.addFlags(cmd)
	return cmd
}

func (o *logsOptions) run(ctx context.Context, args []string) error {
	if o.opts.Tail < -1 {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--tail %d: want -1 (all), 0 or more", o.opts.Tail)}
	}
	if o.opts.Since < 0 {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--since %s: want a positive duration", o.opts.Since)}
	}
	if o.runID != "" {
		if err := runmeta.ValidateRunID(o.runID); err != nil {
			return &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	client, err := o.newClient()
	if err != nil {
		return &ExitError{Code: ExitCluster, Err: fmt.Errorf("kubernetes client configuration: %w", err)}
	}
	ns := o.namespace()
	runID := o.runID
	if runID == "" {
		if runID, err = latestRun(ctx, client, ns); err != nil {
			return err
		}
	}
	st, err := report.GetRunStatus(ctx, client, ns, runID, time.Now())
	if err != nil {
		return exitError(err)
	}
	jobs, err := logstream.SelectJobs(st.Jobs, args)
	if err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	color := render.Styled(o.streams.Out, o.noColor, os.Getenv)
	p := logstream.NewPrinter(o.streams.Out, jobs, color)
	if err := p.SayGone(ctx, client, ns, runID); err != nil {
		return &ExitError{Code: ExitCluster, Err: err}
	}
	s := logstream.NewStreamer(client, ns, runID, p, o.opts, o.streams.ErrOut)
	if o.follow {
		err = s.Follow(ctx)
	} else {
		err = s.Once(ctx)
	}
	if err != nil {
		return &ExitError{Code: ExitCluster, Err: err}
	}
	return nil
}

// latestRun is the namespace's most recent run.
func latestRun(ctx context.Context, client kubernetes.Interface, ns string) (string, error) {
	runs, err := report.ListRuns(ctx, client, ns)
	if err != nil {
		return "", &ExitError{Code: ExitCluster, Err: err}
	}
	if len(runs) == 0 {
		return "", &ExitError{Code: ExitInvalid, Err: fmt.Errorf("no run in namespace %s", ns)}
	}
	return runs[0].RunID, nil
}
