package controller

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
)

// unitState is the life of one Kubernetes Job of the run.
type unitState int

const (
	unitNotCreated unitState = iota
	unitActive               // created (maybe not yet in the cache), not finished
	unitSucceeded
	unitFailed
)

func (s unitState) String() string {
	switch s {
	case unitActive:
		return "running"
	case unitSucceeded:
		return "succeeded"
	case unitFailed:
		return "failed"
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

	state    unitState
	reported unitState // last state printed as a progress line
	uid      types.UID
	created  time.Time
	started  time.Time
	finished time.Time
	reason   string
	message  string
	reaction time.Duration // ready -> created, when this process created it
	recorded bool          // its final state is in the run record
	deleting bool          // cleanup delete issued
}

func (c *Controller) buildUnits() {
	jobs := c.model.Jobs()
	c.nodeUnits = make([][]int, len(jobs))
	c.byName = map[string]int{}
	for _, j := range jobs {
		for _, m := range j.Manifests {
			u := &unit{index: len(c.units), node: j.Index, job: j, manifest: m, name: JobName(c.runID, j, m)}
			c.units = append(c.units, u)
			c.nodeUnits[j.Index] = append(c.nodeUnits[j.Index], u.index)
			c.byName[u.name] = u.index
		}
	}
	c.topoPos = make([]int, c.graph.Len())
	for pos, n := range c.graph.TopoOrder() {
		c.topoPos[n] = pos
	}
	c.phaseSeen = make([]int, len(c.graph.Phases()))
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
