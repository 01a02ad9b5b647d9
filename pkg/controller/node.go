package controller

import (
	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// node is one model job at run time, at the index of its graph node: its
// Jobs (units) and its revert. Whether it is in the finally phase is the
// graph's to know (graph.Phase.Finally).
type node struct {
	job    *config.Job
	units  []*unit // one per manifest, in manifest order; not the revert
	revert *unit   // nil when the job has no revert_path
	// unexpanded: a matrix job whose Jobs are made when it is about to
	// start (dataflow.go); pending until then.
	unexpanded bool
}

// buildUnits makes a node per model job and a unit per Kubernetes Job, and
// names them.
func (c *Controller) buildUnits() {
	jobs := c.model.Jobs()
	c.nodes = make([]*node, len(jobs))
	for _, j := range jobs {
		n := &node{job: j}
		for _, m := range j.Manifests {
			n.units = append(n.units, c.addUnit(j, m, false))
		}
		if j.Revert != nil {
			n.revert = c.addUnit(j, j.Revert, true)
		}
		n.unexpanded = len(j.Matrix) > 0 && len(j.Manifests) == 0
		c.nodes[j.Index] = n
	}
	c.jobTmpl.manifestHash = map[*config.Manifest]string{}
	for _, u := range c.units {
		if _, ok := c.jobTmpl.manifestHash[u.manifest]; !ok {
			c.jobTmpl.manifestHash[u.manifest] = runmeta.ManifestHash(u.manifest)
		}
	}
	c.renameUnits()
	c.notes.phases = make([]int, len(c.model.Graph.Phases()))
	c.initDataflow()
}

func (c *Controller) addUnit(j *config.Job, m *config.Manifest, revert bool) *unit {
	u := &unit{identity: identity{index: len(c.units), node: j.Index, job: j, manifest: m, attempt: 1, revert: revert}}
	c.units = append(c.units, u)
	return u
}

// state is what graph.Decide reads of the node.
func (n *node) state() graph.NodeState {
	if n.unexpanded {
		return graph.NodeState{Main: graph.Pending}
	}
	s := graph.NodeState{Main: fold(n.units)}
	if s.Main == graph.Running {
		for _, u := range n.units {
			s.Held = s.Held || u.state == unitNotCreated
		}
	}
	if n.revert != nil {
		s.Revert = fold([]*unit{n.revert})
	}
	return s
}

// nodeState is node n's state, for progress lines and the report.
func (c *Controller) nodeState(n int) graph.State { return c.nodes[n].state().Main }

// fold is the one way unit states make a node state.
func fold(units []*unit) graph.State {
	var active, succeeded, failed, skipped int
	for _, u := range units {
		switch u.state {
		case unitActive:
			active++
		case unitSucceeded:
			succeeded++
		case unitFailed:
			failed++
		case unitSkipped:
			skipped++
		}
	}
	switch {
	case succeeded == len(units):
		return graph.Succeeded
	case failed > 0 && active > 0:
		return graph.Failing
	case failed > 0:
		return graph.Failed
	case skipped == len(units), skipped > 0 && active == 0:
		// The rest of a partly created job was skipped (the run failed
		// while a parallelization cap held it back): it is over.
		return graph.Skipped
	case active > 0 || succeeded > 0:
		return graph.Running
	}
	return graph.Pending
}
