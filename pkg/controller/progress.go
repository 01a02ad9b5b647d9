package controller

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// printf prints a state line of the progress (the stamped lines; their
// typed form is the Transition).
func (c *Controller) printf(format string, args ...interface{}) {
	fmt.Fprintf(c.opts.Progress, format, args...)
}

// note prints a progress line that is not a state change and emits it as a
// runmeta.Note of kind.
func (c *Controller) note(kind, format string, args ...interface{}) {
	text := fmt.Sprintf(format, args...)
	_, _ = io.WriteString(c.opts.Progress, text)
	if c.opts.OnNote != nil {
		c.opts.OnNote(runmeta.Note{Time: c.now(), Kind: kind, Text: text})
	}
}

func (c *Controller) stamp() string {
	return fmt.Sprintf("[%8s]", "+"+runmeta.RoundDuration(c.now().Sub(c.start)).String())
}

// progressLines prints one line per state change since the last sync, in
// DAG order, with phase boundaries. Only the phases of the units that
// changed can have a line due (every phase on a full sync: an empty phase
// has succeeded from the start).
func (c *Controller) progressLines() {
	f := c.graphState()
	due := c.dueLines()
	for pi, p := range c.model.Graph.Phases() {
		units, ok := due[pi]
		if !ok && !c.work.full {
			continue
		}
		started, succeeded := f.PhaseProgress(pi)
		if started && c.notes.phases[pi] == 0 {
			c.notes.phases[pi] = 1
			c.printf("%s phase %s started (%d jobs)\n", c.stamp(), p.Name, len(p.Nodes))
			c.emit(Transition{Phase: p.Name, State: "started"})
		}
		for _, u := range units {
			c.unitLine(u)
		}
		if succeeded && c.notes.phases[pi] < 2 {
			c.notes.phases[pi] = 2
			c.printf("%s phase %s succeeded\n", c.stamp(), p.Name)
			c.emit(Transition{Phase: p.Name, State: runmeta.StateSucceeded})
		}
	}
}

// dueLines are the live units with a line due, by phase: a phase's Jobs in
// model order, then its revert Jobs.
func (c *Controller) dueLines() map[int][]*unit {
	due := map[int][]*unit{}
	for _, u := range c.liveUnits() {
		if u.state != u.said.state || u.queued != u.said.queued {
			p := c.model.Graph.Node(u.node).Phase
			due[p] = append(due[p], u)
		}
	}
	for _, units := range due {
		slices.SortStableFunc(units, func(a, b *unit) int {
			if a.revert != b.revert {
				return cmp.Compare(boolInt(a.revert), boolInt(b.revert))
			}
			return a.index - b.index
		})
	}
	return due
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *Controller) unitLine(u *unit) {
	if u.state == u.said.state && u.queued == u.said.queued {
		return
	}
	wasActive, wasQueued := u.said.state == unitActive, u.said.queued
	u.said.state, u.said.queued = u.state, u.queued
	kind := "Job"
	if u.revert {
		kind = "revert Job"
	}
	id := fmt.Sprintf("%s/%s (%s %s)", u.job.Phase, u.job.Name, kind, u.name)
	defer c.emit(Transition{Phase: u.job.Phase, Job: u.job.Name, Name: u.name, State: u.stateName(),
		Reason: u.reason, Message: u.message, Reaction: u.reaction})
	switch u.state {
	case unitActive:
		if !wasActive {
			c.printf("%s created   %s\n", c.stamp(), id)
		}
		switch {
		case u.queued:
			c.printf("%s queued    %s: %s: %s\n", c.stamp(), id, u.reason, u.message)
		case wasQueued:
			c.printf("%s admitted  %s\n", c.stamp(), id)
		}
	case unitSucceeded:
		if u.created.IsZero() { // never created: an empty matrix (dataflow.go)
			c.printf("%s succeeded %s/%s: %s\n", c.stamp(), u.job.Phase, u.job.Name, u.message)
			break
		}
		c.printf("%s succeeded %s in %s\n", c.stamp(), id, runmeta.RoundDuration(u.finished.Sub(u.created)))
	case unitFailed:
		c.printf("%s FAILED    %s: %s: %s\n", c.stamp(), id, u.reason, u.message)
		for _, p := range u.pods {
			c.note(runmeta.NoteDiagnosis, "%s", p.Text("           "))
		}
	case unitSkipped:
		if c.nodes[u.node].units[0] != u {
			return // one line per job
		}
		c.printf("%s skipped   %s/%s: %s\n", c.stamp(), u.job.Phase, u.job.Name, u.message)
	}
}

func (c *Controller) emit(t Transition) {
	if c.opts.OnTransition == nil {
		return
	}
	t.Time = c.now()
	t.Elapsed = t.Time.Sub(c.start)
	c.opts.OnTransition(t)
}
