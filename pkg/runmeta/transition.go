package runmeta

import "time"

// Transition is one state change seen by the run, for live views, reports
// and metrics.
type Transition struct {
	Time    time.Time
	Elapsed time.Duration // since the run started
	Phase   string
	Job     string // model job; empty for a phase transition
	Name    string // Kubernetes Job name; empty for a phase transition
	State   string // running (created), succeeded, failed; for a phase: started, succeeded
	Reason  string
	Message string
	// Reaction is, for a created Job, the time from the moment it became
	// ready (its last predecessor seen finished) to its creation.
	Reaction time.Duration
}
