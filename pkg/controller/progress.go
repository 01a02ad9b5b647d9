package controller

import (
	"cmp"
	"slices"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// progressLines emits one Transition per state change since the last sync,
// in DAG order, with phase boundaries (pkg/render's Progress writes them
// as lines). Only the phases of the units that changed can have a line due
// (every phase on a full sync: an empty phase has succeeded from the start).
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
			c.emit(Transition{Phase: p.Name, State: runmeta.PhaseStarted, Jobs: len(p.Nodes)})
		}
		for _, u := range units {
			c.unitLine(u)
		}
		if succeeded && c.notes.phases[pi] < 2 {
			c.notes.phases[pi] = 2
			c.emit(Transition{Phase: p.Name, State: runmeta.PhaseSucceeded})
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

// unitLine emits u's state change, once; a failed Job's diagnosis follows
// it, now or once its log tails are read (tails.go).
func (c *Controller) unitLine(u *unit) {
	if u.state == u.said.state && u.queued == u.said.queued {
		return
	}
	wasActive := u.said.state == unitActive
	u.said.state, u.said.queued = u.state, u.queued
	nd := c.nodes[u.node]
	t := Transition{Phase: u.job.Phase, Job: u.job.Name, Name: u.name, State: u.stateName(),
		Reason: u.reason, Message: u.message, Reaction: u.reaction, Revert: u.revert,
		Created: u.created, Finished: u.finished}
	if !u.revert && len(nd.units) > 0 {
		t.Index = u.index - nd.units[0].index // a node's units are made together, in order
	}
	if u.state == unitActive && u.queued && !wasActive {
		// Created, and held by its queue (Kueue's webhook suspends it as
		// it is created): both are said.
		created := t
		created.State, created.Reason, created.Message = runmeta.StateRunning, "", ""
		c.emit(created)
		t.Reaction = 0 // counted once, with the create
	}
	if u.state == unitFailed && (len(u.pods) > 0 || u.said.tailsDue) {
		t.DiagnosisDue, u.said.diagnosis = true, true
	}
	c.emit(t)
	if t.DiagnosisDue && !u.said.tailsDue {
		c.emitDiagnosis(u)
	}
}
