package graph

// Graph is a validated, immutable DAG. Phase edges are implicit: every node
// of phase N+1 waits for every node of phase N, which is expressed by the
// phase order alone so that a wide model stays linear in size.
//
// Nodes are numbered in model order, phase by phase, so phase p holds the
// contiguous range [phaseStart[p], phaseStart[p+1]) of node indices, and,
// because TopoOrder is phase by phase, the same range of topo positions.
//
// Slices returned by a Graph (other than Decide's and CriticalPath's results)
// are shared with it and must not be modified.
type Graph struct {
	nodes      []Node
	phases     []Phase
	index      map[string]int
	phaseStart []int // len(phases)+1 entries
	topo       []int // node indices, phase by phase
	topoPos    []int // node index -> position in topo
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// Node is node i (0 <= i < Len()).
func (g *Graph) Node(i int) Node { return g.nodes[i] }

// Nodes are all nodes in model order.
func (g *Graph) Nodes() []Node { return g.nodes[:len(g.nodes):len(g.nodes)] }

// Index finds a node by name.
func (g *Graph) Index(name string) (int, bool) {
	i, ok := g.index[name]
	return i, ok
}

// Phases are the phases in order.
func (g *Graph) Phases() []Phase { return g.phases[:len(g.phases):len(g.phases)] }

// TopoOrder is every node in a deterministic topological order: phase by
// phase and, within a phase, Kahn's algorithm taking the lowest model index
// among the nodes that are free to go.
func (g *Graph) TopoOrder() []int { return g.topo[:len(g.topo):len(g.topo)] }

// TopoPosition is node i's position in TopoOrder.
func (g *Graph) TopoPosition(i int) int { return g.topoPos[i] }

// phaseRange is the range of node indices (and of topo positions) of phase p.
func (g *Graph) phaseRange(p int) (lo, hi int) {
	return g.phaseStart[p], g.phaseStart[p+1]
}
