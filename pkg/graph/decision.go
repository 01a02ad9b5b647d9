package graph

// Run is what Decide knows of the run beyond its nodes' states.
type Run struct {
	Policy    FailurePolicy
	Cancelled bool // `jobernetes cancel` stopped it: nothing more starts
	Deadline  bool // its run_timeout passed: nothing more starts
}

// Decision is what the run does now. Node lists hold node indices.
type Decision struct {
	// Create: nodes whose Jobs not yet created start now, in this order:
	// phase by phase, topologically within a phase, the finally phase last.
	// A Running node is listed while the rest of its Jobs may still start
	// (a directory job held back by a parallelization cap).
	Create []int
	// Revert: nodes whose revert Job starts now, downstream ones first.
	Revert []int
	// Skip: nodes whose Jobs not yet created will never run, and why.
	Skip []Skip
	// Abort: nodes whose running Jobs are to be deleted (failure_policy abort).
	Abort []int
	// Result is RunRunning until nothing runs and nothing is left to decide.
	Result RunResult
}

// Skip is one node that will never run (or never run the rest of its Jobs).
type Skip struct {
	Node int
	Why  SkipReason
}

// SkipReason says why a node is skipped, for the message the caller shows.
type SkipReason int

// The reasons for a skip.
const (
	SkipTriggerRule   SkipReason = iota // its trigger rule is not met by its upstream
	SkipFailurePolicy                   // the run failed, and the policy starts nothing that needs success
	SkipAborted                         // the run failed under failure_policy abort
	SkipDeadline                        // the run's deadline passed before it could start
)

// String makes reasons readable in test failures.
func (r SkipReason) String() string { return enumName(skipReasonNames, "SkipReason", int(r)) }

var skipReasonNames = []string{"trigger_rule", "failure_policy", "aborted", "deadline"}

// RunResult is the run's result as far as its nodes tell.
type RunResult int

// The run results.
const (
	RunRunning RunResult = iota
	RunSucceeded
	RunFailed
)

// String makes results readable in test failures.
func (r RunResult) String() string { return enumName(runResultNames, "RunResult", int(r)) }

var runResultNames = []string{"Running", "Succeeded", "Failed"}
