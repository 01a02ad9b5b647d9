package controller

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// PlannedJob is one Kubernetes Job a run would create, as `run --dry-run`
// shows and checks it.
type PlannedJob struct {
	Phase    string
	Job      string
	Manifest string // the manifest file, as the user would type it
	Revert   bool   // the compensating Job of Job, created only if the run fails
	Object   *batchv1.Job
}

// PlanJobs builds every Job of a run (its reverts included) exactly as the
// run creates them: same names, namespace, labels, annotations and env,
// but without the owner reference to the run record, which a dry run does
// not create. opts.Namespace, RunID and Model are used; the run is taken at
// its first attempt.
func PlanJobs(opts Options) ([]PlannedJob, error) {
	if err := runmeta.ValidateRunID(opts.RunID); err != nil {
		return nil, err
	}
	c := &Controller{opts: opts, ns: opts.Namespace, runID: opts.RunID, model: opts.Model, workerState: workerState{jobTmpl: jobTemplate{dryRun: true}}}
	c.buildUnits()
	out := make([]PlannedJob, 0, len(c.units))
	for _, u := range c.units {
		out = append(out, PlannedJob{Phase: u.job.Phase, Job: u.job.Name, Manifest: u.manifest.Path, Revert: u.revert, Object: c.newJob(u)})
	}
	return out, nil
}

// Refusal is a Job the API server would not create.
type Refusal struct {
	PlannedJob
	Err error
}

// DryRunCreate sends every Job as a create with dryRun=All, so that the API
// server runs validation and every admission step (quota, PodSecurity,
// LimitRange, webhooks, RBAC, name clashes) and persists nothing. It
// returns every refusal, in the order of jobs.
func DryRunCreate(ctx context.Context, client kubernetes.Interface, jobs []PlannedJob, workers int) []Refusal {
	logger := klog.FromContext(ctx)
	errs := make([]error, len(jobs)) // each worker writes its own index
	workqueue.ParallelizeUntil(ctx, max(workers, 1), len(jobs), func(i int) {
		j := jobs[i].Object
		_, err := client.BatchV1().Jobs(j.Namespace).Create(ctx, j, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		logger.V(2).Info("Dry-run create", "job", klog.KObj(j), "err", err)
		errs[i] = err
	})
	var out []Refusal
	for i, err := range errs {
		if err == nil && ctx.Err() != nil {
			err = ctx.Err() // not reached before the context ended
		}
		if err != nil {
			out = append(out, Refusal{PlannedJob: jobs[i], Err: err})
		}
	}
	return out
}
