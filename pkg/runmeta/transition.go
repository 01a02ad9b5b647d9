package runmeta

import (
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// Transition is one state change seen by the run, for the progress lines,
// live views, reports and metrics: the controller emits it typed
// (controller.Options.OnTransition) and never formats it; pkg/render's
// Progress writes it as a line.
type Transition struct {
	Time    time.Time
	Elapsed time.Duration // since the run started
	Phase   string        // empty for a transition of the run itself (RunCancelled)
	Job     string        // model job; empty for a phase transition
	Name    string        // Kubernetes Job name; empty for a phase transition
	State   string        // running (created), succeeded, failed, skipped; for a phase: started, succeeded; for the run: cancelled
	Reason  string
	Message string
	// Reaction is, for a created Job, the time from the moment it became
	// ready (its last predecessor seen finished) to its creation.
	Reaction time.Duration
	// Revert: the Job is its job's revert (compensating) Job. Index is its
	// place among its job's Jobs (a directory or matrix job has several).
	Revert bool
	Index  int
	// Created and Finished are when the Job was created and finished; zero
	// when it was not (an empty matrix succeeds without a Job).
	Created, Finished time.Time
	// Jobs is, for a phase that started, how many jobs it holds.
	Jobs int
	// DiagnosisDue: a failed Job whose pods say why it failed; a Diagnosis
	// of it follows, at once or once its log tails are read (they are read
	// off the sync, within a bound).
	DiagnosisDue bool
}

// RunCancelled is the state of a Transition of the run itself: a cancel
// stopped it.
const RunCancelled = "cancelled"

// The states of a phase's Transition.
const (
	PhaseStarted   = "started"
	PhaseSucceeded = StateSucceeded
)

// A Diagnosis says why a failed Job's pods failed (exit codes, messages,
// the last log lines): it follows the Job's failed Transition, which says
// it is due.
type Diagnosis struct {
	Time  time.Time
	Phase string
	Job   string
	Name  string // Kubernetes Job name
	Pods  []record.PodFailure
}

// A Note is a line of the run's progress that is not a state change: a
// warning, why a Job waits, a Job a retry keeps. The controller emits it
// typed (controller.Options.OnNote), its text written once by the one who
// knows the case; an output shows it as it is.
type Note struct {
	Time time.Time
	Kind string // NoteWarning, NoteWaiting or NoteKept
	Text string // one or more lines, each ending in a newline
}

// The kinds of Note.
const (
	NoteWarning = "warning" // something the user should know or fix
	NoteWaiting = "waiting" // why a Job does not start, or waits for a delete
	NoteKept    = "kept"    // a running Job a retry keeps
)
