package controller

import (
	"context"
	"errors"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Every Job of the run is created with runmeta.FinalizerUnrecorded and
// keeps it until the run record holds it (Created, or final): a Job deleted
// before that stays, terminating, and the next sync, of this process or of
// a resume, fails its job instead of creating it again (terminating). The
// removal is a patch per Job, issued after the record write that made it
// unneeded, in the background like cleanup's deletes (cleanup.go): off the
// DAG's critical path, and joined to Run's wait.

// release is one Job whose finalizer is to go: a unit's, or (u nil) a Job
// of the run that is no unit of this attempt and that the record holds.
type release struct {
	u    *unit
	name string
	uid  types.UID
}

// noteFinalizer: u's Job j carries the finalizer; unless its removal was
// issued already, it is to be released once the record knows the Job.
func (c *Controller) noteFinalizer(u *unit, j *batchv1.Job) {
	if u.fin == finNone && runmeta.HasFinalizer(j) {
		u.fin = finHeld
		c.touch(u)
	}
}

// noteCachedFinalizer is the full sync's look at a Job of the cache: a
// unit's Job that still carries the finalizer (an earlier process, killed
// before it released it) is noted; a recorded Job that is no unit (an
// earlier attempt's, a matrix Job not yet expanded) is released as it is.
// An unrecorded one that is no unit is left alone: a dynamic matrix
// expanded later makes it a unit, and observe notes it then.
func (c *Controller) noteCachedFinalizer(j *batchv1.Job) {
	if !runmeta.HasFinalizer(j) || !c.isOurs(j) {
		return
	}
	if i, ok := c.byName[j.Name]; ok {
		c.noteFinalizer(c.units[i], j)
		return
	}
	if rec := c.rec(); rec != nil && rec.Jobs[j.Name] != nil {
		c.deletes.orphans = append(c.deletes.orphans, release{name: j.Name, uid: j.UID})
	}
}

// releaseFinalizers removes the finalizer from every Job the record now
// knows. With async the patches go on in the background and a failed one
// is issued again by a later sync; the run's last sync waits for them and
// returns their errors.
func (c *Controller) releaseFinalizers(ctx context.Context, async bool) error {
	if !async {
		c.deletes.wg.Wait()
	}
	if err := c.takeUnreleased(); err != nil {
		klog.FromContext(ctx).Info("Releasing the finalizer of Jobs failed; trying again", "run", c.runID, "err", err)
	}
	todo := c.deletes.orphans
	c.deletes.orphans = nil
	for _, u := range c.liveUnits() {
		if u.fin == finHeld && (u.inRecord.created || u.inRecord.final) {
			u.fin = finReleased
			todo = append(todo, release{u: u, name: u.name, uid: u.uid})
		}
	}
	return c.issueReleases(ctx, todo, async)
}

// issueReleases removes the finalizer from todo's Jobs (see
// releaseFinalizers).
func (c *Controller) issueReleases(ctx context.Context, todo []release, async bool) error {
	if len(todo) == 0 {
		return nil
	}
	jobs := c.client.BatchV1().Jobs(c.ns)
	work := func() {
		workqueue.ParallelizeUntil(ctx, c.opts.CreateWorkers, len(todo), func(i int) {
			if err := runmeta.ReleaseFinalizer(ctx, jobs, todo[i].name, todo[i].uid); err != nil {
				c.deletes.unreleased.add(todo[i], fmt.Errorf("%s/%s: %w", c.ns, todo[i].name, err))
			}
		})
	}
	if !async {
		work()
		return c.takeUnreleased()
	}
	c.deletes.wg.Add(1)
	go func() {
		defer c.deletes.wg.Done()
		work()
		if c.deletes.unreleased.pending() {
			c.queue.AddRateLimited(c.runID)
		}
	}()
	return nil
}

// takeUnreleased hands the releases that failed back to the sync, which
// calls it: their units are to be released again (live again, work.go),
// and so are the other Jobs; it returns their errors.
func (c *Controller) takeUnreleased() error {
	failed, err := c.deletes.unreleased.take()
	for _, r := range failed {
		if r.u == nil {
			c.deletes.orphans = append(c.deletes.orphans, r)
			continue
		}
		r.u.fin = finHeld
		c.touch(r.u)
	}
	return err
}

// Stop is for a process told to stop (SIGINT, SIGTERM: the run is left to
// be resumed), once Run has returned: it records what this process
// created or saw finish and releases the finalizer of those Jobs, so that
// only a SIGKILL leaves a Job holding it. A run whose record is gone (the
// wrapper Job deleted, and the record with it) can never be resumed: its
// Jobs are released all the same, or they would stay terminating. Not
// after a lost Lease: another orchestrator may be driving the run.
func (c *Controller) Stop(ctx context.Context) error {
	if c.store == nil || c.end.result != nil {
		return nil
	}
	err := c.writeRecord(ctx, c.unrecorded(), false)
	if !apierrors.IsNotFound(err) && !errors.Is(err, record.ErrNotFound) {
		if err != nil {
			return err
		}
		return c.releaseFinalizers(ctx, false)
	}
	var todo []release
	for _, u := range c.units {
		if u.fin == finHeld {
			u.fin = finReleased
			todo = append(todo, release{u: u, name: u.name, uid: u.uid})
		}
	}
	return c.issueReleases(ctx, todo, false)
}
