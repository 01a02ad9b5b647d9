package graph

import (
	"slices"
	"testing"
	"time"
)

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name   string
		phases []PhaseSpec
		dur    map[string]time.Duration // seconds; absent = 0
		want   []string
		total  time.Duration
	}{{
		name: "empty graph",
		want: nil,
	}, {
		// The advanced example: dream_a (15) + hickup_a (5) = 20 beats
		// dream_b (7) + hickup_b (10) = 17.
		//
		// start:  sleep_one(5)
		// mid:    dream_a(15) --> hickup_a(5)
		//         dream_b(7)  --> hickup_b(10)
		// end:    wakeup(20)
		name: "advanced example",
		phases: []PhaseSpec{
			phase("start", node("sleep_one")),
			phase("mid", node("dream_a"), node("hickup_a", "dream_a"), node("dream_b"), node("hickup_b", "dream_b")),
			phase("end", node("wakeup")),
		},
		dur:   map[string]time.Duration{"sleep_one": 5, "dream_a": 15, "hickup_a": 5, "dream_b": 7, "hickup_b": 10, "wakeup": 20},
		want:  []string{"sleep_one", "dream_a", "hickup_a", "wakeup"},
		total: 45,
	}, {
		//        b(1)
		//      /      \
		// a(2)          d(1)      the heavier middle node wins
		//      \      /
		//        c(5)
		name: "diamond",
		phases: []PhaseSpec{phase("p",
			node("a"), node("b", "a"), node("c", "a"), node("d", "b", "c"))},
		dur:   map[string]time.Duration{"a": 2, "b": 1, "c": 5, "d": 1},
		want:  []string{"a", "c", "d"},
		total: 8,
	}, {
		// p:  x(3)    y(3)        equal totals: the lower model index
		name:   "tie between independent nodes",
		phases: []PhaseSpec{phase("p", node("x"), node("y"))},
		dur:    map[string]time.Duration{"x": 3, "y": 3},
		want:   []string{"x"},
		total:  3,
	}, {
		// p:  a(0) --> b(0) --> c(0)     zero durations: still the chain
		name:   "zero durations prefer the longer chain",
		phases: []PhaseSpec{phase("p", node("a"), node("b", "a"), node("c", "b"), node("z"))},
		want:   []string{"a", "b", "c"},
		total:  0,
	}, {
		// p0: (none)   p1: a(-4) --> b(1)   negative counts as zero
		name:   "empty phase and negative duration",
		phases: []PhaseSpec{phase("p0"), phase("p1", node("a"), node("b", "a"))},
		dur:    map[string]time.Duration{"a": -4, "b": 1},
		want:   []string{"a", "b"},
		total:  1,
	}, {
		// p0: a(1)  b(9)      p1: c(2) --> d(2)   e(5)
		name: "phases concatenate their longest chains",
		phases: []PhaseSpec{
			phase("p0", node("a"), node("b")),
			phase("p1", node("c"), node("d", "c"), node("e")),
		},
		dur:   map[string]time.Duration{"a": 1, "b": 9, "c": 2, "d": 2, "e": 5},
		want:  []string{"b", "e"},
		total: 14,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustBuild(t, tc.phases...)
			path, total := g.CriticalPath(func(i int) time.Duration { return tc.dur[g.Node(i).Name] * time.Second })
			if got := names(g, path); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Errorf("path = %v, want %v", got, tc.want)
			}
			if total != tc.total*time.Second {
				t.Errorf("total = %v, want %v", total, tc.total*time.Second)
			}
		})
	}
}
