package graph

// State is what the caller knows about a node, folded from its Jobs.
type State int

// The states of a node.
const (
	Pending   State = iota // nothing of it started (some of it may be skipped)
	Running                // started, nothing failed, not all succeeded
	Succeeded              // all of it succeeded
	Failed                 // something failed and nothing of it runs any more
	Failing                // something failed and something else still runs
	Skipped                // decided never to run (all of it, or the rest of it: nothing runs or failed)
)

// String makes states readable in test failures and logs.
func (s State) String() string { return enumName(stateNames, "State", int(s)) }

var stateNames = []string{"Pending", "Running", "Succeeded", "Failed", "Failing", "Skipped"}

// Started reports whether something of the node was created.
func (s State) Started() bool {
	return s == Running || s == Succeeded || s == Failed || s == Failing
}

// Terminal reports whether the node is settled as an upstream: nothing of it
// runs or will.
func (s State) Terminal() bool { return s == Succeeded || s == Failed || s == Skipped }

// HasFailed reports whether something of the node failed, whether or not the
// rest still runs.
func (s State) HasFailed() bool { return s == Failed || s == Failing }

// NodeState is one node's input to Decide: the state of its Jobs and, for
// a node with a revert, of its revert Job (Pending: not created).
type NodeState struct {
	Main   State
	Revert State
	// Held: Running, and some of its Jobs are not created yet (a directory
	// job held back by a parallelization cap). Decide lists it in Create
	// for the rest, or, once the run failed and the policy stops it, in
	// Skip: the rest never starts, and the job ends with what ran.
	Held bool
}
