package graph

// components are the strongly connected components of two or more nodes
// among the nodes for which in is true, along dependencies to such nodes:
// Tarjan's algorithm, iterative, so that a chain of 100,000 nodes cannot
// exhaust anything but the heap.
func components(g *Graph, in func(int) bool) [][]int {
	n := len(g.nodes)
	t := &tarjan{g: g, in: in, num: make([]int, n), low: make([]int, n), onStack: make([]bool, n)}
	for i := range t.num {
		t.num[i] = unvisited
	}
	for s := range n {
		if in(s) && t.num[s] == unvisited {
			t.search(s)
		}
	}
	return t.comps
}

const unvisited = -1

// tarjan is the state of one components search; calls is its call stack.
type tarjan struct {
	g        *Graph
	in       func(int) bool
	num, low []int
	onStack  []bool
	stack    []int
	calls    []tarjanFrame
	counter  int
	comps    [][]int
}

// tarjanFrame is a visit of node v that has followed next of its
// dependencies.
type tarjanFrame struct{ v, next int }

// search visits every node reachable from s that no earlier search
// visited.
func (t *tarjan) search(s int) {
	t.visit(s)
	for len(t.calls) > 0 {
		f := &t.calls[len(t.calls)-1]
		if deps := t.g.nodes[f.v].Deps; f.next < len(deps) {
			f.next++
			t.follow(f.v, deps[f.next-1])
			continue
		}
		t.finish(f.v)
	}
}

func (t *tarjan) visit(v int) {
	t.num[v], t.low[v] = t.counter, t.counter
	t.counter++
	t.stack = append(t.stack, v)
	t.onStack[v] = true
	t.calls = append(t.calls, tarjanFrame{v: v})
}

// follow is v's dependency w.
func (t *tarjan) follow(v, w int) {
	switch {
	case !t.in(w):
	case t.num[w] == unvisited:
		t.visit(w)
	case t.onStack[w]:
		t.low[v] = min(t.low[v], t.num[w])
	}
}

// finish returns from v's visit; v closes a component when no node below
// it reaches higher.
func (t *tarjan) finish(v int) {
	t.calls = t.calls[:len(t.calls)-1]
	if len(t.calls) > 0 {
		parent := t.calls[len(t.calls)-1].v
		t.low[parent] = min(t.low[parent], t.low[v])
	}
	if t.low[v] != t.num[v] {
		return
	}
	var comp []int
	for {
		w := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.onStack[w] = false
		comp = append(comp, w)
		if w == v {
			break
		}
	}
	if len(comp) > 1 {
		t.comps = append(t.comps, comp)
	}
}
