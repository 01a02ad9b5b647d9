package controller

import (
	"context"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// A retry (--retry-failed) runs a failed run again under the next attempt.
// Exactly once holds across attempts: a job whose Job of an earlier attempt
// succeeded, or is still running, keeps that Job (its name, its result);
// only the others get a Job of the new attempt, and a Job still being
// deleted (abort) is waited for before its successor can be created. The
// names chosen are written to the record's plan before anything is created,
// so a resume of an interrupted retry acts on the same Jobs.

// setAttempts gives each unit the attempt of the Job that stands for it:
// keep's, else the run's current attempt.
func (c *Controller) setAttempts(keep map[*unit]int) {
	for _, u := range c.units {
		u.attempt = int32(c.attempt)
		if a, ok := keep[u]; ok {
			u.attempt = int32(a)
		}
	}
	c.renameUnits()
}

// attemptsFromPlan reads, on a resume, which attempt's Job each unit stands
// for from the names the record's plan holds.
func (c *Controller) attemptsFromPlan() map[*unit]int {
	planned := map[string]bool{}
	for _, pj := range c.rec().Plan {
		for _, name := range pj.KubernetesJobs {
			planned[name] = true
		}
		if pj.Revert != "" {
			planned[pj.Revert] = true
		}
	}
	keep := map[*unit]int{}
	for _, u := range c.units {
		for a := c.attempt - 1; a >= 1; a-- {
			if planned[runmeta.AttemptJobName(c.runID, u.job, u.manifest, a, u.revert)] {
				keep[u] = a
				break
			}
		}
	}
	return keep
}

// retry turns a failed run into a running one under the next attempt.
func (c *Controller) retry(ctx context.Context) error {
	prev := c.attempt
	keep, err := c.carryOver(ctx, prev)
	if err != nil {
		return err
	}
	c.attempt++
	c.setAttempts(keep)
	c.restoreFromRecord()
	plan := c.plan()
	err = c.store.Update(ctx, record.Change{Plan: plan, Run: func(rec *record.Record) {
		rec.Attempts = append(slices.Clip(rec.Attempts), record.AttemptRecord{
			Attempt: prev, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt,
			Result: rec.Result, Message: rec.Message,
		})
		rec.Attempt = c.attempt
		rec.Result, rec.Message, rec.FinishedAt = record.ResultRunning, "", 0
		rec.StartedAt = c.now().UnixMilli()
		rec.Fingerprint = Fingerprint(c.model) // fixed manifests of the same DAG
	}})
	if err != nil {
		return runmeta.ClusterError("start retry of the run", err)
	}
	c.start = c.now()
	return nil
}

// carryOver decides, for every unit, whether the retry keeps a Job of an
// earlier attempt: a main Job that succeeded and was not reverted, or any
// Job that was still running when its attempt ended (the record says
// Created) and still is, or has succeeded since. It is the only place a
// retry reads Jobs from the API server: one GET per Job left running.
func (c *Controller) carryOver(ctx context.Context, prev int) (map[*unit]int, error) {
	keep := map[*unit]int{}
	for _, u := range c.units {
		for a := prev; a >= 1; a-- {
			name := runmeta.AttemptJobName(c.runID, u.job, u.manifest, a, u.revert)
			jr, ok := c.rec().Jobs[name]
			if !ok {
				continue
			}
			switch jr.Result {
			case record.JobSucceeded:
				if !u.revert && !c.reverted(u, a) {
					keep[u] = a
				}
			case record.JobCreated:
				kept, err := c.keepUnfinished(ctx, u, name, a)
				if err != nil {
					return nil, err
				}
				if kept {
					keep[u] = a
				}
			}
			break
		}
	}
	return keep, nil
}

// reverted: the revert Job of u's node succeeded in attempt a.
func (c *Controller) reverted(u *unit, a int) bool {
	r := c.nodes[u.node].revert
	if r == nil {
		return false
	}
	rr, ok := c.rec().Jobs[runmeta.AttemptJobName(c.runID, r.job, r.manifest, a, true)]
	return ok && rr.Result == record.JobSucceeded
}

// keepUnfinished looks at a Job that an earlier attempt left running. A
// Job still running, or that has succeeded since, stands for its unit in
// the retry. One that is being deleted is waited for, so that its successor
// never runs beside it; one that failed or is gone is run again.
func (c *Controller) keepUnfinished(ctx context.Context, u *unit, name string, attempt int) (bool, error) {
	logger := klog.FromContext(ctx)
	jobs := c.client.BatchV1().Jobs(c.ns)
	j, err := jobs.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, runmeta.ClusterError("read Job "+name, err)
	}
	if ref := metav1.GetControllerOfNoCopy(j); ref == nil || ref.UID != c.store.Meta().UID || j.Labels[runmeta.LabelRun] != c.runID {
		return false, nil // not the run's any more: the resume rules report it
	}
	if j.DeletionTimestamp != nil {
		// The record holds it (Created): its finalizer has done its work,
		// and without it the Job goes.
		if err := runmeta.ReleaseFinalizer(ctx, jobs, name, j.UID); err != nil {
			return false, runmeta.ClusterError("release Job "+name, err)
		}
		c.note(runmeta.NoteWaiting, "waiting for Job %s/%s (attempt %d) to be deleted before its job %s runs again\n", c.ns, name, attempt, u.job.Name)
		logger.Info("Waiting for a deleted Job of an earlier attempt to be gone", "job", klog.KObj(j))
		err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			cur, err := jobs.Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return err == nil && cur.UID != j.UID, nil // other errors: ask again
		})
		if err != nil {
			return false, runmeta.ClusterError("wait for Job "+name+" to be deleted", err)
		}
		return false, nil
	}
	cond := runmeta.FinishedCondition(j)
	if cond != nil && cond.Type == batchv1.JobFailed {
		return false, nil
	}
	if cond == nil {
		u.keptRunning = true
		u.said.state = unitActive // said here, not as "created"
		c.note(runmeta.NoteKept, "kept      %s/%s (Job %s): running since attempt %d\n", u.job.Phase, u.job.Name, name, attempt)
		if have, want := j.Annotations[runmeta.AnnotationManifestHash], c.jobTmpl.manifestHash[u.manifest]; have != want {
			c.note(runmeta.NoteWarning, "warning: %s of job %s changed since attempt %d; its running Job keeps the old spec (to run the new one, delete Job %s/%s and retry again)\n",
				u.manifest.RelPath, u.job.Name, attempt, c.ns, name)
		}
	}
	return true, nil
}
