package controller

import (
	"context"

	"errors"
	"fmt"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// ErrRecordRefused says the API server refuses the run record for good (too
// large for one ConfigMap); the run stops instead of retrying forever.
var ErrRecordRefused = errors.New("the API server refuses the run record")

// recordAndCleanup writes newly finished Jobs into the run record, at most
// once per RecordInterval (so record writes are bounded by the run's length,
// not its size), and only then deletes the succeeded ones when cleanup is on:
// a Job is never deleted before the record remembers it.
func (c *Controller) recordAndCleanup(ctx context.Context, done bool) error {
	newly := c.unrecorded()
	recNow := c.flow.recNow
	c.flow.recNow = false
	if recNow {
		c.queue.Add(c.runID) // the job that waits for the write starts next
	}
	if len(newly) > 0 || done {
		if wait := c.opts.RecordInterval - c.now().Sub(c.work.lastWrite); !done && !recNow && wait > 0 {
			c.queue.AddAfter(c.runID, wait)
		} else if err := c.writeRecord(ctx, newly, done); err != nil {
			return err
		}
	}
	if err := c.releaseFinalizers(ctx, !done); err != nil {
		return err
	}
	if c.model.Options.Cleanup {
		return c.deleteFinished(ctx, !done)
	}
	return nil
}

// unrecorded are the units whose news the record lacks: finished, or
// created (written behind the create: see record.JobCreated).
func (c *Controller) unrecorded() []*unit {
	var newly []*unit
	for _, u := range c.liveUnits() {
		if !u.inRecord.final && !u.said.tailsDue && (u.state == unitSucceeded || u.state == unitFailed || u.state == unitSkipped) {
			newly = append(newly, u)
		}
		if u.state == unitActive && !u.inRecord.created && u.uid != "" {
			newly = append(newly, u)
		}
	}
	return newly
}

// writeRecord records newly finished (or newly created) units and, when
// done, the run's result. A recorded cancel stands: the run learns of it
// here if `jobernetes cancel` wrote it since.
func (c *Controller) writeRecord(ctx context.Context, newly []*unit, done bool) error {
	jobs := make(map[string]*record.JobRecord, len(newly))
	for _, u := range newly {
		jobs[u.name] = c.jobRecord(u)
	}
	err := c.store.Update(ctx, record.Change{Jobs: jobs, Run: func(rec *record.Record) {
		if rec.Result == record.ResultCancelled {
			c.noteCancel(rec.Message)
			c.queue.Add(c.runID)
			return
		}
		if done {
			rec.FinishedAt = c.now().UnixMilli()
			rec.Result, rec.Message = c.runResult()
		}
	}})
	if err != nil {
		return c.recordWriteError(err)
	}
	c.work.lastWrite = c.now()
	for _, u := range newly {
		if u.state == unitActive {
			u.inRecord.created = true
		} else {
			u.inRecord.final = true
		}
	}
	klog.FromContext(ctx).V(2).Info("Wrote run record", "run", c.runID, "newJobs", len(newly), "done", done)
	return nil
}

// runResult is what the record says of a run that has ended.
func (c *Controller) runResult() (result, message string) {
	switch {
	case c.end.cancelled:
		return record.ResultCancelled, c.end.cancelMsg
	case c.end.failure != nil:
		return record.ResultFailed, c.failureMessage()
	}
	return record.ResultSucceeded, ""
}

// recordWriteError sorts a failed record write: the cluster forbids it, the
// API server refuses it for good, or it may pass on a later sync.
func (c *Controller) recordWriteError(err error) error {
	name := c.store.Meta().Name
	switch {
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return &fatalError{runmeta.ClusterError("write run record", err)}
	case apierrors.IsInvalid(err) || apierrors.IsRequestEntityTooLargeError(err):
		// Refused for good (an admission policy, an object too large):
		// retrying would spin forever while the run's last Jobs go
		// unrecorded. What is recorded stays; a resume goes on from there.
		return &fatalError{fmt.Errorf("%w: %s/%s, with %d Jobs recorded: %v; the run's Jobs are left as they are; once the cause is fixed, resume the run with: jobernetes run -f %s -n %s --run-id %s",
			ErrRecordRefused, c.ns, name, len(c.rec().Jobs), err, c.model.Path, c.ns, c.runID)} //nolint:errorlint // the cause is text on purpose: only ErrRecordRefused is matched
	}
	return fmt.Errorf("write run record %s/%s: %w", c.ns, name, err)
}

// deleter runs cleanup's deletes in the background: they are off the DAG's
// critical path, and a sync that waited for them made the next completion's
// creates wait too (reaction p99 at 1,000 Jobs: 151 ms without cleanup,
// 211-272 ms with synchronous deletes). The releases of the run's
// finalizer (finalizer.go) go the same way. Only the sync goroutine touches
// units; a failed delete or release comes back through a handback.
type deleter struct {
	wg         sync.WaitGroup    // deletes and releases in flight: Run waits for them
	failed     handback[*unit]   // deletes that failed
	unreleased handback[release] // releases that failed
	orphans    []release         // the full sync's recorded Jobs that are no units: to release
}

// handback carries background work that failed back to the sync goroutine.
type handback[T any] struct {
	mu    sync.Mutex
	items []T
	errs  []error
}

func (h *handback[T]) add(item T, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.items = append(h.items, item)
	h.errs = append(h.errs, err)
}

// take empties h: what failed since the last call, and why.
func (h *handback[T]) take() ([]T, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	items, err := h.items, errors.Join(h.errs...)
	h.items, h.errs = nil, nil
	return items, err
}

func (h *handback[T]) pending() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.items) > 0
}

// takeFailed hands the deletes that failed since the last call back to the
// sync, which calls it, so that it issues them again: their units, live
// again (work.go), and their errors.
func (c *Controller) takeFailed() error {
	failed, err := c.deletes.failed.take()
	for _, u := range failed {
		u.deleteIssued.cleanup = false
		c.touch(u)
	}
	return err
}

// deleteFinished deletes recorded, succeeded Jobs still in the cache.
// Failed Jobs are kept for their logs. With async the deletes go on in the
// background and a failed one is issued again by a later sync; the run's
// last sync waits for them and returns their errors.
func (c *Controller) deleteFinished(ctx context.Context, async bool) error {
	if !async {
		c.deletes.wg.Wait()
	}
	if lastErr := c.takeFailed(); lastErr != nil {
		klog.FromContext(ctx).Info("Deleting finished Jobs failed; trying again", "run", c.runID, "err", lastErr)
	}
	type victim struct {
		u   *unit
		uid string
		job *batchv1.Job
	}
	var todo []victim
	for _, u := range c.liveUnits() {
		if !u.inRecord.final || u.state != unitSucceeded || u.deleteIssued.cleanup {
			continue
		}
		j, err := c.cache.jobs.Jobs(c.ns).Get(u.name)
		if err != nil || !c.isOurs(j) || j.DeletionTimestamp != nil {
			continue
		}
		u.deleteIssued.cleanup = true
		todo = append(todo, victim{u, string(j.UID), j})
	}
	if len(todo) == 0 {
		return nil
	}
	work := func() {
		workqueue.ParallelizeUntil(ctx, c.opts.CreateWorkers, len(todo), func(i int) {
			c.deleteSucceeded(ctx, todo[i].u, todo[i].uid, todo[i].job)
		})
	}
	if !async {
		work()
		return c.takeFailed()
	}
	c.deletes.wg.Add(1)
	go func() {
		defer c.deletes.wg.Done()
		work()
		if c.deletes.failed.pending() {
			c.queue.AddRateLimited(c.runID)
		}
	}()
	return nil
}

// deleteSucceeded deletes one recorded, succeeded Job (Background: its pods
// go too); a failure is handed back to the sync through c.deletes.
func (c *Controller) deleteSucceeded(ctx context.Context, u *unit, uid string, job *batchv1.Job) {
	err := c.client.BatchV1().Jobs(c.ns).Delete(ctx, u.name, backgroundDelete(typesUID(uid)))
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		c.deletes.failed.add(u, fmt.Errorf("delete Job %s/%s: %w", c.ns, u.name, err))
		return
	}
	if err == nil && c.opts.Recorder != nil && !c.opts.SkipJobEvents {
		c.opts.Recorder.Eventf(job, corev1.EventTypeNormal, "Deleted",
			"Deleted by jobernetes run %s after it succeeded (cleanup, propagationPolicy Background)", c.runID)
	}
}
