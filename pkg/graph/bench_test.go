package graph

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// Shapes of generated models. Build must stay linear in nodes + edges, so
// 100,000 nodes should cost about ten times 10,000.
func fanOut(n int) []PhaseSpec { // one phase: root <-- n-1 dependents
	nodes := make([]NodeSpec, n)
	nodes[0] = NodeSpec{Name: "root"}
	root := []string{"root"}
	for i := 1; i < n; i++ {
		nodes[i] = NodeSpec{Name: "n" + strconv.Itoa(i), DependsOn: root}
	}
	return []PhaseSpec{{Name: "p", Nodes: nodes}}
}

func chain(n int) []PhaseSpec { // one phase: n0 <-- n1 <-- ... <-- n(n-1)
	nodes := make([]NodeSpec, n)
	nodes[0] = NodeSpec{Name: "n0"}
	for i := 1; i < n; i++ {
		nodes[i] = NodeSpec{Name: "n" + strconv.Itoa(i), DependsOn: []string{nodes[i-1].Name}}
	}
	return []PhaseSpec{{Name: "p", Nodes: nodes}}
}

func phaseFanOut(n int) []PhaseSpec { // root phase, then a phase of n-1: no edges at all
	nodes := make([]NodeSpec, n-1)
	for i := range nodes {
		nodes[i] = NodeSpec{Name: "n" + strconv.Itoa(i+1)}
	}
	return []PhaseSpec{{Name: "first", Nodes: []NodeSpec{{Name: "root"}}}, {Name: "second", Nodes: nodes}}
}

var shapes = []struct {
	name string
	gen  func(int) []PhaseSpec
}{{"fanout", fanOut}, {"chain", chain}, {"phase-fanout", phaseFanOut}}

func BenchmarkBuild(b *testing.B) {
	for _, shape := range shapes {
		for _, n := range []int{10_000, 100_000} {
			spec := shape.gen(n)
			b.Run(fmt.Sprintf("%s/%d", shape.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Build(spec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	const n = 100_000
	cases := []struct {
		name  string
		spec  []PhaseSpec
		state func(i int) State
	}{
		// the root done: 99,999 nodes start at once
		{"fanout/root-done", fanOut(n), func(i int) State {
			if i == 0 {
				return Succeeded
			}
			return Pending
		}},
		// half the chain done: one node starts, every edge of the phase checked
		{"chain/half-done", chain(n), func(i int) State {
			if i < n/2 {
				return Succeeded
			}
			return Pending
		}},
		// first of 100 phases of 1,000 half running: the later phases wait
		{"100-phases/first-open", func() []PhaseSpec {
			var phases []PhaseSpec
			for p := range 100 {
				nodes := make([]NodeSpec, 1000)
				for k := range nodes {
					nodes[k] = NodeSpec{Name: fmt.Sprintf("p%d_%d", p, k)}
				}
				phases = append(phases, PhaseSpec{Name: fmt.Sprintf("p%d", p), Nodes: nodes})
			}
			return phases
		}(), func(i int) State {
			if i < 500 {
				return Running
			}
			return Pending
		}},
	}
	for _, tc := range cases {
		g, err := Build(tc.spec)
		if err != nil {
			b.Fatal(err)
		}
		in := make([]NodeState, g.Len())
		for i := range in {
			in[i].Main = tc.state(i)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = g.Decide(in, Run{})
			}
		})
	}
}

func BenchmarkCriticalPath(b *testing.B) {
	g, err := Build(chain(100_000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		g.CriticalPath(func(i int) time.Duration { return time.Duration(i % 7) })
	}
}
