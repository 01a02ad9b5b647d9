package graph

// Node is a built node. Index is the node's position in model order (phase
// by phase, job by job), which is also its ID everywhere in this package.
// Its slices are shared with the Graph and must not be modified.
type Node struct {
	Index      int
	Name       string
	Phase      int   // index into Graph.Phases()
	Deps       []int // same-phase dependencies, in the order written
	Dependents []int // same-phase nodes that depend on this one, ascending
	Rule       TriggerRule
	HasRevert  bool
}

// Phase is a built phase. Its Nodes slice is shared with the Graph and must
// not be modified.
type Phase struct {
	Name    string
	Nodes   []int // ascending model order
	Finally bool
}
