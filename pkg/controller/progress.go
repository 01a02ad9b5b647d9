package controller

import (
	"fmt"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

func (c *Controller) printf(format string, args ...interface{}) {
	fmt.Fprintf(c.opts.Progress, format, args...)
}

func (c *Controller) stamp() string {
	return fmt.Sprintf("[%8s]", "+"+RoundDuration(c.now().Sub(c.start)).String())
}

// progressLines prints one line per state change since the last sync, in
// DAG order, with phase boundaries.
func (c *Controller) progressLines() {
	for pi, p := range c.model.Graph.Phases() {
		started, succeeded := c.phaseProgress(pi, p.Nodes)
		if started && c.notes.phases[pi] == 0 {
			c.notes.phases[pi] = 1
			c.printf("%s phase %s started (%d jobs)\n", c.stamp(), p.Name, len(p.Nodes))
			c.emit(Transition{Phase: p.Name, State: "started"})
		}
		for _, n := range p.Nodes {
			for _, u := range c.nodes[n].units {
				c.unitLine(u)
			}
		}
		for _, n := range p.Nodes {
			if r := c.nodes[n].revert; r != nil {
				c.unitLine(r)
			}
		}
		if succeeded && c.notes.phases[pi] < 2 {
			c.notes.phases[pi] = 2
			c.printf("%s phase %s succeeded\n", c.stamp(), p.Name)
			c.emit(Transition{Phase: p.Name, State: "succeeded"})
		}
	}
}

// phaseProgress is whether a node of the phase started and whether all of
// them succeeded, as far as the phase's lines still need it: nothing once
// both were printed, only the second once the first was, and each loop
// stops as soon as its answer is known (a phase of 100,000 jobs is looked
// at on every sync).
func (c *Controller) phaseProgress(pi int, nodes []int) (started, succeeded bool) {
	if c.notes.phases[pi] == 2 {
		return false, false // both printed: neither line is due
	}
	succeeded = true
	for _, n := range nodes {
		s := c.nodeState(n)
		if s.Started() {
			started = true
		}
		if s != graph.Succeeded {
			succeeded = false
		}
		if !succeeded && (started || c.notes.phases[pi] == 1) {
			break // started (or printed already) and not all succeeded
		}
	}
	return started, succeeded
}

func (c *Controller) unitLine(u *unit) {
	if u.state == u.said.state {
		return
	}
	u.said.state = u.state
	kind := "Job"
	if u.revert {
		kind = "revert Job"
	}
	id := fmt.Sprintf("%s/%s (%s %s)", u.job.Phase, u.job.Name, kind, u.name)
	defer c.emit(Transition{Phase: u.job.Phase, Job: u.job.Name, Name: u.name, State: u.state.String(),
		Reason: u.reason, Message: u.message, Reaction: u.reaction})
	switch u.state {
	case unitActive:
		c.printf("%s created   %s\n", c.stamp(), id)
	case unitSucceeded:
		c.printf("%s succeeded %s in %s\n", c.stamp(), id, RoundDuration(u.finished.Sub(u.created)))
	case unitFailed:
		c.printf("%s FAILED    %s: %s: %s\n", c.stamp(), id, u.reason, u.message)
		for _, p := range u.pods {
			c.printf("%s", p.Text("           ")) // not a state line: the live view shows it as a note
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

// RoundDuration rounds d for display: milliseconds under a second, else
// tenths of a second; never negative.
func RoundDuration(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
