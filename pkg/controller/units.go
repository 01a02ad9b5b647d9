package controller

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/record"
)

// unitState is the life of one Kubernetes Job of the run.
type unitState int

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
		return "running"
	case unitSucceeded:
		return "succeeded"
	case unitFailed:
		return "failed"
	case unitSkipped:
		return "skipped"
	}
	return "waiting"
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
	revert   bool // the compensating Job of its node
	attempt  int  // the run attempt whose name it has

	state           unitState
	reported        unitState // last state printed as a progress line
	uid             types.UID
	created         time.Time
	started         time.Time
	finished        time.Time
	reason          string
	message         string
	reaction        time.Duration       // ready -> created, when this process created it
	recorded        bool                // its final state is in the run record
	createdRecorded bool                // the record knows it was created (record.JobCreated)
	deleting        bool                // cleanup delete issued
	aborting        bool                // deleted by the abort failure policy or the deadline
	keptRunning     bool                // a Job of an earlier attempt, running when the retry began
	pods            []record.PodFailure // why its Job failed, from its pods
	waitingSaid     string              // the pod waiting reason last printed
}

func (c *Controller) buildUnits() {
	jobs := c.model.Jobs()
	c.jobs = jobs
	c.nodeUnits = make([][]int, len(jobs))
	c.byName = map[string]int{}
	c.revertUnit = make([]int, len(jobs))
	for _, j := range jobs {
		for _, m := range j.Manifests {
			u := &unit{index: len(c.units), node: j.Index, job: j, manifest: m, attempt: 1}
			c.units = append(c.units, u)
			c.nodeUnits[j.Index] = append(c.nodeUnits[j.Index], u.index)
		}
		c.revertUnit[j.Index] = -1
		if j.Revert != nil {
			u := &unit{index: len(c.units), node: j.Index, job: j, manifest: j.Revert, revert: true, attempt: 1}
			c.units = append(c.units, u)
			c.revertUnit[j.Index] = u.index
		}
		c.finally = append(c.finally, c.model.Options.FinallyPhase != "" && j.Phase == c.model.Options.FinallyPhase)
	}
	c.manifestHash = map[*config.Manifest]string{}
	for _, u := range c.units {
		if _, ok := c.manifestHash[u.manifest]; !ok {
			c.manifestHash[u.manifest] = ManifestHash(u.manifest)
		}
	}
	c.renameUnits()
	c.topoPos = make([]int, c.graph.Len())
	for pos, n := range c.graph.TopoOrder() {
		c.topoPos[n] = pos
	}
	c.phaseSeen = make([]int, len(c.graph.Phases()))
}

// renameUnits gives every unit the name of its attempt.
func (c *Controller) renameUnits() {
	c.byName = make(map[string]int, len(c.units))
	for _, u := range c.units {
		u.name = jobName(c.runID, u.job, u.manifest, u.attempt, u.revert)
		c.byName[u.name] = u.index
	}
}

// nodeState folds a node's units into the graph's view.
func (c *Controller) nodeState(n int) graph.State {
	succeeded, started := 0, false
	for _, ui := range c.nodeUnits[n] {
		switch c.units[ui].state {
		case unitFailed:
			return graph.Failed
		case unitSucceeded:
			succeeded++
			started = true
		case unitActive:
			started = true
		}
	}
	switch {
	case succeeded == len(c.nodeUnits[n]):
		return graph.Succeeded
	case started:
		return graph.Running
	}
	return graph.Pending
}
