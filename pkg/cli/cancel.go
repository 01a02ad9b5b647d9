package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/controller"
)

// cancelTimeout bounds how long cancel keeps deleting Jobs that an
// orchestrator creates before it learns of the cancel.
const cancelTimeout = 30 * time.Second

type cancelOptions struct {
	kubeFlags
	streams genericiooptions.IOStreams
	runID   string
	reason  string
}

func newCancelCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &cancelOptions{kubeFlags: newKubeFlags(), streams: streams}
	cmd := &cobra.Command{
		Use:   "cancel --run-id ID [--reason TEXT] [-n NS]",
		Short: "Stop a running run from anywhere: nothing more is created, its active Jobs are deleted",
		Long: `Cancel records in the run's record that the run is cancelled, then deletes
its active Jobs (propagationPolicy Background: their pods go too). The
orchestrator driving the run, on this machine or in a CronJob's Pod, sees its
Jobs go, reads the cancel and exits 1 ("cancelled"); it creates nothing more.
Succeeded and failed Jobs are kept. Resuming a cancelled run is refused (exit 2)
unless --retry-failed is given, which runs its unfinished part again.

Exit codes: 0 cancelled; 2 invalid usage, no such run, or the run has already
finished; 3 cluster error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	cmd.Flags().StringVar(&o.runID, "run-id", "", "the run to cancel (required)")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why: recorded, and printed by the orchestrator and status")
	_ = cmd.MarkFlagRequired("run-id")
	o.addFlags(cmd)
	return cmd
}

func (o *cancelOptions) run(ctx context.Context) error {
	client, err := o.clientFor(o.runID)
	if err != nil {
		return err
	}
	ns := o.namespace()
	n, err := controller.CancelRun(ctx, client, ns, o.runID, o.reason, time.Now(), cancelTimeout)
	if err != nil {
		return exitError(err)
	}
	fmt.Fprintf(o.streams.Out, "run %s in namespace %s cancelled; %d active Job(s) deleted\n", o.runID, ns, n)
	return nil
}
