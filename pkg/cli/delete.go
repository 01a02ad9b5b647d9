package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runctl"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

type deleteOptions struct {
	kubeFlags
	streams   genericiooptions.IOStreams
	runID     string
	force     bool
	finished  bool
	olderThan time.Duration
	timeout   time.Duration
}

func newDeleteCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &deleteOptions{kubeFlags: newKubeFlags(), streams: streams}
	cmd := &cobra.Command{
		Use:   "delete (--run-id ID [--force] | --finished [--older-than D]) [-n NS]",
		Short: "Remove a finished run: its record, and through it its Jobs, pods and Lease",
		Long: `Delete removes a run's record (ConfigMap jobernetes-run-<ID>); the garbage
collector then removes every Job of the run, their pods and the run's Lease,
which the record owns. It waits until the run's Jobs are gone (--timeout).

A running run is refused (exit 2) unless --force, which cancels it first
(see jobernetes cancel). --finished deletes every finished run of the namespace
(succeeded, failed or cancelled), or with --older-than D only those that
finished more than D ago (for example 168h): a pruning job for a CronJob.

Exit codes: 0 deleted; 2 invalid usage, no such run, or the run is running
(without --force); 3 cluster error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	cmd.Flags().StringVar(&o.runID, "run-id", "", "the run to delete")
	cmd.Flags().BoolVar(&o.force, "force", false, "cancel a running run first, then delete it")
	cmd.Flags().BoolVar(&o.finished, "finished", false, "delete every finished run of the namespace")
	cmd.Flags().DurationVar(&o.olderThan, "older-than", 0, "with --finished: only runs that finished more than this long ago")
	cmd.Flags().DurationVar(&o.timeout, "timeout", time.Minute, "how long to wait for the run's Jobs to be gone (0: do not wait)")
	cmd.MarkFlagsMutuallyExclusive("run-id", "finished")
	cmd.MarkFlagsOneRequired("run-id", "finished")
	o.addFlags(cmd)
	return cmd
}

func (o *deleteOptions) run(ctx context.Context) error {
	if o.olderThan != 0 && !o.finished {
		return &ExitError{Code: ExitInvalid, Err: errors.New("--older-than goes with --finished")}
	}
	client, err := o.clientFor(o.runID)
	if err != nil {
		return err
	}
	ns := o.namespace()
	if o.finished {
		return o.prune(ctx, client, ns)
	}
	err = runctl.DeleteRun(ctx, client, ns, o.runID, o.timeout)
	var running *runmeta.RunningError
	if errors.As(err, &running) && o.force {
		if _, err = runctl.CancelRun(ctx, client, ns, o.runID, "deleted with --force", time.Now(), cancelTimeout); err != nil {
			return exitError(err)
		}
		fmt.Fprintf(o.streams.Out, "run %s in namespace %s cancelled\n", o.runID, ns)
		err = runctl.DeleteRun(ctx, client, ns, o.runID, o.timeout)
	}
	if errors.As(err, &running) {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	if err != nil {
		return exitError(err)
	}
	fmt.Fprintf(o.streams.Out, "run %s in namespace %s deleted\n", o.runID, ns)
	return nil
}

// prune deletes the namespace's finished runs, older than --older-than.
func (o *deleteOptions) prune(ctx context.Context, client kubernetes.Interface, ns string) error {
	runs, err := report.ListRuns(ctx, client, ns)
	if err != nil {
		return &ExitError{Code: ExitCluster, Err: err}
	}
	cutoff := time.Now().Add(-o.olderThan)
	n := 0
	for _, r := range runs {
		if r.Result == record.ResultRunning || r.FinishedAt == nil || r.FinishedAt.After(cutoff) {
			continue
		}
		err := runctl.DeleteRun(ctx, client, ns, r.RunID, o.timeout)
		var running *runmeta.RunningError
		var notFound *record.NotFoundError
		if errors.As(err, &running) || errors.As(err, &notFound) {
			continue // changed since the list: not ours to delete now
		}
		if err != nil {
			return exitError(err)
		}
		fmt.Fprintf(o.streams.Out, "run %s in namespace %s deleted (%s, finished %s)\n", r.RunID, ns, r.Result, r.FinishedAt.UTC().Format(time.RFC3339))
		n++
	}
	fmt.Fprintf(o.streams.ErrOut, "%d finished run(s) deleted\n", n)
	return nil
}
