package graph

import "slices"

// Decide is the run's rules as one pure function: given each node's state
// (indexed by node) and the run's, it says which nodes start, which never
// will, which are aborted and reverted, and whether the run is over. It
// reads its arguments only, so the caller recomputes it on every change.
//
// The run goes through three stages, each once the one before has settled:
//  1. the main phases: phase N+1's roots wait for phase N; every node waits
//     for its upstream to be terminal, then its trigger rule says run or
//     skip. Once a node has failed, the failure policy skips what has not
//     started (stop: what needs success; abort: everything, and running
//     nodes are aborted; continue: nothing);
//  2. after a failure, the reverts of succeeded nodes, in reverse
//     dependency order (see reverts);
//  3. the finally phase, whatever happened, by its own trigger rules.
//
// A cancel or a passed deadline ends the run at once: nothing starts again.
func (g *Graph) Decide(nodes []NodeState, run Run) Decision {
	d := &decider{g: g, run: run, state: slices.Clone(nodes)}
	d.failed = run.Cancelled || run.Deadline || d.anyFailed()
	switch {
	case run.Cancelled:
		return Decision{Result: RunFailed}
	case run.Deadline:
		d.abort()
		d.skipUnfinished(SkipDeadline)
		d.out.Result = RunFailed
		return d.out
	}
	d.abort()
	d.out.Result = d.advance()
	return d.out
}

// decider holds one Decide call. Its state is a copy of the input on which
// skips are applied as they are decided, so that downstream nodes (and
// later phases) see them in the same call.
type decider struct {
	g      *Graph
	run    Run
	state  []NodeState
	failed bool // a node failed, or the run was cancelled or timed out
	out    Decision
}

// advance runs the three stages and says how the run stands.
func (d *decider) advance() RunResult {
	if !d.mainPhases() || !d.reverts() {
		return RunRunning
	}
	d.finallyPhase()
	switch {
	case !d.settled():
		return RunRunning
	case d.failed:
		return RunFailed
	}
	return RunSucceeded
}

// upstream is what a trigger rule reads of a node's upstream nodes.
type upstream struct{ terminal, succeeded, anyFailed bool }

// noUpstream is the upstream of a node that waits for nothing: a root of
// the first phase or of the finally phase.
var noUpstream = upstream{terminal: true, succeeded: true}

// mainPhases decides every phase but the finally phase and reports whether
// all of their nodes are terminal.
func (d *decider) mainPhases() (done bool) {
	prev, done := noUpstream, true
	for p, ph := range d.g.phases {
		if ph.Finally || len(ph.Nodes) == 0 {
			continue // an empty phase holds nothing back: prev passes through
		}
		d.phase(p, prev, d.failed)
		prev = d.aggregate(ph.Nodes)
		done = done && prev.terminal
	}
	return done
}

// finallyPhase decides the finally phase, which the run's failure does not
// stop and whose roots wait for nothing (the stages before it are done).
func (d *decider) finallyPhase() {
	for p, ph := range d.g.phases {
		if ph.Finally {
			d.phase(p, noUpstream, false)
		}
	}
}

// phase visits a phase's nodes in topological order, so that a node sees
// the skips of its dependencies. prev is the previous phase's aggregate;
// stopped: the run failed and the failure policy applies.
func (d *decider) phase(p int, prev upstream, stopped bool) {
	lo, hi := d.g.phaseRange(p)
	for _, n := range d.g.topo[lo:hi] {
		switch s := d.state[n].Main; {
		case s == Running && d.state[n].Held && (!stopped || !d.policyStops(n)):
			d.out.Create = append(d.out.Create, n) // the rest of its Jobs
		case s == Running && d.state[n].Held:
			// The run failed: the rest never starts (its state stays:
			// what runs of it still holds its dependents back).
			d.out.Skip = append(d.out.Skip, Skip{Node: n, Why: d.why(n)})
		case s != Pending:
			// started, finished or skipped: nothing to decide
		case stopped && d.policyStops(n):
			d.skip(n, d.why(n))
		default:
			d.trigger(n, prev)
		}
	}
}

// trigger applies node n's trigger rule once its upstream is terminal.
func (d *decider) trigger(n int, prev upstream) {
	up := prev
	if deps := d.g.nodes[n].Deps; len(deps) > 0 {
		up = d.aggregate(deps)
	}
	if !up.terminal {
		return
	}
	if ruleMet(d.g.nodes[n].Rule, up) {
		d.out.Create = append(d.out.Create, n)
		return
	}
	d.skip(n, d.why(n))
}

func ruleMet(r TriggerRule, up upstream) bool {
	switch r {
	case RuleAllDone:
		return true
	case RuleOneFailed:
		return up.anyFailed
	}
	return up.succeeded
}

// policyStops: after a failure, the policy skips node n before it starts.
func (d *decider) policyStops(n int) bool {
	p := d.run.Policy
	return p == PolicyAbort || p != PolicyContinue && d.g.nodes[n].Rule == RuleAllSucceeded
}

// why names the most telling reason for skipping node n.
func (d *decider) why(n int) SkipReason {
	switch {
	case d.run.Deadline:
		return SkipDeadline
	case d.failed && d.run.Policy == PolicyAbort:
		return SkipAborted
	case d.failed && d.policyStops(n):
		return SkipFailurePolicy
	}
	return SkipTriggerRule
}

func (d *decider) skip(n int, why SkipReason) {
	d.state[n].Main = Skipped
	d.out.Skip = append(d.out.Skip, Skip{Node: n, Why: why})
}

// skipUnfinished skips every node that may still have Jobs not created.
func (d *decider) skipUnfinished(why SkipReason) {
	for n, s := range d.state {
		if s.Main != Succeeded && s.Main != Skipped {
			d.skip(n, why)
		}
	}
}

// abort lists the nodes that run outside the finally phase, once a node
// failed under failure_policy abort.
func (d *decider) abort() {
	if !d.failed || d.run.Policy != PolicyAbort {
		return
	}
	for n, s := range d.state {
		if (s.Main == Running || s.Main == Failing) && !d.g.phases[d.g.nodes[n].Phase].Finally {
			d.out.Abort = append(d.out.Abort, n)
		}
	}
}

func (d *decider) aggregate(nodes []int) upstream {
	u := noUpstream
	for _, m := range nodes {
		s := d.state[m].Main
		u.terminal = u.terminal && s.Terminal()
		u.succeeded = u.succeeded && s == Succeeded
		u.anyFailed = u.anyFailed || s.HasFailed()
	}
	return u
}

func (d *decider) anyFailed() bool {
	for _, s := range d.state {
		if s.Main.HasFailed() {
			return true
		}
	}
	return false
}

// settled: nothing runs and nothing is left to decide.
func (d *decider) settled() bool {
	for _, s := range d.state {
		if !s.Main.Terminal() || s.Revert == Running {
			return false
		}
	}
	return true
}
