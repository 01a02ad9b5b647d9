package graph

import (
	"slices"
	"testing"
)

func TestReady(t *testing.T) {
	// The model of the "advanced" example, plus a directory-like fan-in:
	//
	// start:  sleep_one
	//                                              (phase edge)
	// mid:    dream_a --> hickup_a
	//         dream_b --> hickup_b
	//                                              (phase edge)
	// end:    wakeup_1 --+
	//                    +--> report
	//         wakeup_2 --+
	g := mustBuild(t,
		phase("start", node("sleep_one")),
		phase("mid", node("dream_a"), node("hickup_a", "dream_a"), node("dream_b"), node("hickup_b", "dream_b")),
		phase("end", node("report", "wakeup_1", "wakeup_2"), node("wakeup_1"), node("wakeup_2")),
	)
	const (
		P = Pending
		R = Running
		S = Succeeded
		F = Failed
	)
	tests := []struct {
		name  string
		state map[string]State
		want  []string
	}{{
		name: "nothing started: only the first phase",
		want: []string{"sleep_one"},
	}, {
		name:  "first phase running: nothing new",
		state: map[string]State{"sleep_one": R},
		want:  nil,
	}, {
		name:  "first phase failed: nothing new, later phases stay shut",
		state: map[string]State{"sleep_one": F},
		want:  nil,
	}, {
		name:  "first phase done: the roots of the second",
		state: map[string]State{"sleep_one": S},
		want:  []string{"dream_a", "dream_b"},
	}, {
		name:  "one root done: its dependent joins the other root",
		state: map[string]State{"sleep_one": S, "dream_a": S},
		want:  []string{"hickup_a", "dream_b"},
	}, {
		name:  "running nodes are not ready again",
		state: map[string]State{"sleep_one": S, "dream_a": S, "dream_b": R},
		want:  []string{"hickup_a"},
	}, {
		name:  "a failure does not block independent branches",
		state: map[string]State{"sleep_one": S, "dream_a": F},
		want:  []string{"dream_b"},
	}, {
		name:  "dependency failed: its dependent never becomes ready",
		state: map[string]State{"sleep_one": S, "dream_a": F, "dream_b": S, "hickup_b": S},
		want:  nil,
	}, {
		name:  "phase almost done: later phase still shut",
		state: map[string]State{"sleep_one": S, "dream_a": S, "hickup_a": S, "dream_b": S, "hickup_b": R},
		want:  nil,
	}, {
		name:  "second phase done: the third phase's roots, in topo order",
		state: map[string]State{"sleep_one": S, "dream_a": S, "hickup_a": S, "dream_b": S, "hickup_b": S},
		want:  []string{"wakeup_1", "wakeup_2"},
	}, {
		name: "fan-in waits for all of its dependencies",
		state: map[string]State{"sleep_one": S, "dream_a": S, "hickup_a": S, "dream_b": S, "hickup_b": S,
			"wakeup_1": S, "wakeup_2": R},
		want: nil,
	}, {
		name: "fan-in ready",
		state: map[string]State{"sleep_one": S, "dream_a": S, "hickup_a": S, "dream_b": S, "hickup_b": S,
			"wakeup_1": S, "wakeup_2": S},
		want: []string{"report"},
	}, {
		name: "everything done",
		state: map[string]State{"sleep_one": S, "dream_a": S, "hickup_a": S, "dream_b": S, "hickup_b": S,
			"wakeup_1": S, "wakeup_2": S, "report": S},
		want: nil,
	}, {
		// Only reachable through a buggy caller, but Ready must stay sane.
		name:  "later phase started early is ignored",
		state: map[string]State{"wakeup_1": S, "sleep_one": P},
		want:  []string{"sleep_one"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(g, g.Ready(states(g, tc.state))); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Errorf("Ready = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadyEmptyPhasesAndGraph(t *testing.T) {
	// p0: (none)   p1: a    p2: (none)   p3: b
	g := mustBuild(t, phase("p0"), phase("p1", node("a")), phase("p2"), phase("p3", node("b")))
	if got := names(g, g.Ready(states(g, nil))); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Ready = %v, want [a]", got)
	}
	if got := names(g, g.Ready(states(g, map[string]State{"a": Succeeded}))); !slices.Equal(got, []string{"b"}) {
		t.Errorf("Ready = %v, want [b]", got)
	}
	empty := mustBuild(t)
	if got := empty.Ready(func(int) State { t.Fatal("state called on an empty graph"); return 0 }); got != nil {
		t.Errorf("empty graph: Ready = %v", got)
	}
}

// TestReadyTouchesOnlyTheOpenPhase checks the cost promise: nodes of later
// phases are never asked about, and edges are only followed in the open
// phase.
func TestReadyTouchesOnlyTheOpenPhase(t *testing.T) {
	// p0: a --> b        p1: c --> d        p2: e, f, ... (1000 nodes)
	var wide []NodeSpec
	for k := range 1000 {
		wide = append(wide, node("w"+itoa(k)))
	}
	g := mustBuild(t,
		phase("p0", node("a"), node("b", "a")),
		phase("p1", node("c"), node("d", "c")),
		phase("p2", wide...))
	calls := make(map[int]int)
	state := func(i int) State {
		calls[i]++
		if g.Node(i).Phase == 0 {
			return Succeeded
		}
		return Pending
	}
	if got := names(g, g.Ready(state)); !slices.Equal(got, []string{"c"}) {
		t.Errorf("Ready = %v, want [c]", got)
	}
	for i := range calls {
		if g.Node(i).Phase == 2 {
			t.Fatalf("Ready asked about %s of a later phase", g.Node(i).Name)
		}
	}
}
