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

// A Note is a line of the run's progress that is not a state change: a
// warning, why a Job waits, why a failed Job's pods failed, a Job a retry
// keeps. The controller emits it typed (controller.Options.OnNote) beside
// its progress lines, so that an output that shows state changes its own
// way (the live view) takes the notes as they are, never by reading the
// lines back.
type Note struct {
	Time time.Time
	Kind string // NoteWarning, NoteWaiting, NoteDiagnosis or NoteKept
	Text string // as the progress prints it: one or more lines, each ending in a newline
}

// The kinds of Note.
const (
	NoteWarning   = "warning"   // something the user should know or fix
	NoteWaiting   = "waiting"   // why a Job does not start, or waits for a delete
	NoteDiagnosis = "diagnosis" // why a failed Job's pods failed
	NoteKept      = "kept"      // a running Job a retry keeps
)
