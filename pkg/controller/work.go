package controller

import (
	"slices"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// work is what a sync visits instead of every unit and node, so that a
// completion costs the same at 100 Jobs and at 100,000 (issue 17: a sync
// that walked every unit took 16-28 ms at 100,000). The first sync of a
// process visits everything; later ones visit
//
//   - the live units: every unit that may still change or still has
//     something to be done for it (active; finished but not yet recorded;
//     recorded but not yet cleaned up, or its finalizer not yet released;
//     a line not yet printed), and
//   - the units whose Jobs the informer delivered since (tracker.touched),
//
// and tell the graph's Frontier only the nodes whose units changed state.
// A unit at rest (not created and not expected, or recorded for good and
// cleaned up) needs nothing until the DAG makes it ready, which the
// Frontier says. Every change of a unit's state goes through setState.
// work also carries what one sync leaves the next (the first failure, the
// record's last write, when each phase finished) so that no sync has to
// find it again by walking every unit.
type work struct {
	live     []*unit // by unit index once sorted
	isLive   []bool  // per unit index
	sorted   bool
	full     bool            // the next sync visits every unit
	frontier *graph.Frontier // built by the first sync
	changed  []int           // nodes whose state the Frontier has not heard yet
	isDirty  []bool          // per node: in changed
	// firstFailed is the first failed unit in DAG order (reverts do not
	// count: they run because the run failed), kept by setState: a unit
	// may fail and be recorded within one sync, and leave the live set.
	firstFailed *unit
	// lastWrite of the record: it is written at most once per RecordInterval.
	lastWrite time.Time
	phaseDone map[int]time.Time // per phase over: when its last Job finished (readySince)
}

func (c *Controller) initWork() {
	c.work = work{
		isLive:    make([]bool, len(c.units)),
		isDirty:   make([]bool, len(c.nodes)),
		full:      true,
		phaseDone: map[int]time.Time{},
	}
}

// setState is the one way a unit's state changes: the unit becomes live and
// its node is told to the Frontier on the next decision.
func (c *Controller) setState(u *unit, s unitState) {
	if u.state == s {
		return
	}
	u.state = s
	c.touch(u)
	w := &c.work
	if s == unitFailed && !u.revert && (w.firstFailed == nil || c.model.Graph.TopoPosition(u.node) < c.model.Graph.TopoPosition(w.firstFailed.node)) {
		w.firstFailed = u
	}
}

// touch makes u live and its node changed.
func (c *Controller) touch(u *unit) {
	w := &c.work
	if !w.isLive[u.index] {
		w.isLive[u.index] = true
		w.live = append(w.live, u)
		w.sorted = false
	}
	if !w.isDirty[u.node] {
		w.isDirty[u.node] = true
		w.changed = append(w.changed, u.node)
	}
}

// liveUnits are the units this sync visits, in unit order (so, DAG model
// order): every unit on a full sync.
func (c *Controller) liveUnits() []*unit {
	w := &c.work
	if w.full {
		return c.units
	}
	if !w.sorted {
		slices.SortFunc(w.live, func(a, b *unit) int { return a.index - b.index })
		w.sorted = true
	}
	return w.live
}

// beginSync makes every unit live on a full sync.
func (c *Controller) beginSync() {
	if !c.work.full {
		return
	}
	for _, u := range c.units {
		c.touch(u)
	}
}

// graphState tells the Frontier what changed and returns it (built on the
// first call from every node).
func (c *Controller) graphState() *graph.Frontier {
	w := &c.work
	if w.frontier == nil {
		states := make([]graph.NodeState, len(c.nodes))
		for i, n := range c.nodes {
			states[i] = n.state()
		}
		w.frontier = c.model.Graph.NewFrontier(states)
	}
	for _, n := range w.changed {
		w.frontier.Set(n, c.nodes[n].state())
		w.isDirty[n] = false
	}
	w.changed = w.changed[:0]
	return w.frontier
}

// endSync lets the units at rest go: what is left live is what the next
// sync must look at again.
func (c *Controller) endSync() {
	w := &c.work
	w.full = false
	keep := w.live[:0]
	for _, u := range w.live {
		if c.atRest(u) {
			w.isLive[u.index] = false
			continue
		}
		keep = append(keep, u)
	}
	clear(w.live[len(keep):])
	w.live = keep
}

// atRest: nothing of u can change, or needs doing, until the DAG makes it
// ready (the Frontier) or the informer delivers its Job (touched).
func (c *Controller) atRest(u *unit) bool {
	switch {
	case u.state != u.said.state, u.queued != u.said.queued, u.state == unitActive, u.fin == finHeld:
		return false
	case u.state == unitNotCreated:
		return !u.inRecord.created
	case !u.inRecord.final:
		return false // finished or skipped: to be recorded
	case u.state == unitSucceeded && c.model.Options.Cleanup && !u.deleteIssued.cleanup:
		_, err := c.cache.jobs.Jobs(c.ns).Get(u.name)
		return err != nil // still to delete while its Job is there
	}
	return true
}
