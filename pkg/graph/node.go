package graph

// State is what the controller knows about a node.
type State int

// The states of a node.
const (
	Pending State = iota // not started
	Running              // created, not finished
	Succeeded
	Failed
)

// String makes states readable in test failures and logs.
func (s State) String() string {
	switch s {
	case Pending:
		return "Pending"
	case Running:
		return "Running"
	case Succeeded:
		return "Succeeded"
	case Failed:
		return "Failed"
	}
	return "State(" + itoa(int(s)) + ")"
}

// Node is a built node. Index is the node's position in model order (phase
// by phase, job by job), which is also its ID everywhere in this package.
// Its slices are shared with the Graph and must not be modified.
type Node struct {
	Index      int
	Name       string
	Phase      int   // index into Graph.Phases()
	Deps       []int // same-phase dependencies, in the order written
	Dependents []int // same-phase nodes that depend on this one, ascending
}

// Phase is a built phase. Its Nodes slice is shared with the Graph and must
// not be modified.
type Phase struct {
	Name  string
	Nodes []int // ascending model order
}
