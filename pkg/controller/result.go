package controller

import (
	"fmt"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

func (c *Controller) failureMessage() string {
	f := c.end.failure
	if f.unit == nil {
		return f.reason + ": " + f.message
	}
	return fmt.Sprintf("job %s (phase %s, Job %s/%s) failed: %s: %s", f.unit.job.Name, f.unit.job.Phase, c.ns, f.unit.name, f.reason, f.message)
}

func (c *Controller) buildResult() *Result {
	r := &Result{RunID: c.runID, Namespace: c.ns, Started: c.start, Finished: c.now(), Attempt: max(c.attempt, 1)}
	if c.rec() != nil && c.rec().FinishedAt != 0 {
		r.Finished = timeFromMillis(c.rec().FinishedAt)
	}
	if c.end.failure == nil {
		c.end.failure = c.firstFailure()
	}
	if c.end.cancelled { // the cancel, not the Jobs it deleted, is why the run failed
		r.Failure = &JobReport{State: runmeta.StateFailed, Reason: "Cancelled", Message: c.end.cancelMsg}
	}
	// Sized once: grown by append, the report of a large run was twice its
	// size in garbage at the run's end, when the heap is largest.
	r.Jobs = make([]JobReport, 0, len(c.units))
	nodeRun := make([]time.Duration, c.model.Graph.Len())
	for _, n := range c.model.Graph.TopoOrder() {
		nodeRun[n] = c.reportNode(r, n)
	}
	path, total := c.model.Graph.CriticalPath(func(i int) time.Duration { return nodeRun[i] })
	for _, n := range path {
		r.CriticalPath = append(r.CriticalPath, c.model.Graph.Node(n).Name)
	}
	r.CriticalTime = total
	c.runFailure(r)
	return r
}

// reportNode adds node n's Jobs (and its revert, once created) to r, and
// returns how long its longest Job ran within the report's span.
func (c *Controller) reportNode(r *Result, n int) (longest time.Duration) {
	created := false
	units := c.nodes[n].units
	if rv := c.nodes[n].revert; rv != nil && rv.state != unitNotCreated {
		units = append(append([]*unit(nil), units...), rv)
	}
	for _, u := range units {
		jr, inSpan := c.jobReport(u)
		created = created || !u.created.IsZero()
		r.SummedTime += inSpan
		if inSpan > longest && !u.revert {
			longest = inSpan
		}
		r.Jobs = append(r.Jobs, jr)
		if u.state == unitFailed && !u.revert && r.Failure == nil {
			f := jr
			r.Failure = &f
		}
		if u.state == unitFailed && u.revert {
			r.FailedReverts = append(r.FailedReverts, u.job.Name)
		}
	}
	if !created && c.nodeState(n) != graph.Succeeded {
		r.NeverRan = append(r.NeverRan, c.model.Graph.Node(n).Name)
	}
	if c.nodeState(n) == graph.Skipped {
		r.Skipped = append(r.Skipped, c.model.Graph.Node(n).Name)
	}
	return longest
}

// jobReport is u's line in the report, and how long it ran within the
// report's span (this attempt: a Job kept from an earlier one counts only
// from the attempt's start).
func (c *Controller) jobReport(u *unit) (JobReport, time.Duration) {
	job := u.job.Name
	if u.revert {
		job += " (revert)"
	}
	jr := JobReport{Phase: u.job.Phase, Job: job, Name: u.name, State: u.state.String(),
		JobTimes: runmeta.JobTimes{Created: u.created, Finished: u.finished}, Reason: u.reason, Message: u.message,
		Attempt: max(int(u.attempt), 1), KeptRunning: u.keptRunning, Pods: u.pods, Results: c.flow.results[u.index]}
	var inSpan time.Duration
	if !u.created.IsZero() {
		jr.Wait = nonNeg(u.created.Sub(c.start))
		if !u.finished.IsZero() {
			jr.Run = nonNeg(u.finished.Sub(u.created))
			if c.queueOf(u) != "" && !u.started.IsZero() {
				jr.Queued = min(nonNeg(u.started.Sub(u.created)), jr.Run)
			}
			jr.Total = nonNeg(u.finished.Sub(c.start))
			inSpan = nonNeg(u.finished.Sub(later(u.created, c.start)))
		}
	}
	return jr, inSpan
}

// runFailure settles why the run failed, if it did: a failed Job, the
// run's own failure (a deadline), or what the record says (a run that had
// ended before this process).
func (c *Controller) runFailure(r *Result) {
	if r.Failure == nil && c.end.failure != nil {
		r.Failure = &JobReport{State: runmeta.StateFailed, Reason: c.end.failure.reason, Message: c.end.failure.message}
	}
	if r.Failure == nil && c.rec() != nil && c.rec().Result == record.ResultFailed {
		r.Failure = &JobReport{State: runmeta.StateFailed, Reason: "Failed", Message: c.rec().Message}
	}
	r.Cancelled = c.end.cancelled || c.rec() != nil && c.rec().Result == record.ResultCancelled
	if r.Cancelled && r.Failure == nil {
		r.Failure = &JobReport{State: runmeta.StateFailed, Reason: "Cancelled", Message: c.rec().Message}
	}
	r.Succeeded = r.Failure == nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func nonNeg(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}
