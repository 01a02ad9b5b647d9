package graph

import "time"

// CriticalPath is the longest path through the graph given each node's
// duration, and its total. Because phase N+1 starts after all of phase N,
// it is the concatenation, phase by phase, of each phase's longest
// dependency chain. Negative durations count as zero.
//
// Ties are broken deterministically: the chain with more nodes wins (so that
// zero durations still give a sink-to-source chain), then the lower model
// index.
func (g *Graph) CriticalPath(dur func(i int) time.Duration) (path []int, total time.Duration) {
	n := len(g.nodes)
	best := make([]time.Duration, n) // longest chain ending at i, i included
	length := make([]int, n)         // nodes on that chain
	prev := make([]int, n)           // previous node on that chain, -1 at its start
	better := func(a, b int) bool {  // is the chain ending at a longer than at b?
		if best[a] != best[b] {
			return best[a] > best[b]
		}
		if length[a] != length[b] {
			return length[a] > length[b]
		}
		return a < b
	}
	for p := range g.phases {
		lo, hi := g.phaseRange(p)
		if lo == hi {
			continue
		}
		end := -1
		for _, i := range g.topo[lo:hi] {
			prev[i] = -1
			for _, j := range g.nodes[i].Deps {
				if prev[i] == -1 || better(j, prev[i]) {
					prev[i] = j
				}
			}
			d := max(dur(i), 0)
			best[i], length[i] = d, 1
			if j := prev[i]; j >= 0 {
				best[i] += best[j]
				length[i] += length[j]
			}
			if end == -1 || better(i, end) {
				end = i
			}
		}
		from := len(path)
		for i := end; i >= 0; i = prev[i] {
			path = append(path, i)
		}
		for a, b := from, len(path)-1; a < b; a, b = a+1, b-1 {
			path[a], path[b] = path[b], path[a]
		}
		total += best[end]
	}
	return path, total
}
