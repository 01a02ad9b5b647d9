package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestBuildValid(t *testing.T) {
	tests := []struct {
		name   string
		phases []PhaseSpec
		// deps and dependents by node name, only for nodes that have some
		deps       map[string][]string
		dependents map[string][]string
		topo       []string
	}{{
		name:   "empty model",
		phases: nil,
		topo:   []string{},
	}, {
		// p0:  a
		// p1:  b   c       (no edges: phase order alone)
		name:   "phases without dependencies",
		phases: []PhaseSpec{phase("p0", node("a")), phase("p1", node("b"), node("c"))},
		topo:   []string{"a", "b", "c"},
	}, {
		//        b
		//      /   \
		// p:  a     d
		//      \   /
		//        c
		name: "diamond",
		phases: []PhaseSpec{phase("p",
			node("d", "b", "c"), node("b", "a"), node("c", "a"), node("a"))},
		deps:       map[string][]string{"d": {"b", "c"}, "b": {"a"}, "c": {"a"}},
		dependents: map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}},
		topo:       []string{"a", "b", "c", "d"},
	}, {
		// p:  a --> c      d is written first but waits for b;
		//     b --> d      ties go to the lowest model index.
		name:   "ties broken by model order",
		phases: []PhaseSpec{phase("p", node("d", "b"), node("a"), node("b"), node("c", "a"))},
		deps:   map[string][]string{"d": {"b"}, "c": {"a"}},
		topo:   []string{"a", "b", "d", "c"},
	}, {
		// p0:  x          an empty phase in the middle is allowed here
		// p1:  (none)     (pkg/config decides whether a model may have one)
		// p2:  y --> z
		name:   "empty phase",
		phases: []PhaseSpec{phase("p0", node("x")), phase("p1"), phase("p2", node("z", "y"), node("y"))},
		deps:   map[string][]string{"z": {"y"}},
		topo:   []string{"x", "y", "z"},
	}, {
		// p:  a --> b --> c   with deps written out of order
		name:   "chain written backwards",
		phases: []PhaseSpec{phase("p", node("c", "b"), node("b", "a"), node("a"))},
		deps:   map[string][]string{"c": {"b"}, "b": {"a"}},
		topo:   []string{"a", "b", "c"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustBuild(t, tc.phases...)
			if got := names(g, g.TopoOrder()); !slices.Equal(got, tc.topo) {
				t.Errorf("TopoOrder = %v, want %v", got, tc.topo)
			}
			for k, i := range g.TopoOrder() {
				if g.TopoPosition(i) != k {
					t.Errorf("TopoPosition(%d) = %d, want %d", i, g.TopoPosition(i), k)
				}
			}
			for _, n := range g.Nodes() {
				if got := names(g, n.Deps); !slices.Equal(got, tc.deps[n.Name]) && len(got)+len(tc.deps[n.Name]) > 0 {
					t.Errorf("%s.Deps = %v, want %v", n.Name, got, tc.deps[n.Name])
				}
				if tc.dependents != nil {
					if got := names(g, n.Dependents); !slices.Equal(got, tc.dependents[n.Name]) && len(got)+len(tc.dependents[n.Name]) > 0 {
						t.Errorf("%s.Dependents = %v, want %v", n.Name, got, tc.dependents[n.Name])
					}
				}
				if i, ok := g.Index(n.Name); !ok || i != n.Index {
					t.Errorf("Index(%q) = %d, %v; want %d", n.Name, i, ok, n.Index)
				}
			}
		})
	}
}

func TestBuildModelOrder(t *testing.T) {
	g := mustBuild(t, phase("p0", node("a"), node("b")), phase("p1"), phase("p2", node("c")))
	want := []Phase{{Name: "p0", Nodes: []int{0, 1}}, {Name: "p1", Nodes: []int{}}, {Name: "p2", Nodes: []int{2}}}
	got := g.Phases()
	if len(got) != len(want) {
		t.Fatalf("Phases = %v, want %v", got, want)
	}
	for p := range want {
		if got[p].Name != want[p].Name || !slices.Equal(got[p].Nodes, want[p].Nodes) {
			t.Errorf("Phases[%d] = %+v, want %+v", p, got[p], want[p])
		}
	}
	for i, n := range g.Nodes() {
		if n.Index != i || g.Node(i).Name != n.Name {
			t.Errorf("node %d: %+v", i, n)
		}
	}
	if n := g.Node(2); n.Phase != 2 {
		t.Errorf("c.Phase = %d, want 2", n.Phase)
	}
	if _, ok := g.Index("nope"); ok {
		t.Error(`Index("nope") found something`)
	}
	// Shared slices are capped, so a careless append cannot overwrite the
	// next phase's nodes.
	_ = append(g.Phases()[0].Nodes, 99)
	if g.Phases()[1].Nodes != nil && len(g.Phases()[1].Nodes) != 0 || g.Phases()[2].Nodes[0] != 2 {
		t.Errorf("append to a returned slice changed the graph: %+v", g.Phases())
	}
}

func TestBuildProblems(t *testing.T) {
	tests := []struct {
		name   string
		phases []PhaseSpec
		want   []string // summary() of each problem, in order
	}{{
		// p:  a   a
		name:   "duplicate node in one phase",
		phases: []PhaseSpec{phase("p", node("a"), node("a"))},
		want:   []string{"DuplicateNode p/a"},
	}, {
		// p0: a        p1: a      (names are global, not per phase)
		name:   "duplicate node across phases",
		phases: []PhaseSpec{phase("p0", node("a")), phase("p1", node("a"))},
		want:   []string{"DuplicateNode p1/a"},
	}, {
		// p: a    p: b    p: c
		name:   "duplicate phase reported at each repeat",
		phases: []PhaseSpec{phase("p", node("a")), phase("p", node("b")), phase("p", node("c"))},
		want:   []string{"DuplicatePhase p/", "DuplicatePhase p/"},
	}, {
		// "": a    p: ""  ""      (two empty names are not a duplicate)
		name:   "empty names",
		phases: []PhaseSpec{phase("", node("a")), phase("p", node(""), node(""))},
		want:   []string{"EmptyName /", "EmptyName p/", "EmptyName p/"},
	}, {
		// p:  "" --> b
		name:   "empty dependency name",
		phases: []PhaseSpec{phase("p", node("a"), node("b", ""))},
		want:   []string{"EmptyName p/b"},
	}, {
		// p:  ? --> a
		name:   "unknown dependency",
		phases: []PhaseSpec{phase("p", node("a", "ghost"))},
		want:   []string{"UnknownDependency p/a dep=ghost"},
	}, {
		// p0: a          p1: b --> (a of p0)    and   p0: c --> (d of p1)
		name: "cross-phase dependency, backwards and forwards",
		phases: []PhaseSpec{
			phase("p0", node("a"), node("c", "d")),
			phase("p1", node("b", "a"), node("d")),
		},
		want: []string{"CrossPhaseDependency p0/c dep=d", "CrossPhaseDependency p1/b dep=a"},
	}, {
		// p:  a --> a
		name:   "self dependency",
		phases: []PhaseSpec{phase("p", node("a", "a"))},
		want:   []string{"SelfDependency p/a dep=a"},
	}, {
		// p:  a ==> b   (written twice)
		name:   "duplicate dependency",
		phases: []PhaseSpec{phase("p", node("a"), node("b", "a", "a"))},
		want:   []string{"DuplicateDependency p/b dep=a"},
	}, {
		// p:  x1..x20 --> y, x7 written twice (long list: the set path)
		name: "duplicate dependency in a long list",
		phases: func() []PhaseSpec {
			var nodes []NodeSpec
			var deps []string
			for k := 1; k <= 20; k++ {
				nodes = append(nodes, node(fmt.Sprintf("x%d", k)))
				deps = append(deps, fmt.Sprintf("x%d", k))
			}
			deps = append(deps, "x7", "x7")
			return []PhaseSpec{phase("p", append(nodes, node("y", deps...))...)}
		}(),
		want: []string{"DuplicateDependency p/y dep=x7", "DuplicateDependency p/y dep=x7"},
	}, {
		// p:  a <--> b
		name:   "two-node cycle",
		phases: []PhaseSpec{phase("p", node("a", "b"), node("b", "a"))},
		want:   []string{"Cycle p/a cycle=a>b>a"},
	}, {
		// p:  a --> b --> c
		//     ^           |
		//     +-----------+      plus d hanging below the cycle
		name: "three-node cycle with a node downstream",
		phases: []PhaseSpec{phase("p",
			node("d", "c"), node("b", "a"), node("c", "b"), node("a", "c"))},
		want: []string{"Cycle p/b cycle=b>a>c>b"},
	}, {
		// p:  a <--> b <--> c    one component holding two cycles:
		//                        reported once, the shortest through a
		name: "one component, several cycles, one report",
		phases: []PhaseSpec{phase("p",
			node("a", "b"), node("b", "c", "a"), node("c", "b"))},
		want: []string{"Cycle p/a cycle=a>b>a"},
	}, {
		// p0: a <--> b        p1: c <--> d      two separate cycles
		name: "cycles in two phases",
		phases: []PhaseSpec{
			phase("p0", node("a", "b"), node("b", "a")),
			phase("p1", node("c", "d"), node("d", "c")),
		},
		want: []string{"Cycle p0/a cycle=a>b>a", "Cycle p1/c cycle=c>d>c"},
	}, {
		// p:  a --> b --> c --> a     and   c --> d --> c  share c:
		//     one component, one report, the shortest cycle through a
		name: "figure eight",
		phases: []PhaseSpec{phase("p",
			node("a", "c"), node("b", "a"), node("c", "b", "d"), node("d", "c"))},
		want: []string{"Cycle p/a cycle=a>c>b>a"},
	}, {
		// Everything at once, reported in model order:
		// p0: a --> ?        p0 again: b --> b
		// p1: c <--> d,  e --> (a of p0), e ==> c
		name: "every kind at once, in model order",
		phases: []PhaseSpec{
			phase("p0", node("a", "missing")),
			phase("p0", node("b", "b")),
			phase("p1", node("c", "d"), node("d", "c"), node("e", "a", "c", "c"), node("a")),
		},
		want: []string{
			"UnknownDependency p0/a dep=missing",
			"DuplicatePhase p0/",
			"SelfDependency p0/b dep=b",
			"Cycle p1/c cycle=c>d>c",
			"CrossPhaseDependency p1/e dep=a",
			"DuplicateDependency p1/e dep=c",
			"DuplicateNode p1/a",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Build(tc.phases)
			if g != nil {
				t.Errorf("Build returned a graph along with problems")
			}
			var be *BuildError
			if !errors.As(err, &be) {
				t.Fatalf("Build error = %v (%T), want *BuildError", err, err)
			}
			got := make([]string, len(be.Problems))
			for k, p := range be.Problems {
				got[k] = summary(p)
				if p.Message == "" {
					t.Errorf("problem %d has no message: %+v", k, p)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q\nerror:\n%v", got, tc.want, err)
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != len(tc.want) {
				t.Errorf("Error() has %d lines, want %d:\n%v", lines, len(tc.want), err)
			}
		})
	}
}

// TestBuildProblemText pins the wording users see through pkg/config.
func TestBuildProblemText(t *testing.T) {
	_, err := Build([]PhaseSpec{
		phase("p0", node("a")),
		phase("p1", node("b", "c"), node("c", "d"), node("d", "b"), node("e", "a"), node("", "zz")),
	})
	want := strings.Join([]string{
		`phase "p1": node "b": dependency cycle: b -> c -> d -> b (each depends on the next)`,
		`phase "p1": node "e": depends on "a" of phase "p0"; a node may only depend on nodes of its own phase`,
		`phase "p1": node #5: name is empty`,
		`phase "p1": node #5: depends on "zz", which does not exist`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	var be *BuildError
	if errors.As(err, &be) {
		if p := be.Problems[0]; p.PhaseIndex != 1 || p.NodeIndex != 1 || p.DepIndex != -1 {
			t.Errorf("cycle location = phase %d node %d dep %d, want 1 1 -1", p.PhaseIndex, p.NodeIndex, p.DepIndex)
		}
		if p := be.Problems[1]; p.DepPhase != "p0" || p.DepIndex != 0 {
			t.Errorf("cross-phase: DepPhase %q DepIndex %d, want p0 0", p.DepPhase, p.DepIndex)
		}
	}
}

// TestBuildDeterministic builds the same inputs repeatedly: maps inside
// Build must not leak their random order into results or errors.
func TestBuildDeterministic(t *testing.T) {
	var good, bad []PhaseSpec
	for p := 0; p < 5; p++ {
		var gn, bn []NodeSpec
		for k := 0; k < 40; k++ {
			name := fmt.Sprintf("n%d_%d", p, k)
			var deps []string
			for _, d := range []int{k - 7, k / 2, k / 3} {
				dep := fmt.Sprintf("n%d_%d", p, d)
				if d >= 0 && d < k && !slices.Contains(deps, dep) {
					deps = append(deps, dep)
				}
			}
			gn = append(gn, node(name, deps...))
			// bad: every 10th node closes a loop back to the next
			if k%10 == 0 {
				deps = append(slices.Clip(deps), fmt.Sprintf("n%d_%d", p, k+1))
			}
			bn = append(bn, node(name, deps...))
		}
		good = append(good, phase(fmt.Sprintf("p%d", p), gn...))
		bad = append(bad, phase(fmt.Sprintf("p%d", p), bn...))
	}
	g0 := mustBuild(t, good...)
	_, e0 := Build(bad)
	if e0 == nil {
		t.Fatal("bad model built")
	}
	for range 20 {
		g := mustBuild(t, good...)
		if !slices.Equal(g.TopoOrder(), g0.TopoOrder()) {
			t.Fatal("TopoOrder differs between builds")
		}
		if _, e := Build(bad); e.Error() != e0.Error() {
			t.Fatalf("errors differ between builds:\n%v\n---\n%v", e, e0)
		}
	}
	checkTopo(t, g0)
}

// checkTopo asserts what any valid order must satisfy: a permutation, phase
// by phase, every dependency before its dependents.
func checkTopo(t *testing.T, g *Graph) {
	t.Helper()
	topo := g.TopoOrder()
	if len(topo) != g.Len() {
		t.Fatalf("TopoOrder has %d nodes, want %d", len(topo), g.Len())
	}
	pos := make([]int, g.Len())
	seen := make([]bool, g.Len())
	for k, i := range topo {
		if i < 0 || i >= g.Len() || seen[i] {
			t.Fatalf("TopoOrder is not a permutation: %v", topo)
		}
		seen[i], pos[i] = true, k
	}
	for k := 1; k < len(topo); k++ {
		if g.Node(topo[k-1]).Phase > g.Node(topo[k]).Phase {
			t.Fatalf("TopoOrder goes back a phase at %d", k)
		}
	}
	for _, n := range g.Nodes() {
		for _, d := range n.Deps {
			if pos[d] >= pos[n.Index] {
				t.Fatalf("%s comes before its dependency %s", n.Name, g.Node(d).Name)
			}
		}
	}
}
