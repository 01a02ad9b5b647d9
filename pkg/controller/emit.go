package controller

import (
	"fmt"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// What the run says reaches its output typed, through Options: a
// Transition per state change (progress.go), a Diagnosis of a failed Job,
// a Note for the rest. The controller writes no line itself: pkg/render's
// Progress (or the live view) does.

// emit sends one state change, stamped with the run's clock.
func (c *Controller) emit(t Transition) {
	if c.opts.OnTransition == nil {
		return
	}
	t.Time = c.now()
	t.Elapsed = t.Time.Sub(c.start)
	c.opts.OnTransition(t)
}

// emitDiagnosis sends why u's pods failed (its failed Transition said it
// was due).
func (c *Controller) emitDiagnosis(u *unit) {
	if c.opts.OnDiagnosis == nil {
		return
	}
	c.opts.OnDiagnosis(runmeta.Diagnosis{Time: c.now(), Phase: u.job.Phase, Job: u.job.Name, Name: u.name, Pods: u.pods})
}

// note sends a Note of kind: a line that is not a state change, its text
// as the output shows it.
func (c *Controller) note(kind, format string, args ...interface{}) {
	if c.opts.OnNote == nil {
		return
	}
	c.opts.OnNote(runmeta.Note{Time: c.now(), Kind: kind, Text: fmt.Sprintf(format, args...)})
}
