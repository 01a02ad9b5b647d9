package runmeta

// The states of a Kubernetes Job of a run, as status, the live view, the
// reports, the metrics and the controller's transitions name them: the one
// set of these strings. Readers show a state they do not know (a later
// version may add some) as it comes.
const (
	StateWaiting = "waiting" // not created yet
	StateRunning = "running" // created, not finished
	// StateQueued is a created Job held suspended until a queue (Kueue)
	// admits it; then it is running.
	StateQueued    = "queued"
	StateSucceeded = "succeeded" // its Complete condition
	StateFailed    = "failed"    // its Failed condition, or the run failed it
	StateSkipped   = "skipped"   // decided never to run
	// StateDeleted is a Job the record has as created that no longer
	// exists, unfinished, or an unfinished Job being deleted (status
	// only: someone deleted it).
	StateDeleted = "deleted"
)

// States are the states every version knows, in the order a Job goes
// through them.
var States = []string{StateWaiting, StateQueued, StateRunning, StateSucceeded, StateFailed, StateSkipped}
