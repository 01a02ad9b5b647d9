package graph

// cycles reports each dependency cycle once. The nodes Kahn's algorithm left
// with dependencies (indeg > 0) are on a cycle or downstream of one; their
// strongly connected components of two or more nodes are exactly the cyclic
// parts (self-dependencies never become edges). For each such component one
// cycle is reported: the shortest one through its lowest-indexed node,
// following dependencies in the order written, which is deterministic.
func (b *builder) cycles(indeg []int) {
	n := len(b.g.nodes)
	comps := components(b.g, func(i int) bool { return indeg[i] > 0 })
	// comp marks each node's component (+1; 0 = none) for the path search.
	comp := make([]int, n)
	starts := make([]int, 0, len(comps))
	for c, nodes := range comps {
		lowest := nodes[0]
		for _, v := range nodes {
			comp[v] = c + 1
			lowest = min(lowest, v)
		}
		starts = append(starts, lowest)
	}
	parent := make([]int, n)
	for i := range parent {
		parent[i] = -1
	}
	for _, s := range starts {
		b.reportCycle(shortestCycle(b.g, s, comp, parent))
	}
}

// shortestCycle finds, by breadth-first search along dependencies inside
// start's component, the shortest path from start back to start.
func shortestCycle(g *Graph, start int, comp, parent []int) []int {
	c := comp[start]
	queue := []int{start}
	parent[start] = start
	end := -1
search:
	for q := 0; q < len(queue); q++ {
		v := queue[q]
		for _, w := range g.nodes[v].Deps {
			if comp[w] != c {
				continue
			}
			if w == start {
				end = v
				break search
			}
			if parent[w] == -1 {
				parent[w] = v
				queue = append(queue, w)
			}
		}
	}
	// A component of two or more nodes always has a cycle through start;
	// guard anyway so that a bug here cannot turn into a panic.
	if end == -1 {
		return []int{start, start}
	}
	var rev []int
	for v := end; v != start; v = parent[v] {
		rev = append(rev, v)
	}
	path := make([]int, 0, len(rev)+2)
	path = append(path, start)
	for k := len(rev) - 1; k >= 0; k-- {
		path = append(path, rev[k])
	}
	return append(path, start)
}

func (b *builder) reportCycle(path []int) {
	g := b.g
	names := make([]string, len(path))
	for k, v := range path {
		names[k] = g.nodes[v].Name
	}
	start := g.nodes[path[0]]
	b.add(Problem{
		Kind:       Cycle,
		Phase:      g.phases[start.Phase].Name,
		Node:       start.Name,
		Cycle:      names,
		PhaseIndex: start.Phase,
		NodeIndex:  start.Index,
		DepIndex:   -1,
		Message:    "dependency cycle: " + CyclePath(names) + " (each depends on the next)",
	})
}

// CyclePath formats a cycle as "a -> b -> c -> a".
func CyclePath(names []string) string {
	s := ""
	for k, name := range names {
		if k > 0 {
			s += " -> "
		}
		s += name
	}
	return s
}
