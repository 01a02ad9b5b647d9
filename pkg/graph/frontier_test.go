package graph

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// checkFrontier: a Frontier told the states, either way (at its start, or
// Set one by one from all Pending), decides as Decide did (want).
func checkFrontier(t *testing.T, g *Graph, states []NodeState, run Run, want Decision) {
	t.Helper()
	set := g.NewFrontier(nil)
	for n, s := range states {
		set.Set(n, s)
	}
	for how, f := range map[string]*Frontier{"NewFrontier(states)": g.NewFrontier(states), "Set": set} {
		if got := f.Decide(run); !sameDecision(got, want) {
			t.Errorf("Frontier (%s) decided %+v, Decide %+v", how, got, want)
		}
	}
}

func sameDecision(a, b Decision) bool {
	empty := func(d Decision) Decision { // nil and empty lists are the same answer
		if len(d.Create) == 0 {
			d.Create = nil
		}
		if len(d.Revert) == 0 {
			d.Revert = nil
		}
		if len(d.Skip) == 0 {
			d.Skip = nil
		}
		if len(d.Abort) == 0 {
			d.Abort = nil
		}
		return d
	}
	return reflect.DeepEqual(empty(a), empty(b))
}

// TestFrontierFollowsDecide drives random runs of random DAGs (trigger
// rules, reverts, a finally phase, every failure policy; Jobs that start a
// few at a time, finish in any order, sometimes fail; now and then a cancel
// or the deadline) and asks the Frontier and Decide at every step: their
// answers must be the same. The Frontier hears only of the nodes that
// changed, as the controller tells it. Under failure_policy continue the
// Frontier decides past failures itself: those steps are counted, so that
// the test cannot stop covering them.
func TestFrontierFollowsDecide(t *testing.T) {
	afterFailure := 0 // steps decided incrementally with a node failed
	for seed := int64(0); seed < 1500; seed++ {
		rng := rand.New(rand.NewSource(seed))
		g := randomGraph(rng)
		run := Run{Policy: FailurePolicy(rng.Intn(3))}
		failRate := []float64{0, 0, 0.02, 0.2}[rng.Intn(4)]
		st := make([]NodeState, g.Len())
		f := g.NewFrontier(nil)
		set := func(n int, s NodeState) {
			st[n] = s
			f.Set(n, s)
		}
		for step := 0; ; step++ {
			if step > 4*g.Len()+20 {
				t.Fatalf("seed %d: the run does not end: %v", seed, st)
			}
			if rng.Intn(200) == 0 {
				run.Cancelled = rng.Intn(2) == 0
				run.Deadline = !run.Cancelled
			}
			want := g.Decide(st, run)
			if f.count.failed > 0 && !f.settling(run) {
				afterFailure++
			}
			if got := f.Decide(run); !sameDecision(got, want) {
				t.Fatalf("seed %d step %d (%s):\nFrontier %+v\nDecide   %+v", seed, step, describe(g, st, run), got, want)
			}
			if want.Result != RunRunning {
				break
			}
			advance(rng, st, want, failRate, set)
		}
	}
	if afterFailure < 200 {
		t.Errorf("only %d steps were decided incrementally after a failure (failure_policy continue), want 200 or more", afterFailure)
	}
	t.Logf("%d steps decided incrementally after a failure", afterFailure)
}

// advance plays one step of the cluster: d's skips and aborts are applied,
// some of its creates start, some running nodes and reverts finish.
func advance(rng *rand.Rand, st []NodeState, d Decision, failRate float64, set func(int, NodeState)) {
	for _, s := range d.Skip {
		if st[s.Node].Held {
			set(s.Node, NodeState{Main: st[s.Node].Main, Revert: st[s.Node].Revert}) // the rest skipped
			continue
		}
		set(s.Node, NodeState{Main: Skipped, Revert: st[s.Node].Revert})
	}
	for _, n := range d.Abort {
		set(n, NodeState{Main: Failed, Revert: st[n].Revert})
	}
	for _, n := range d.Create {
		switch {
		case st[n].Main == Pending && rng.Intn(3) > 0:
			// Some of a directory job's Jobs may be held back.
			set(n, NodeState{Main: Running, Revert: st[n].Revert, Held: rng.Intn(3) == 0})
		case st[n].Held && rng.Intn(2) == 0:
			set(n, NodeState{Main: Running, Revert: st[n].Revert})
		}
	}
	for _, n := range d.Revert {
		set(n, NodeState{Main: st[n].Main, Revert: Running})
	}
	for n, s := range st {
		switch {
		case s.Main == Running && rng.Intn(2) == 0:
			end := Succeeded
			if s.Held {
				end = Running // what runs of it finishes: it waits for the rest
			}
			if r := rng.Float64(); r < failRate {
				end = []State{Failed, Failing}[rng.Intn(2)]
			}
			set(n, NodeState{Main: end, Revert: s.Revert, Held: s.Held && end == Running})
		case s.Main == Failing && rng.Intn(2) == 0:
			set(n, NodeState{Main: Failed, Revert: s.Revert})
		case s.Revert == Running && rng.Intn(2) == 0:
			set(n, NodeState{Main: s.Main, Revert: []State{Succeeded, Failed}[rng.Intn(2)]})
		}
	}
	// A run where nothing moved (all created nodes held back) moves next time.
}

// randomGraph is up to 4 phases (the last one sometimes the finally phase,
// an empty one now and then) of up to 8 nodes, each depending on some
// earlier nodes of its phase, with random trigger rules and reverts.
func randomGraph(rng *rand.Rand) *Graph {
	var phases []PhaseSpec
	for p := 0; p < 1+rng.Intn(4); p++ {
		ps := PhaseSpec{Name: fmt.Sprintf("p%d", p)}
		for i := 0; i < rng.Intn(9); i++ {
			ns := NodeSpec{Name: fmt.Sprintf("p%dn%d", p, i), Rule: TriggerRule(rng.Intn(3)), HasRevert: rng.Intn(3) == 0}
			if rng.Intn(2) == 0 {
				ns.Rule = RuleAllSucceeded
			}
			for j := 0; j < i; j++ {
				if rng.Intn(3) == 0 {
					ns.DependsOn = append(ns.DependsOn, fmt.Sprintf("p%dn%d", p, j))
				}
			}
			ps.Nodes = append(ps.Nodes, ns)
		}
		phases = append(phases, ps)
	}
	if len(phases) > 1 && rng.Intn(2) == 0 {
		phases[len(phases)-1].Finally = true
	}
	g, err := Build(phases)
	if err != nil {
		panic(err)
	}
	return g
}

func describe(g *Graph, st []NodeState, run Run) string {
	s := fmt.Sprintf("%+v", run)
	for n, ns := range st {
		s += fmt.Sprintf(" %s=%v/%v", g.Node(n).Name, ns.Main, ns.Revert)
	}
	return s
}

func TestFrontierPhaseProgress(t *testing.T) {
	g := mustBuild(t, phase("p0", node("a"), node("b", "a")), phase("empty"), phase("p1", node("c")))
	f := g.NewFrontier(nil)
	type progress struct{ started, succeeded bool }
	check := func(when string, want ...progress) {
		t.Helper()
		for p, w := range want {
			if s, ok := f.PhaseProgress(p); s != w.started || ok != w.succeeded {
				t.Errorf("%s: phase %d: started %v, succeeded %v; want %+v", when, p, s, ok, w)
			}
		}
	}
	check("at the start", progress{}, progress{succeeded: true}, progress{})
	f.Set(0, NodeState{Main: Running})
	check("a runs", progress{started: true}, progress{succeeded: true}, progress{})
	f.Set(0, NodeState{Main: Succeeded})
	f.Set(1, NodeState{Main: Skipped})
	check("a succeeded, b skipped", progress{started: true}, progress{succeeded: true}, progress{})
	f.Set(1, NodeState{Main: Succeeded})
	f.Set(2, NodeState{Main: Succeeded})
	check("all succeeded", progress{true, true}, progress{succeeded: true}, progress{true, true})
}
