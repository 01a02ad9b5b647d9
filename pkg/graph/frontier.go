package graph

import (
	"container/heap"
	"slices"
)

// Frontier is Decide for a caller that reports changes instead of passing
// every node's state on every call: a run of 100,000 jobs asks for a
// decision on every Job that finishes, and walking every node each time
// made that O(N) per completion. The caller Sets each node whose state
// changed; Decide then visits only the nodes those changes can move (their
// dependents, the next phase's roots) plus the few that are open (running,
// or decided and not yet started or skipped). Its answer is always
// Decide's on the same states: frontier_test.go holds the two equal.
//
// The incremental path covers the main phases while the run is neither
// cancelled nor past its deadline and nothing has failed, or something
// has under failure_policy continue (which changes no decision but the
// trigger rules': one_failed reads the failures, counted too): the whole
// of a run that goes well, or goes on past its failures, but for its end.
// A failure under stop or abort, a cancel, the deadline, the reverts and
// the finally phase come once per run and are decided by Decide itself,
// on the states the Frontier holds.
type Frontier struct {
	g     *Graph
	state []NodeState // as the caller reported them

	// verdict is what the last visit decided for a Pending main node. A
	// node to skip counts as Skipped for what it feeds, as in Decide's own
	// copy of the states, until the caller reports it Skipped.
	verdict []verdict
	count   frontierCounts
	open    map[int]struct{} // Held main nodes, and Pending ones with a verdict
	dirty   topoHeap         // nodes to visit, by topological position
	queued  []bool           // in dirty
}

// frontierCounts are the counts a visit reads instead of walking the
// upstream: "done" is Terminal, "ok" is Succeeded, "failed" HasFailed, all
// as Decide's copy would have them (with the skips decided and not yet
// reported).
type frontierCounts struct {
	depsNotDone  []int32 // per node: dependencies not done
	depsNotOK    []int32 // per node: dependencies not succeeded
	depsFailed   []int32 // per node: dependencies failed
	phaseNotDone []int   // per phase
	phaseNotOK   []int   // per phase
	phaseFailed  []int   // per phase
	phaseStarted []int   // per phase: nodes Started (for the caller's progress lines)
	mainNotDone  int     // main-phase nodes not done
	failed       int     // nodes whose Main HasFailed
	// prevMain and nextMain link each main phase to the previous and next
	// non-empty main phase (-1: none): a phase's roots wait for the one
	// before, as Decide's mainPhases passes its aggregate along.
	prevMain, nextMain []int
	roots              [][]int // per phase: nodes without dependencies, in topological order
}

type verdict uint8

const (
	verdictNone verdict = iota
	verdictCreate
	verdictSkip
)

// NewFrontier starts a Frontier on the given states (say, a resumed run's);
// nil means every node Pending.
func (g *Graph) NewFrontier(states []NodeState) *Frontier {
	f := &Frontier{
		g:       g,
		state:   make([]NodeState, len(g.nodes)),
		verdict: make([]verdict, len(g.nodes)),
		open:    map[int]struct{}{},
		queued:  make([]bool, len(g.nodes)),
	}
	copy(f.state, states)
	f.linkPhases()
	f.countAll()
	for _, n := range g.topo {
		f.reopen(n)
		f.push(n)
	}
	return f
}

// linkPhases finds each main phase's neighbours and roots.
func (f *Frontier) linkPhases() {
	g, c := f.g, &f.count
	c.prevMain = make([]int, len(g.phases))
	c.nextMain = make([]int, len(g.phases))
	c.roots = make([][]int, len(g.phases))
	last := -1
	for p, ph := range g.phases {
		c.prevMain[p], c.nextMain[p] = -1, -1
		if ph.Finally || len(ph.Nodes) == 0 {
			continue
		}
		c.prevMain[p] = last
		if last >= 0 {
			c.nextMain[last] = p
		}
		last = p
		lo, hi := g.phaseRange(p)
		for _, n := range g.topo[lo:hi] {
			if len(g.nodes[n].Deps) == 0 {
				c.roots[p] = append(c.roots[p], n)
			}
		}
	}
}

// countAll counts from the states alone (no verdict yet).
func (f *Frontier) countAll() {
	g, c := f.g, &f.count
	c.depsNotDone = make([]int32, len(g.nodes))
	c.depsNotOK = make([]int32, len(g.nodes))
	c.depsFailed = make([]int32, len(g.nodes))
	c.phaseNotDone = make([]int, len(g.phases))
	c.phaseNotOK = make([]int, len(g.phases))
	c.phaseFailed = make([]int, len(g.phases))
	c.phaseStarted = make([]int, len(g.phases))
	for n, nd := range g.nodes {
		for _, m := range nd.Deps {
			s := f.state[m].Main
			if !s.Terminal() {
				c.depsNotDone[n]++
			}
			if s != Succeeded {
				c.depsNotOK[n]++
			}
			if s.HasFailed() {
				c.depsFailed[n]++
			}
		}
		s := f.state[n].Main
		f.countNode(n, s, 1)
	}
}

// countNode adds (sign 1) or removes (-1) node n, seen as s, from its
// phase's counts.
func (f *Frontier) countNode(n int, s State, sign int) {
	c, p := &f.count, f.g.nodes[n].Phase
	if !s.Terminal() {
		c.phaseNotDone[p] += sign
		if !f.g.phases[p].Finally {
			c.mainNotDone += sign
		}
	}
	if s != Succeeded {
		c.phaseNotOK[p] += sign
	}
	if s.HasFailed() {
		c.phaseFailed[p] += sign
		c.failed += sign
	}
	if s.Started() {
		c.phaseStarted[p] += sign
	}
}

// Set reports node n's state; a Set that changes nothing costs nothing.
func (f *Frontier) Set(n int, s NodeState) {
	old := f.state[n]
	if old == s {
		return
	}
	before := f.effective(n)
	f.state[n] = s
	if s.Main != Pending {
		f.verdict[n] = verdictNone
	}
	f.moved(n, before, f.effective(n))
	f.reopen(n)
	f.push(n)
}

// PhaseProgress is whether a node of phase p started and whether all of
// them succeeded (an empty phase has), in O(1).
func (f *Frontier) PhaseProgress(p int) (started, succeeded bool) {
	return f.count.phaseStarted[p] > 0, f.count.phaseNotOK[p] == 0
}

// Decide is g.Decide(f.States(), run).
func (f *Frontier) Decide(run Run) Decision {
	if f.settling(run) {
		return f.g.Decide(f.state, run)
	}
	for f.dirty.Len() > 0 {
		n := f.g.topo[heap.Pop(&f.dirty).(int)]
		f.queued[n] = false
		f.visit(n)
	}
	if f.count.mainNotDone == 0 {
		return f.g.Decide(f.state, run) // the main phases just ended: reverts, finally phase
	}
	var d Decision
	open := make([]int, 0, len(f.open))
	for n := range f.open {
		open = append(open, f.g.topoPos[n])
	}
	slices.Sort(open)
	for _, pos := range open {
		n := f.g.topo[pos]
		switch {
		case f.state[n].Main == Running || f.verdict[n] == verdictCreate: // Running: Held (reopen)
			d.Create = append(d.Create, n)
		case f.verdict[n] == verdictSkip:
			d.Skip = append(d.Skip, Skip{Node: n, Why: SkipTriggerRule})
		}
	}
	return d // Result: RunRunning, main nodes are not done
}

// settling: the run is past the part the Frontier follows (a failure that
// its policy acts on, a cancel, the deadline, or the main phases are done).
// Under continue a failure changes nothing but what trigger rules read.
func (f *Frontier) settling(run Run) bool {
	return run.Cancelled || run.Deadline || f.count.failed > 0 && run.Policy != PolicyContinue || f.count.mainNotDone == 0
}

// visit decides Pending main node n as Decide's phase walk would, from the
// counts, and passes a change on to what n feeds.
func (f *Frontier) visit(n int) {
	nd := f.g.nodes[n]
	if f.state[n].Main != Pending || f.g.phases[nd.Phase].Finally {
		return
	}
	v := verdictNone
	if up, ok := f.upstream(n); ok {
		v = verdictSkip
		if ruleMet(nd.Rule, up) {
			v = verdictCreate
		}
	}
	if v == f.verdict[n] {
		return
	}
	before := f.effective(n)
	f.verdict[n] = v
	f.moved(n, before, f.effective(n))
	f.reopen(n)
}

// upstream is what node n's trigger rule reads, once its upstream is done
// (ok false before).
func (f *Frontier) upstream(n int) (upstream, bool) {
	c := &f.count
	if len(f.g.nodes[n].Deps) > 0 {
		return upstream{terminal: true, succeeded: c.depsNotOK[n] == 0, anyFailed: c.depsFailed[n] > 0}, c.depsNotDone[n] == 0
	}
	prev := c.prevMain[f.g.nodes[n].Phase]
	if prev < 0 {
		return noUpstream, true
	}
	return upstream{terminal: true, succeeded: c.phaseNotOK[prev] == 0, anyFailed: c.phaseFailed[prev] > 0}, c.phaseNotDone[prev] == 0
}

// effective is node n's state as what it feeds sees it.
func (f *Frontier) effective(n int) State {
	if s := f.state[n].Main; s != Pending || f.verdict[n] != verdictSkip {
		return s
	}
	return Skipped
}

// moved updates the counts for node n going from before to after, and
// queues what may decide differently now.
func (f *Frontier) moved(n int, before, after State) {
	if before == after {
		return
	}
	c, nd := &f.count, f.g.nodes[n]
	p := nd.Phase
	phaseDone, phaseOK, phaseFailed := c.phaseNotDone[p] == 0, c.phaseNotOK[p] == 0, c.phaseFailed[p] > 0
	f.countNode(n, before, -1)
	f.countNode(n, after, 1)
	doneBy := delta(before.Terminal(), after.Terminal())
	okBy := delta(before == Succeeded, after == Succeeded)
	failedBy := delta(before.HasFailed(), after.HasFailed())
	for _, m := range nd.Dependents {
		c.depsNotDone[m] -= int32(doneBy)
		c.depsNotOK[m] -= int32(okBy)
		c.depsFailed[m] += int32(failedBy)
		f.push(m)
	}
	if next := c.nextMain[p]; next >= 0 && (phaseDone != (c.phaseNotDone[p] == 0) || phaseOK != (c.phaseNotOK[p] == 0) || phaseFailed != (c.phaseFailed[p] > 0)) {
		for _, m := range c.roots[next] {
			f.push(m)
		}
	}
}

// delta is +1 when a property became true, -1 when it was lost.
func delta(was, is bool) int {
	switch {
	case !was && is:
		return 1
	case was && !is:
		return -1
	}
	return 0
}

// reopen keeps node n in open exactly while Decide may list it.
func (f *Frontier) reopen(n int) {
	s := f.state[n].Main
	main := !f.g.phases[f.g.nodes[n].Phase].Finally
	if main && (s == Running && f.state[n].Held || s == Pending && f.verdict[n] != verdictNone) {
		f.open[n] = struct{}{}
		return
	}
	delete(f.open, n)
}

func (f *Frontier) push(n int) {
	if f.queued[n] || f.state[n].Main != Pending {
		return
	}
	f.queued[n] = true
	heap.Push(&f.dirty, f.g.topoPos[n])
}

// topoHeap is a min-heap of topological positions: a node is visited after
// everything upstream of it, as in Decide's walk.
type topoHeap []int

func (h topoHeap) Len() int           { return len(h) }
func (h topoHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h topoHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topoHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *topoHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// States are the states as reported (shared: do not modify).
func (f *Frontier) States() []NodeState { return f.state }
