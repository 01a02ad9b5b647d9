package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// newJob turns a manifest into the run's Job: deterministic name, the run's
// namespace, labels and controller reference; the manifest's own labels,
// annotations and spec are kept.
func (c *Controller) newJob(u *unit) *batchv1.Job {
	src := u.manifest.Job
	job := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        u.name,
			Namespace:   c.ns,
			Labels:      c.runLabels(u, src.Labels),
			Annotations: map[string]string{},
			// Held until the record knows the Job (finalizer.go).
			Finalizers: withFinalizer(src.Finalizers),
		},
		Spec: *src.Spec.DeepCopy(),
	}
	if q := c.queueOf(u); q != "" {
		job.Labels[runmeta.QueueLabel] = q // on the Job only: its pods are the Job's, not the queue's
	}
	if !c.jobTmpl.dryRun { // a dry run's Jobs have no owner: there is no run record
		job.OwnerReferences = []metav1.OwnerReference{c.jobTmpl.ownerRef}
	}
	injectEnv(&job.Spec.Template.Spec, c.jobEnv(u))
	for k, v := range src.Annotations {
		job.Annotations[k] = v
	}
	job.Annotations[runmeta.AnnotationManifest] = u.manifest.RelPath
	job.Annotations[runmeta.AnnotationManifestHash] = c.jobTmpl.manifestHash[u.manifest]
	// Pods carry the run's labels too: `kubectl logs -l jobernetes.io/run=ID`.
	job.Spec.Template.Labels = c.runLabels(u, job.Spec.Template.Labels)
	return job
}

// withFinalizer is a manifest's finalizers and the run's.
func withFinalizer(own []string) []string {
	if slices.Contains(own, runmeta.FinalizerUnrecorded) {
		return own
	}
	return append(slices.Clip(own), runmeta.FinalizerUnrecorded)
}

// queueOf is the Kueue LocalQueue of u's Job: its job's `queue`, else the
// model's; "" for none.
func (c *Controller) queueOf(u *unit) string {
	if u.job.Queue != "" {
		return u.job.Queue
	}
	return c.model.Options.Queue
}

func (c *Controller) runLabels(u *unit, base map[string]string) map[string]string {
	l := make(map[string]string, len(base)+4)
	for k, v := range base {
		l[k] = v
	}
	l[runmeta.LabelRun] = c.runID
	l[runmeta.LabelJob] = u.job.Name
	l[runmeta.LabelPhase] = u.job.Phase
	l[runmeta.LabelManagedBy] = runmeta.ManagedBy
	if u.revert {
		l[runmeta.LabelRevert] = "true"
	}
	if u.attempt > 1 {
		l[runmeta.LabelAttempt] = strconv.Itoa(int(u.attempt))
	}
	if cb := u.manifest.Matrix; cb != nil && !u.revert {
		l[runmeta.LabelMatrix] = strconv.Itoa(cb.Index)
	}
	return l
}

// createJobs creates the given units' Jobs concurrently. AlreadyExists means
// an earlier orchestrator of this run got there first: adopt the Job if it is
// ours, fail the run if someone else's Job holds the name.
func (c *Controller) createJobs(ctx context.Context, todo []*unit) error {
	var mu sync.Mutex
	var transient []error
	workqueue.ParallelizeUntil(ctx, c.opts.CreateWorkers, len(todo), func(i int) {
		u := todo[i]
		crashPoint("before-create", u)
		created, err := c.createOrAdopt(ctx, u)
		if err == nil {
			crashPoint("after-create", u)
		}
		mu.Lock()
		defer mu.Unlock()
		if err := c.noteCreate(ctx, u, created, err); err != nil {
			transient = append(transient, err)
		}
	})
	if err := errors.Join(transient...); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			return fe
		}
		return err
	}
	return nil
}

// refusal is a create that can never succeed: the job fails with it.
type refusal struct{ reason, message string }

func (r *refusal) Error() string { return r.reason + ": " + r.message }

// createOrAdopt creates u's Job. One that exists already is adopted when it
// is this run's (an earlier orchestrator created it), refused otherwise.
func (c *Controller) createOrAdopt(ctx context.Context, u *unit) (*batchv1.Job, error) {
	jobs := c.client.BatchV1().Jobs(c.ns)
	created, err := jobs.Create(ctx, c.newJob(u), metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return created, err
	}
	created, err = jobs.Get(ctx, u.name, metav1.GetOptions{})
	switch {
	case err != nil:
		return nil, err
	case !c.isOurs(created):
		return nil, &refusal{"NameTaken", fmt.Sprintf("a Job named %s/%s already exists and was not created by this run", c.ns, u.name)}
	case created.Labels[runmeta.LabelRun] != c.runID:
		// Ours, but its run label was removed or changed while no
		// orchestrator ran: the filtered informer will never show it, so
		// adopting it would wait for it forever. It is returned so that its
		// finalizer is released once the record holds the failure.
		return created, &refusal{"Deleted", fmt.Sprintf("Job %s/%s left the run: its label %s=%s was removed or changed by someone other than this run",
			c.ns, u.name, runmeta.LabelRun, c.runID)}
	}
	klog.FromContext(ctx).V(2).Info("Adopted existing Job of the run", "job", klog.KObj(created))
	return created, nil
}

// noteCreate applies a create's outcome to u (the caller holds the lock);
// it returns the errors that a later sync may get past.
func (c *Controller) noteCreate(ctx context.Context, u *unit, created *batchv1.Job, err error) error {
	var ref *refusal
	switch {
	case err == nil:
		c.tracker.expectCreation(created.Name, c.now())
		c.queue.AddAfter(c.runID, expectationTimeout+time.Second)
		c.setState(u, unitActive)
		c.observeQueued(u, created) // Kueue's webhook suspends it as it is created
		u.uid = created.UID
		c.noteFinalizer(u, created)
		u.created = c.now()
		if ct := created.CreationTimestamp.Time; !ct.IsZero() && c.now().Sub(ct) > 2*time.Second {
			u.created = created.CreationTimestamp.Time // adopted: created by an earlier process
		}
		klog.FromContext(ctx).V(2).Info("Created Job", "job", klog.KObj(created), "node", u.job.Name)
		if c.opts.Recorder != nil && !c.opts.SkipJobEvents {
			c.opts.Recorder.Eventf(created, corev1.EventTypeNormal, "Created",
				"Created by jobernetes run %s for job %s of phase %s", c.runID, u.job.Name, u.job.Phase)
		}
	case errors.As(err, &ref):
		c.setState(u, unitFailed)
		u.reason, u.message = ref.reason, ref.message
		if created != nil { // ours, left the run
			u.uid = created.UID
			c.noteFinalizer(u, created)
		}
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		// The manifest passed validation but the API server refuses it:
		// permanent, so the job fails instead of being retried forever.
		c.setState(u, unitFailed)
		u.reason = "CreateRejected"
		u.message = fmt.Sprintf("the API server rejected the Job from %s: %v", u.manifest.Path, err)
	case apierrors.IsForbidden(err) && !strings.Contains(err.Error(), "exceeded quota"):
		return &fatalError{runmeta.ClusterError("create Job "+u.name, err)}
	default:
		return fmt.Errorf("create Job %s/%s: %w", c.ns, u.name, err)
	}
	return nil
}
