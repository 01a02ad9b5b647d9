package controller

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// failure is why the run failed: the first failed Job in DAG order.
type failure struct {
	unit    *unit
	reason  string
	message string
}

// sync is level-triggered: it rebuilds the state of what may have changed
// (work.go: every unit on a process's first sync, then the live units and
// the Jobs the informer delivered) from the cache, the tracker and the
// record, then does what that state asks for. It is safe to call any
// number of times.
func (c *Controller) sync(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	start := c.now()
	defer func() {
		logger.V(4).Info("Finished syncing run", "run", c.runID, "duration", c.now().Sub(start))
	}()

	c.beginSync()
	c.observe(ctx)
	c.diagnose(ctx)
	// A recorded unit is never looked at again (observe skips it): its
	// tombstone is dead weight, 10,000 of them at 10,000 Jobs.
	c.tracker.forgetGone(func(name string) bool {
		i, ok := c.byName[name]
		return ok && c.units[i].inRecord.final
	})
	if c.deletedByOthers() {
		if err := c.checkCancelled(ctx); err != nil {
			return err
		}
	}
	if c.end.cancelled {
		if err := c.endCancelled(ctx); err != nil {
			return err
		}
	}
	c.checkDeadline()
	d := c.decide()
	created, err := c.act(ctx, d)
	if err != nil {
		return err
	}
	c.end.failure = c.firstFailure() // after act: a create may have been refused
	c.progressLines()

	done := d.Result != graph.RunRunning
	if created {
		// A create changes states (and may fail at once): look again, and
		// call the run over only if there is nothing new to decide. While
		// a Job is active the run is running (graph.Decide does not settle
		// while a node or a revert runs): no need to ask.
		done = false
		if c.activeCount() == 0 {
			again := c.decide()
			done = again.Result != graph.RunRunning && len(again.Skip) == 0
		}
	}
	if c.tails.due > 0 {
		done = false // a failed Job's diagnosis waits for its log tails (tails.go)
	}
	if err := c.recordAndCleanup(ctx, done); err != nil {
		return err
	}
	c.endSync()
	if done {
		c.end.result = c.buildResult()
	}
	return nil
}

// observe folds the cache and the tracker into the state of each unit that
// may have changed: the live ones and those whose Jobs the informer
// delivered since the last sync (on a full sync, every Job in the cache).
func (c *Controller) observe(ctx context.Context) {
	touched := c.tracker.takeTouched()
	if c.work.full {
		jobs, _ := c.cache.jobs.Jobs(c.ns).List(labels.Everything()) // a lister's List does not fail
		for _, j := range jobs {
			touched = append(touched, j.Name)
			c.noteCachedFinalizer(j)
		}
	}
	for _, name := range touched {
		i, ok := c.byName[name]
		if !ok {
			c.cachedJob(ctx, name) // says so if it is foreign
			continue
		}
		c.touch(c.units[i])
	}
	for _, u := range c.liveUnits() {
		if u.inRecord.final || u.state == unitFailed || u.state == unitSkipped {
			continue // final: the record (after cleanup) or this process's verdict
		}
		c.observeUnit(ctx, u, c.cachedJob(ctx, u.name))
	}
}

// cachedJob is the run's Job of that name in the cache; nil when there is
// none, or when it is not the run's (said once).
func (c *Controller) cachedJob(ctx context.Context, name string) *batchv1.Job {
	j, err := c.cache.jobs.Jobs(c.ns).Get(name)
	if err != nil {
		return nil
	}
	if !c.isOurs(j) {
		c.reportForeign(ctx, j)
		return nil
	}
	return j
}

// observeUnit folds what is known of u's Job: j from the cache (nil when
// it was not there), the tracker, the record.
func (c *Controller) observeUnit(ctx context.Context, u *unit, j *batchv1.Job) {
	if j != nil {
		c.observeJob(ctx, u, j)
		return
	}
	if u.state == unitNotCreated && !u.inRecord.created {
		// Never created: only a create (noteCreate) expects a Job, and it
		// makes the unit active. No tracker lookup for each of the
		// 100,000 Jobs of a large run that are still to come; a Job
		// added since the lookup enqueues another sync.
		return
	}
	if since, ok := c.tracker.pendingSince(u.name); ok {
		c.setState(u, unitActive)
		if c.now().Sub(since) > expectationTimeout {
			c.confirmCreation(ctx, u)
		}
		return
	}
	if u.state == unitNotCreated && u.inRecord.created {
		// The record says an earlier orchestrator created it; the
		// synced cache says it is gone: deleted while no one watched.
		c.setState(u, unitFailed)
		u.reason = "Deleted"
		u.message = fmt.Sprintf("Job %s/%s was deleted, or left the run (its label %s=%s was removed or changed), while no orchestrator of the run was running (the run record says it was created); it is not created again",
			c.ns, u.name, runmeta.LabelRun, c.runID)
		if u.uid != "" && u.fin == finNone {
			// It may have left the run still carrying the finalizer (its
			// process killed between the record write and the release):
			// released once the failure is recorded; a Job that is gone
			// answers NotFound, which is nothing to release.
			u.fin = finHeld
		}
		return
	}
	// The informer may have added it between the lookup above and the
	// tracker check (the store is updated before the handler clears the
	// expectation): look again before calling it gone.
	if j, err := c.cache.jobs.Jobs(c.ns).Get(u.name); err == nil && c.isOurs(j) {
		c.observeJob(ctx, u, j)
		return
	}
	c.vanished(ctx, u)
}

// vanished: u's Job was seen and is not in the cache any more. Its
// tombstone, if any, tells how it ended.
func (c *Controller) vanished(ctx context.Context, u *unit) {
	if last := c.tracker.lastState(u.name); last != nil && c.isOurs(last) {
		c.observeJob(ctx, u, last)
		// The informer cannot tell a delete from a Job whose run label was
		// removed or changed: both leave the filtered watch.
		c.gone(u, "Job %s/%s was deleted before it finished, or left the run (its label %s=%s was removed or changed), by someone other than this run")
		return
	}
	// Seen earlier, not in the cache now, no tombstone: gone all the same.
	c.gone(u, "Job %s/%s disappeared before it finished: deleted, or it left the run (its label %s=%s was removed or changed)")
}

// terminating fails a unit whose Job is being deleted before it finished
// (a finished one keeps its result): the run's abort, or someone else. A
// Job kept by the run's finalizer (finalizer.go) says so even when it was
// deleted while no orchestrator ran and before the record knew it: this
// process finds it terminating on its first look (the unit not yet
// created in its eyes), and never creates it again.
func (c *Controller) terminating(u *unit) {
	switch {
	case u.deleteIssued.abort:
		c.setState(u, unitFailed)
		u.reason = "Aborted"
		u.message = "deleted by jobernetes: the run was aborted"
	case u.state == unitNotCreated:
		c.setState(u, unitFailed)
		u.reason = "Deleted"
		u.message = fmt.Sprintf("Job %s/%s was deleted while no orchestrator of the run was running (found being deleted); it is not created again", c.ns, u.name)
	case u.state == unitActive:
		c.setState(u, unitFailed)
		u.reason = "Deleted"
		u.message = fmt.Sprintf("Job %s/%s was deleted before it finished, by someone other than this run", c.ns, u.name)
	}
}

// gone fails a unit whose Job left before it finished: aborted by this
// run, or deleted by someone else (format names the Job and the label).
func (c *Controller) gone(u *unit, format string) {
	switch {
	case u.state == unitActive && u.deleteIssued.abort:
		c.setState(u, unitFailed)
		u.reason = "Aborted"
		u.message = "deleted by jobernetes: the run was aborted"
	case u.state == unitActive && !u.deleteIssued.cleanup:
		c.setState(u, unitFailed)
		u.reason = "Deleted"
		u.message = fmt.Sprintf(format, c.ns, u.name, runmeta.LabelRun, c.runID)
	}
}

// observeJob reads a Job's state. Times the API server keeps have
// one-second resolution, so what this process saw itself (the create's
// return, the sync that saw the condition) is preferred when it is recent.
// expectationTimeout bounds how long a created Job may stay unseen by the
// informer before the API server is asked directly: a Job created and
// deleted by someone else before the watch showed it (say, across a
// relist) would otherwise keep the run waiting forever.
const expectationTimeout = 30 * time.Second

func (c *Controller) confirmCreation(ctx context.Context, u *unit) {
	j, err := c.client.BatchV1().Jobs(c.ns).Get(ctx, u.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		c.tracker.observed(u.name)
		c.setState(u, unitFailed)
		u.reason = "Deleted"
		u.message = fmt.Sprintf("Job %s/%s was created by this run but deleted before the run saw it", c.ns, u.name)
	case err == nil && c.isOurs(j):
		c.tracker.expectCreation(u.name, c.now()) // the cache lags: ask again later
		c.queue.AddAfter(c.runID, expectationTimeout)
	}
}

func (c *Controller) observeJob(ctx context.Context, u *unit, j *batchv1.Job) {
	u.uid = j.UID
	c.noteFinalizer(u, j)
	if u.created.IsZero() {
		u.created = j.CreationTimestamp.Time
	}
	if j.Status.StartTime != nil {
		u.started = j.Status.StartTime.Time
	}
	cond := runmeta.FinishedCondition(j)
	if cond == nil && j.DeletionTimestamp != nil {
		c.terminating(u)
		return
	}
	if cond == nil {
		c.observeQueued(u, j)
		c.setState(u, unitActive)
		return
	}
	u.queued = false
	if u.finished.IsZero() {
		u.finished = runmeta.FinishTime(j, cond).Time
		if now := c.now(); now.Sub(u.finished) < 2*time.Second && u.state == unitActive {
			u.finished = now
		}
	}
	u.reason, u.message = cond.Reason, cond.Message
	if cond.Type == batchv1.JobComplete {
		if c.flow.any && !c.observeResults(ctx, u) {
			if u.state != unitFailed {
				c.setState(u, unitActive) // its results are not in the cache yet
			}
			return
		}
		c.setState(u, unitSucceeded)
	} else {
		c.setState(u, unitFailed)
	}
}

// observeQueued notes whether a queue (Kueue) holds u's Job suspended,
// and why: the run waits for it as for any active Job.
func (c *Controller) observeQueued(u *unit, j *batchv1.Job) {
	queued, reason, message := runmeta.Queued(j)
	if queued == u.queued {
		return
	}
	u.queued = queued
	u.reason, u.message = reason, message
	c.touch(u) // a line is due
}

// isOurs: created by this run, i.e. controlled by the run's ConfigMap. A Job
// that merely carries the run's label is never adopted.
func (c *Controller) isOurs(j *batchv1.Job) bool {
	ref := metav1.GetControllerOfNoCopy(j)
	return ref != nil && ref.UID == c.jobTmpl.ownerRef.UID && ref.Kind == "ConfigMap"
}

func (c *Controller) reportForeign(ctx context.Context, j *batchv1.Job) {
	if c.notes.foreign[j.Name] {
		return
	}
	c.notes.foreign[j.Name] = true
	msg := fmt.Sprintf("Job %s/%s carries the label %s=%s but was not created by this run: ignored", c.ns, j.Name, runmeta.LabelRun, c.runID)
	klog.FromContext(ctx).Info("Ignoring foreign Job", "job", klog.KObj(j), "run", c.runID)
	c.note(runmeta.NoteWarning, "warning: %s\n", msg)
	if c.opts.Recorder != nil {
		c.opts.Recorder.Event(j, "Warning", "NotAdopted", msg)
	}
}

// deletedByOthers: since the last sync, a Job of the run left the watch
// before it finished, and this process did not delete it: maybe a cancel
// (checkCancelled tells). Not yet reported means new: one record read per
// such Job, not one per sync until it is recorded.
func (c *Controller) deletedByOthers() bool {
	for _, u := range c.liveUnits() {
		if u.state == unitFailed && u.reason == "Deleted" && u.said.state != unitFailed {
			return true
		}
	}
	return false
}

// firstFailure is the first failed Job in DAG order (setState keeps it),
// or the deadline; a cancel comes first.
func (c *Controller) firstFailure() *failure {
	first := c.work.firstFailed
	switch {
	case c.end.cancelled:
		return &failure{reason: "Cancelled", message: c.end.cancelMsg}
	case first != nil:
		return &failure{unit: first, reason: first.reason, message: first.message}
	case c.end.deadline:
		return &failure{reason: "DeadlineExceeded",
			message: fmt.Sprintf("the run did not finish within its run_timeout of %s", c.model.Options.RunTimeout)}
	}
	return nil
}

// activeCount: an active unit is always live.
func (c *Controller) activeCount() int {
	n := 0
	for _, u := range c.liveUnits() {
		if u.state == unitActive {
			n++
		}
	}
	return n
}

// decide asks the graph what the run does now (graph.Decide holds the
// rules: trigger rules, failure policy, reverts, finally phase; the
// Frontier asks it only about what changed); the controller only folds its
// units into node states and acts on the answer.
func (c *Controller) decide() graph.Decision {
	return c.graphState().Decide(graph.Run{
		Policy:    c.model.Options.GraphPolicy(),
		Cancelled: c.end.cancelled,
		Deadline:  c.end.deadline,
	})
}

// act does what d asks, in its order: abort, skip, then create (within the
// parallelization cap). created: some Job was asked for, so unit states
// changed since d.
func (c *Controller) act(ctx context.Context, d graph.Decision) (created bool, err error) {
	if err := c.abort(ctx, d.Abort); err != nil {
		return false, err
	}
	c.skip(d.Skip)
	return c.launch(ctx, d)
}

// launch creates the Jobs of d, in its order, within the parallelization
// cap (which counts every created, unfinished Job), and reports whether it
// asked for any.
func (c *Controller) launch(ctx context.Context, d graph.Decision) (bool, error) {
	todo := c.todo(d)
	if p := c.model.Options.Parallelization; p > 0 {
		slots := max(p-c.activeCount(), 0)
		if len(todo) > slots {
			todo = todo[:slots]
		}
	}
	if len(todo) == 0 {
		return false, nil
	}
	now := c.now()
	for _, u := range todo {
		if ready := c.readySince(u.node); !ready.IsZero() {
			u.reaction = nonNeg(now.Sub(ready))
		}
	}
	return true, c.createJobs(ctx, todo)
}

// todo is the units d starts: the Jobs not yet created of its Create nodes,
// then the revert Jobs of its Revert nodes.
func (c *Controller) todo(d graph.Decision) []*unit {
	var todo []*unit
	for _, n := range d.Create {
		if c.flow.any && !c.settle(n) {
			continue // a result it reads is not recorded yet
		}
		for _, u := range c.nodes[n].units {
			if u.state == unitNotCreated {
				todo = append(todo, u)
			}
		}
	}
	for _, n := range d.Revert {
		todo = append(todo, c.nodes[n].revert)
	}
	return todo
}

// readySince is when node n's last predecessor (a dependency, or any job
// of the previous phase) was seen finished; zero for the first phase's roots.
func (c *Controller) readySince(n int) time.Time {
	latest := func(nodes []int) time.Time {
		var last time.Time
		for _, m := range nodes {
			for _, u := range c.nodes[m].units {
				if f := u.finished; f.After(last) {
					last = f
				}
			}
		}
		return last
	}
	node := c.model.Graph.Node(n)
	if len(node.Deps) > 0 {
		return latest(node.Deps)
	}
	if node.Phase == 0 {
		return time.Time{}
	}
	// A phase's roots start once the phase before is over: when it
	// finished no longer changes, so it is found once per run, not once
	// per launch (a cap may launch 100,000 roots a few at a time).
	t, ok := c.work.phaseDone[node.Phase-1]
	if !ok {
		t = latest(c.model.Graph.Phases()[node.Phase-1].Nodes)
		c.work.phaseDone[node.Phase-1] = t
	}
	return t
}

func timeFromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
