package graph

// PhaseSpec and NodeSpec are the input to Build, in model order.
type PhaseSpec struct {
	Name  string
	Nodes []NodeSpec
}

// NodeSpec is one node as the model writes it: its name and the names of the
// nodes of its own phase it depends on.
type NodeSpec struct {
	Name      string
	DependsOn []string
}
