package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/pkg/version"
)

// kubeFlags are kubectl's cluster flags (--kubeconfig, --context, -n, ...)
// for the commands that act on runs in the cluster.
type kubeFlags struct {
	configFlags *genericclioptions.ConfigFlags
}

func newKubeFlags() kubeFlags {
	return kubeFlags{configFlags: genericclioptions.NewConfigFlags(true)}
}

// clientFor checks runID (when given) and makes the client, as exit errors.
func (k kubeFlags) clientFor(runID string) (kubernetes.Interface, error) {
	if runID != "" {
		if err := runmeta.ValidateRunID(runID); err != nil {
			return nil, &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	client, err := k.client()
	if err != nil {
		return nil, &ExitError{Code: ExitCluster, Err: fmt.Errorf("kubernetes client configuration: %w", err)}
	}
	return client, nil
}

func (k kubeFlags) client() (kubernetes.Interface, error) {
	cfg, err := k.configFlags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "jobernetes/" + version.Version
	return kubernetes.NewForConfig(cfg)
}

// namespace: -n, else the kubeconfig context's (or the Pod's), else default.
func (k kubeFlags) namespace() string {
	if k.configFlags.Namespace != nil && *k.configFlags.Namespace != "" {
		return *k.configFlags.Namespace
	}
	if ns, _, err := k.configFlags.ToRawKubeConfigLoader().Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}

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
	o.configFlags.AddFlags(cmd.Flags())
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
		return runLookupError(err)
	}
	fmt.Fprintf(o.streams.Out, "run %s in namespace %s cancelled; %d active Job(s) deleted\n", o.runID, ns, n)
	return nil
}

// runLookupError maps the errors of acting on a run to exit codes.
func runLookupError(err error) error {
	var notFound *record.NotFoundError
	var finished *controller.FinishedError
	if errors.As(err, &notFound) || errors.As(err, &finished) {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	return &ExitError{Code: ExitCluster, Err: err}
}
