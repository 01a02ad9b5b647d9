package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
)

type logsOptions struct {
	kubeFlags
	streams    genericiooptions.IOStreams
	runID      string
	follow     bool
	tail       int64
	since      time.Duration
	container  string
	timestamps bool
	noColor    bool
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
	cmd.Flags().Int64Var(&o.tail, "tail", -1, "lines of each container's log to show from its end (-1: all)")
	cmd.Flags().DurationVar(&o.since, "since", 0, "only lines newer than this (5s, 2m, 3h)")
	cmd.Flags().StringVarP(&o.container, "container", "c", "", "only this container of each pod (default: all)")
	cmd.Flags().BoolVar(&o.timestamps, "timestamps", false, "start every line with its RFC3339 timestamp")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "plain prefixes even on a terminal (so does the NO_COLOR environment variable)")
	o.configFlags.AddFlags(cmd.Flags())
	return cmd
}

func (o *logsOptions) run(ctx context.Context, args []string) error {
	if o.tail < -1 {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--tail %d: want -1 (all), 0 or more", o.tail)}
	}
	if o.since < 0 {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--since %s: want a positive duration", o.since)}
	}
	if o.runID != "" {
		if err := controller.ValidateRunID(o.runID); err != nil {
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
		return runLookupError(err)
	}
	jobs, err := selectJobs(st.Jobs, args)
	if err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	color := !o.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && render.TerminalFile(o.streams.Out) != nil
	p := newLogPrinter(o.streams.Out, jobs, color)
	if err := p.sayGone(ctx, client, ns, runID); err != nil {
		return &ExitError{Code: ExitCluster, Err: err}
	}
	s := &logStreamer{client: client, ns: ns, runID: runID, printer: p, opts: o, errOut: o.streams.ErrOut}
	if o.follow {
		err = s.follow(ctx)
	} else {
		err = s.once(ctx)
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

// selectJobs keeps the Jobs of the jobs named (JOB or PHASE/JOB), all of
// them without names; a name that is no job of the run is an error.
func selectJobs(all []report.JobStatus, names []string) ([]report.JobStatus, error) {
	var out []report.JobStatus
	for _, js := range all {
		if js.KubernetesJob == "" {
			continue
		}
		if len(names) == 0 {
			out = append(out, js)
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	for _, name := range names {
		found := false
		for _, js := range all {
			job := strings.TrimSuffix(js.Job, " (revert)")
			if js.KubernetesJob != "" && (name == job || name == js.Phase+"/"+job) {
				out = append(out, js)
				found = true
			}
		}
		if !found && !knownJob(all, name) {
			return nil, fmt.Errorf("no job %q in the run", name)
		}
	}
	return out, nil
}

// knownJob: the run has the job, though it has no Job (yet).
func knownJob(all []report.JobStatus, name string) bool {
	for _, js := range all {
		if name == js.Job || name == js.Phase+"/"+js.Job {
			return true
		}
	}
	return false
}
