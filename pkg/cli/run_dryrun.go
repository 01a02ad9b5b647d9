package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// dryRunWorkers bounds the dry-run creates in flight.
const dryRunWorkers = 16

// runDry handles `run --dry-run=client|server`: nothing is persisted, not
// even the run record or the Lease.
func (o *runOptions) runDry(ctx context.Context, model *config.Model, ns string, params map[string]string) error {
	runID := o.runID
	if runID == "" {
		runID = runmeta.NewRunID(modelName(model), time.Now())
	}
	jobs, err := controller.PlanJobs(controller.Options{Namespace: ns, RunID: runID, Model: model, Params: params})
	if err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	if o.dryRun == "client" {
		return o.printPlanned(jobs, model, runID, ns)
	}
	if o.output.format != "text" {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--dry-run=server prints text only; -o %s goes with --dry-run=client", o.output.format)}
	}
	_, client, err := o.newClient(model)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "server dry run of run ID %s (namespace %s): %s\n", runID, ns, render.Plural(len(jobs), "Job", "Jobs"))
	refusals := controller.DryRunCreate(ctx, client, jobs, dryRunWorkers)
	if ctx.Err() != nil {
		return &ExitError{Code: ExitInterrupted, Err: ctx.Err()}
	}
	if len(refusals) == 0 {
		fmt.Fprintf(o.streams.Out, "the API server would create all %s of the run in namespace %s (nothing was created)\n",
			render.Plural(len(jobs), "Job", "Jobs"), ns)
		return nil
	}
	cluster := 0
	for _, r := range refusals {
		var status apierrors.APIStatus
		if !errors.As(r.Err, &status) {
			cluster++ // no answer from the API server: unreachable, TLS, ...
		}
		fmt.Fprintf(o.streams.ErrOut, "%s: refused: %v\n", describePlanned(r.PlannedJob), r.Err)
	}
	err = fmt.Errorf("the API server refused %d of %s of the run (nothing was created)", len(refusals), render.Plural(len(jobs), "Job", "Jobs"))
	if cluster == len(refusals) {
		return &ExitError{Code: ExitCluster, Err: err}
	}
	return &ExitError{Code: ExitInvalid, Err: err}
}

// describePlanned names a planned Job as problems do: phase, job (revert),
// Kubernetes Job name, manifest.
func describePlanned(p controller.PlannedJob) string {
	job := p.Job
	if p.Revert {
		job += " (revert)"
	}
	return fmt.Sprintf("phase %q: job %q: Job %s: %s", p.Phase, job, p.Object.Name, p.Manifest)
}

// printPlanned prints the Jobs a run would create: a table (text), a
// multi-document YAML stream (yaml) or a List (json).
func (o *runOptions) printPlanned(jobs []controller.PlannedJob, model *config.Model, runID, ns string) error {
	w := o.streams.Out
	switch o.output.format {
	case "text":
		fmt.Fprintf(w, "run ID: %s (namespace %s, client dry run: nothing is created)\n", runID, ns)
		tw, buf := render.NewTable()
		fmt.Fprintln(tw, "PHASE\tJOB\tKUBERNETES-JOB\tMANIFEST")
		for _, p := range jobs {
			job := p.Job
			if p.Revert {
				job += " (revert)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Phase, job, p.Object.Name, p.Manifest)
		}
		for _, j := range model.Jobs() {
			if j.IsDynamic() { // its Jobs are not known before the run
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", j.Phase, j.Name, "(decided at run time from "+strings.Join(j.DynamicFrom(), " x ")+")", j.Template.Path)
			}
		}
		render.FlushTable(w, tw, buf)
		return nil
	case "yaml":
		fmt.Fprintf(o.streams.ErrOut, "run ID: %s (namespace %s, client dry run: nothing is created)\n", runID, ns)
		for i, p := range jobs {
			raw, err := yaml.Marshal(cleanJob(p.Object))
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			_, _ = w.Write(raw)
		}
		return nil
	case "json":
		fmt.Fprintf(o.streams.ErrOut, "run ID: %s (namespace %s, client dry run: nothing is created)\n", runID, ns)
		list := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{}}
		items := make([]any, len(jobs))
		for i, p := range jobs {
			items[i] = cleanJob(p.Object)
		}
		list["items"] = items
		return render.WriteJSON(w, list)
	}
	return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("unknown -o %q with --dry-run=client: use text, yaml or json", o.output.format)}
}

// cleanJob drops the empty creationTimestamp and status that a Job
// marshals with, so the output reads like a manifest.
func cleanJob(j *batchv1.Job) map[string]any {
	raw, _ := yaml.Marshal(j)
	var m map[string]any
	_ = yaml.Unmarshal(raw, &m)
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		if t, ok := spec["template"].(map[string]any); ok {
			if md, ok := t["metadata"].(map[string]any); ok {
				delete(md, "creationTimestamp")
			}
		}
	}
	return m
}
