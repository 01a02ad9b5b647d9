package runmeta

import (
	"encoding/json"
	"time"

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

// JobTimes are when a Job of a run was created and finished, and where
// its time went.
type JobTimes struct {
	Created  time.Time
	Finished time.Time
	Wait     time.Duration // run start -> Job created (waiting for its dependencies)
	Run      time.Duration // Job created -> Job finished
	Queued   time.Duration // of Run, created -> started (admitted) for a Job of a queue (Kueue)
	Total    time.Duration // run start -> Job finished
}

// JobReport is one Kubernetes Job of the run.
type JobReport struct {
	Phase, Job, Name string
	State            string // waiting, running, succeeded, failed
	JobTimes
	Reason, Message string
	// Attempt is the attempt that created the Job; less than the run's
	// when a retry kept it. KeptRunning: it was still running when the
	// retry began.
	Attempt     int
	KeptRunning bool
	Pods        []record.PodFailure // why a failed Job's pods failed
	Results     json.RawMessage     // the results it wrote (docs/dataflow.md)
}
