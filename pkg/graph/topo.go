package graph

// order computes the topological order phase by phase and, for the nodes
// Kahn's algorithm cannot place, reports the cycles that hold them back.
func (b *builder) order() {
	g := b.g
	n := len(g.nodes)
	g.topo = make([]int, 0, n)
	g.topoPos = make([]int, n)
	indeg := make([]int, n)
	for i := range g.nodes {
		indeg[i] = len(g.nodes[i].Deps)
	}
	var h minHeap
	stuck := false
	for p := range g.phases {
		lo, hi := g.phaseRange(p)
		h = h[:0]
		placed := len(g.topo)
		// Ascending pushes keep the heap a sorted slice: no sifting.
		for i := lo; i < hi; i++ {
			if indeg[i] == 0 {
				h.push(i)
			}
		}
		for len(h) > 0 {
			i := h.pop()
			g.topoPos[i] = len(g.topo)
			g.topo = append(g.topo, i)
			for _, k := range g.nodes[i].Dependents {
				indeg[k]--
				if indeg[k] == 0 {
					h.push(k)
				}
			}
		}
		if len(g.topo)-placed != hi-lo {
			// Nodes with dependencies left are on or behind a cycle. Keep
			// going: later phases do not depend on this one's edges, and
			// the cycle search below looks at every stuck node at once.
			stuck = true
		}
	}
	if stuck {
		b.cycles(indeg)
	}
}

// minHeap is a binary heap of node indices, lowest first: Kahn's algorithm
// takes the lowest model index among free nodes, which makes the order
// deterministic and close to the order the model is written in.
type minHeap []int

func (h *minHeap) push(v int) {
	*h = append(*h, v)
	s := *h
	for c := len(s) - 1; c > 0; {
		p := (c - 1) / 2
		if s[p] <= s[c] {
			break
		}
		s[p], s[c] = s[c], s[p]
		c = p
	}
}

func (h *minHeap) pop() int {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for p := 0; ; {
		c := 2*p + 1
		if c >= len(s) {
			break
		}
		if c+1 < len(s) && s[c+1] < s[c] {
			c++
		}
		if s[p] <= s[c] {
			break
		}
		s[p], s[c] = s[c], s[p]
		p = c
	}
	*h = s
	return top
}
