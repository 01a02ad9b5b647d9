package graph

// PhaseSpec and NodeSpec are the input to Build, in model order.
type PhaseSpec struct {
	Name  string
	Nodes []NodeSpec
	// Finally marks the finally phase: it runs after everything else (and
	// after the reverts), whatever happened. Only the last phase may be one;
	// pkg/config checks that.
	Finally bool
}

// NodeSpec is one node as the model writes it: its name, the names of the
// nodes of its own phase it depends on, and what Decide needs of it.
type NodeSpec struct {
	Name      string
	DependsOn []string
	Rule      TriggerRule
	HasRevert bool // it has a revert, run when the run fails after it succeeded
}
