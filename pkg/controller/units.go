package controller

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// unitState is the life of one Kubernetes Job of the run (one byte: a
// unit holds two).
type unitState uint8

const (
	unitNotCreated unitState = iota
	unitActive               // created (maybe not yet in the cache), not finished
	unitSucceeded
	unitFailed
	unitSkipped // decided never to run (trigger rule, failure policy, deadline)
)

func (s unitState) String() string {
	switch s {
	case unitActive:
		return runmeta.StateRunning
	case unitSucceeded:
		return runmeta.StateSucceeded
	case unitFailed:
		return runmeta.StateFailed
	case unitSkipped:
		return runmeta.StateSkipped
	}
	return runmeta.StateWaiting
}

// stateName is the unit's state as the run's output names it: an active
// unit that a queue holds is queued.
func (u *unit) stateName() string {
	if u.state == unitActive && u.queued {
		return runmeta.StateQueued
	}
	return u.state.String()
}

// unit is one Kubernetes Job: one manifest of one model job. A file job has
// one unit, a directory job one per manifest; the graph node succeeds when
// all of its units have.
type unit struct {
	identity
	uid types.UID
	jobTimes
	reason       string
	message      string
	reaction     time.Duration       // ready -> created, when this process created it
	pods         []record.PodFailure // why its Job failed, from its pods
	said         said                // what the progress lines have said of it
	state        unitState
	keptRunning  bool         // a Job of an earlier attempt, running when the retry began
	inRecord     inRecord     // what the run record knows of it
	deleteIssued deleteIssued // a delete this process issued
	fin          finState     // the run's finalizer on its Job (finalizer.go)
	queued       bool         // active, held suspended until a queue (Kueue) admits it
	// The small fields come last, together: a unit is one of the largest
	// structures of a run (one per Job), and this order keeps it at 240
	// bytes instead of 288 (TestUnitSize).
}

// identity is which Kubernetes Job a unit is.
type identity struct {
	index    int // in Controller.units
	node     int
	job      *config.Job
	manifest *config.Manifest
	name     string
	attempt  int32 // the run attempt whose name it has (int32: beside revert, in the room of one int)
	revert   bool  // the compensating Job of its node
}

// jobTimes are a Job's times, as the cluster (or this process) saw them.
type jobTimes struct {
	created, started, finished time.Time
}

// said is what the progress lines have said of a unit.
type said struct {
	waiting   string    // the pod waiting reason last said
	state     unitState // the last state said
	queued    bool      // whether it was said as queued
	diagnosis bool      // its failed Transition said a Diagnosis follows
	// tailsDue: its failed containers' log tails are being read (tails.go);
	// its diagnosis, and its final record entry, wait for them. Here, not
	// in unit, where it would cost 8 bytes (TestUnitSize).
	tailsDue bool
}

// inRecord is what the run record knows of a unit.
type inRecord struct {
	created bool // that its Job was created (record.JobCreated)
	final   bool // its final state
}

// deleteIssued says which delete of its Job this process issued.
type deleteIssued struct {
	cleanup bool // after it succeeded (cleanup)
	abort   bool // by the abort failure policy or the deadline
}

// finState is what this process knows of runmeta.FinalizerUnrecorded on
// a unit's Job (one byte: a unit has no room for two).
type finState uint8

const (
	finNone     finState = iota // not seen on its Job (or an earlier version's Job)
	finHeld                     // its Job carries it; no removal issued yet
	finReleased                 // its removal was issued and has not failed
)

// renameUnits gives every unit the name of its attempt.
func (c *Controller) renameUnits() {
	c.byName = make(map[string]int, len(c.units))
	for _, u := range c.units {
		u.name = runmeta.AttemptJobName(c.runID, u.job, u.manifest, int(u.attempt), u.revert)
		c.byName[u.name] = u.index
	}
}
