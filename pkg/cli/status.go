package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

type statusOptions struct {
	kubeFlags
	streams genericiooptions.IOStreams
	runID   string
	output  string
	watch   bool
	all     bool
	now     func() time.Time
	// newClient makes the client; tests replace it with a fake clientset.
	newClient func() (kubernetes.Interface, error)
}

func newStatusCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &statusOptions{kubeFlags: newKubeFlags(), streams: streams, now: time.Now}
	o.newClient = o.client
	return o.command()
}

func (o *statusOptions) command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status [--run-id ID [-w]] [-n NS | -A] [-o text|json|yaml|name|jsonpath=...|mermaid|svg|html]",
		Short: "Show a run (or list the namespace's runs) from the cluster",
		Long: `Status shows a run as the cluster knows it: its record ConfigMap
(jobernetes-run-<ID>, which holds the plan and every finished Job) and its Jobs.
It works while the run is going, after it ended, and after cleanup deleted its
Jobs; it needs no model file. Every Kubernetes Job of the run is shown with its
phase, model job, state (waiting, running, succeeded, failed, skipped; later
versions may add states), start (offset from the run's start), duration and,
unless it succeeded, the reason. Revert Jobs follow as "<job> (revert)".

  -o text     a header with the run's result, then a table (the default)
  -o json     a RunStatus object (apiVersion jobernetes.io/v1alpha1): a stable
              schema for scripts; fields are only ever added under this version
  -o yaml     the same object as YAML; -o jsonpath=TEMPLATE (or
              jsonpath-file=FILE) picks fields as kubectl does, e.g.
              -o jsonpath='{.result}'
  -o name     the run's record: configmap/jobernetes-run-<ID>, for kubectl
  -o mermaid  the DAG as a Mermaid flowchart, each job coloured by its state,
              with trigger rules, reverts and the finally phase
  -o svg      a self-contained SVG timeline (Gantt chart): one row per Job,
              grouped by phase, its wait and run coloured by state, the
              critical path outlined, a time axis (status -o svg > run.svg)
  -o html     the run as one self-contained HTML file (for a CI job's
              artefacts): the page of jobernetes ui, with the DAG, each
              job's panel (diagnosis, log tail, results) and the timeline

Without --run-id, status lists the runs recorded in the namespace, newest first
(-o json|yaml: a RunList object; -o name: one record per line). The namespace is -n, else the kubeconfig context's,
else "default".

Exit codes: 0 the run (or list) was shown, whatever the run's result (read it
from the header or .result); 2 invalid usage, or no run with that ID in the
namespace; 3 cluster error (unreachable, unauthorized, forbidden, or a record
that cannot be read).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.runID, "run-id", "", "the run to show; without it, list the namespace's runs")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text, json, yaml, name, jsonpath=TEMPLATE, jsonpath-file=FILE, mermaid, svg or html")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "with --run-id: show every change until the run ends (redrawn on a terminal, one line per change when piped)")
	cmd.Flags().BoolVarP(&o.all, "all-namespaces", "A", false, "list the runs of every namespace you can read")
	o.addFlags(cmd)
	return cmd
}

func (o *statusOptions) run(ctx context.Context) error {
	format, err := render.StatusFormatFor(o.output)
	if err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	if err := o.validate(format); err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	client, err := o.newClient()
	if err != nil {
		return &ExitError{Code: ExitCluster, Err: fmt.Errorf("kubernetes client configuration: %w", err)}
	}
	ns := o.namespace()
	now := o.now()
	switch {
	case o.watch:
		return o.watchStatus(ctx, client, ns)
	case o.runID == "":
		return o.list(ctx, client, ns, format, now)
	}
	st, err := report.GetRunStatus(ctx, client, ns, o.runID, now)
	if err != nil {
		return exitError(err)
	}
	if st.Jobs == nil {
		st.Jobs = []report.JobStatus{}
	}
	return format.Run(o.streams.Out, st, now)
}

// validate checks the flags together, before any client is made.
func (o *statusOptions) validate(format render.StatusFormat) error {
	if format.List == nil && o.runID == "" {
		return fmt.Errorf("-o %s needs --run-id", o.output)
	}
	if o.runID != "" {
		if err := runmeta.ValidateRunID(o.runID); err != nil {
			return err
		}
	}
	switch {
	case o.watch && (o.runID == "" || o.output != "text"):
		return errors.New("--watch needs --run-id and text output")
	case o.all && o.runID != "":
		return errors.New("--all-namespaces lists runs: it does not go with --run-id")
	}
	return nil
}

// list shows the runs of namespace ns, or of every namespace with -A.
func (o *statusOptions) list(ctx context.Context, client kubernetes.Interface, ns string, format render.StatusFormat, now time.Time) error {
	var runs []report.RunSummary
	var err error
	if o.all {
		ns = ""
		runs, err = report.ListAllRuns(ctx, client)
	} else {
		runs, err = report.ListRuns(ctx, client, ns)
	}
	if err != nil {
		return &ExitError{Code: ExitCluster, Err: err}
	}
	if format.Human && len(runs) == 0 {
		if ns == "" {
			fmt.Fprintln(o.streams.ErrOut, "No runs found.")
		} else {
			fmt.Fprintf(o.streams.ErrOut, "No runs found in namespace %s.\n", ns)
		}
		return nil
	}
	return format.List(o.streams.Out, report.NewRunList(ns, runs), now)
}
