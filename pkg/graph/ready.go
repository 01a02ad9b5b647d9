package graph

// Ready is the frontier: the Pending nodes whose dependencies have all
// Succeeded and whose earlier phases have entirely Succeeded, in ascending
// topological position. It is pure: state is only read.
//
// Only the first phase that has not entirely succeeded can hold ready nodes,
// so Ready checks earlier phases until it finds a node that has not
// succeeded (one state call per node there, no edges), then looks at that
// phase's nodes and edges only; later phases are never touched. A Failed or
// Running node keeps its phase open: the caller decides what a failure
// means, Ready only says what could start.
func (g *Graph) Ready(state func(i int) State) []int {
	for p := range g.phases {
		lo, hi := g.phaseRange(p)
		open := false
		for i := lo; i < hi; i++ {
			if state(i) != Succeeded {
				open = true
				break
			}
		}
		if !open {
			continue
		}
		var ready []int
		for _, i := range g.topo[lo:hi] {
			if state(i) != Pending {
				continue
			}
			if g.depsSucceeded(i, state) {
				ready = append(ready, i)
			}
		}
		return ready
	}
	return nil
}

func (g *Graph) depsSucceeded(i int, state func(int) State) bool {
	for _, j := range g.nodes[i].Deps {
		if state(j) != Succeeded {
			return false
		}
	}
	return true
}
