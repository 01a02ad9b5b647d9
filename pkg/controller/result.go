package controller

import (
	"fmt"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/record"
)

// Result is how a run ended, for the report and the exit code.
type Result struct {
	RunID     string
	Namespace string
	Succeeded bool
	Cancelled bool       // by `jobernetes cancel`; Succeeded is false
	Failure   *JobReport // the first failed Job, in DAG order
	Started   time.Time
	Finished  time.Time
	Jobs      []JobReport // every Kubernetes Job of the model, DAG order
	NeverRan  []string    // model jobs none of whose Jobs was created
	Skipped   []string    // model jobs decided never to run (trigger rule, policy, deadline)
	// FailedReverts are the jobs whose revert Job failed.
	FailedReverts []string
	CriticalPath  []string // model jobs on the longest path
	CriticalTime  time.Duration
	SummedTime    time.Duration // sum of every Job's run time within the span
	// Attempt is the run's attempt (1, then +1 per --retry-failed). The
	// report's span, Started to Finished, is this attempt's: Jobs kept from
	// an earlier attempt show their own times, and count towards SummedTime
	// and the critical path only for the part they ran within the span.
	Attempt int
}

// JobReport is one Kubernetes Job of the run.
type JobReport struct {
	Phase, Job, Name string
	State            string // waiting, running, succeeded, failed
	Created          time.Time
	Finished         time.Time
	Wait             time.Duration // run start -> Job created (waiting for its dependencies)
	Run              time.Duration // Job created -> Job finished
	Total            time.Duration // run start -> Job finished
	Reason, Message  string
	// Attempt is the attempt that created the Job; less than the run's
	// when a retry kept it. KeptRunning: it was still running when the
	// retry began.
	Attempt     int
	KeptRunning bool
	Pods        []record.PodFailure // why a failed Job's pods failed
}

func (c *Controller) failureMessage() string {
	f := c.failure
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
	if c.failure == nil {
		c.failure = c.firstFailure()
	}
	if c.cancelled { // the cancel, not the Jobs it deleted, is why the run failed
		r.Failure = &JobReport{State: "failed", Reason: "Cancelled", Message: c.cancelMsg}
	}
	nodeRun := make([]time.Duration, c.graph.Len())
	for _, n := range c.graph.TopoOrder() {
		created := false
		units := c.nodes[n].units
		if r := c.nodes[n].revert; r != nil && r.state != unitNotCreated {
			units = append(append([]*unit(nil), units...), r)
		}
		for _, u := range units {
			job := u.job.Name
			if u.revert {
				job += " (revert)"
			}
			jr := JobReport{Phase: u.job.Phase, Job: job, Name: u.name, State: u.state.String(),
				Created: u.created, Finished: u.finished, Reason: u.reason, Message: u.message,
				Attempt: max(u.attempt, 1), KeptRunning: u.keptRunning, Pods: u.pods}
			var inSpan time.Duration
			if !u.created.IsZero() {
				created = true
				jr.Wait = nonNeg(u.created.Sub(c.start))
				if !u.finished.IsZero() {
					jr.Run = nonNeg(u.finished.Sub(u.created))
					jr.Total = nonNeg(u.finished.Sub(c.start))
					inSpan = nonNeg(u.finished.Sub(later(u.created, c.start)))
				}
			}
			r.SummedTime += inSpan
			if inSpan > nodeRun[n] && !u.revert {
				nodeRun[n] = inSpan
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
			r.NeverRan = append(r.NeverRan, c.graph.Node(n).Name)
		}
		if c.nodeState(n) == graph.Skipped {
			r.Skipped = append(r.Skipped, c.graph.Node(n).Name)
		}
	}
	path, total := c.graph.CriticalPath(func(i int) time.Duration { return nodeRun[i] })
	for _, n := range path {
		r.CriticalPath = append(r.CriticalPath, c.graph.Node(n).Name)
	}
	r.CriticalTime = total
	if r.Failure == nil && c.failure != nil {
		r.Failure = &JobReport{State: "failed", Reason: c.failure.reason, Message: c.failure.message}
	}
	if r.Failure == nil && c.rec() != nil && c.rec().Result == record.ResultFailed {
		r.Failure = &JobReport{State: "failed", Reason: "Failed", Message: c.rec().Message}
	}
	r.Cancelled = c.cancelled || c.rec() != nil && c.rec().Result == record.ResultCancelled
	if r.Cancelled && r.Failure == nil {
		r.Failure = &JobReport{State: "failed", Reason: "Cancelled", Message: c.rec().Message}
	}
	r.Succeeded = r.Failure == nil
	return r
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
