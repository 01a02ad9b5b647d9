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

// states builds a state function from "name=State" pairs; others Pending.
func states(g *Graph, pairs map[string]State) func(int) State {
	byIndex := make([]State, g.Len())
	for name, s := range pairs {
		i, ok := g.Index(name)
		if !ok {
			panic(fmt.Sprintf("test bug: no node %q", name))
		}
		byIndex[i] = s
	}
	return func(i int) State { return byIndex[i] }
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
