package graph

import (
	"fmt"
	"strings"
)

// phase and node keep the test tables short.
func phase(name string, nodes ...NodeSpec) PhaseSpec {
	return PhaseSpec{Name: name, Nodes: nodes}
}

func node(name string, deps ...string) NodeSpec {
	return NodeSpec{Name: name, DependsOn: deps}
}

// finallyPhase, rule and reverting add what Decide reads.
func finallyPhase(name string, nodes ...NodeSpec) PhaseSpec {
	p := phase(name, nodes...)
	p.Finally = true
	return p
}

func rule(r TriggerRule, n NodeSpec) NodeSpec {
	n.Rule = r
	return n
}

func reverting(n NodeSpec) NodeSpec {
	n.HasRevert = true
	return n
}

// mustBuild builds a graph that the test knows to be valid.
func mustBuild(t interface {
	Helper()
	Fatalf(string, ...any)
}, phases ...PhaseSpec) *Graph {
	t.Helper()
	g, err := Build(phases)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return g
}

// names turns node indices into names, for readable comparisons.
func names(g *Graph, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.Node(i).Name
	}
	return out
}

// nodeStates builds Decide's input from states and revert states by node
// name, and the held nodes; others Pending.
func nodeStates(g *Graph, main, revert map[string]State, held ...string) []NodeState {
	out := make([]NodeState, g.Len())
	index := func(name string) int {
		i, ok := g.Index(name)
		if !ok {
			panic(fmt.Sprintf("test bug: no node %q", name))
		}
		return i
	}
	for name, s := range main {
		out[index(name)].Main = s
	}
	for name, s := range revert {
		out[index(name)].Revert = s
	}
	for _, name := range held {
		out[index(name)].Held = true
	}
	return out
}

// summary is a problem in a form that is easy to write in a table.
func summary(p Problem) string {
	s := fmt.Sprintf("%s %s/%s", p.Kind, p.Phase, p.Node)
	if p.Dep != "" {
		s += " dep=" + p.Dep
	}
	if p.Cycle != nil {
		s += " cycle=" + strings.Join(p.Cycle, ">")
	}
	return s
}
