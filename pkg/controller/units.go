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
	index    int
	node     int
	job      *config.Job
	manifest *config.Manifest
	name     string
	attempt  int // the run attempt whose name it has

	uid          types.UID
	created      time.Time
	started      time.Time
	finished     time.Time
	reason       string
	message      string
	reaction     time.Duration       // ready -> created, when this process created it
	pods         []record.PodFailure // why its Job failed, from its pods
	said         said                // what the progress lines have said of it
	state        unitState
	revert       bool         // the compensating Job of its node
	keptRunning  bool         // a Job of an earlier attempt, running when the retry began
	inRecord     inRecord     // what the run record knows of it
	deleteIssued deleteIssued // a delete this process issued
	queued       bool         // active, held suspended until a queue (Kueue) admits it
	// The small fields come last, together: a unit is one of the largest
	// structures of a run (one per Job), and this order keeps it at 240
	// bytes instead of 288 (TestUnitSize).
}

// said is what the progress lines have said of a unit.
type said struct {
	waiting string    // the pod waiting reason last printed
	state   unitState // the last state printed
	queued  bool      // whether it was printed as queued
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

// renameUnits gives every unit the name of its attempt.
func (c *Controller) renameUnits() {
	c.byName = make(map[string]int, len(c.units))
	for _, u := range c.units {
		u.name = runmeta.AttemptJobName(c.runID, u.job, u.manifest, u.attempt, u.revert)
		c.byName[u.name] = u.index
	}
}
