package graph

import (
	"slices"
	"testing"
)

const (
	P = Pending
	R = Running
	S = Succeeded
	F = Failed
	X = Skipped
)

// decideCase is one call of Decide: node states by name (others Pending),
// revert states, and the decision it must give, by node names; a skip is
// written "node:reason".
type decideCase struct {
	name    string
	run     Run
	state   map[string]State
	reverts map[string]State
	held    []string // Running nodes with Jobs not yet created
	create  []string
	revert  []string
	skip    []string
	abort   []string
	result  RunResult
}

func checkDecide(t *testing.T, g *Graph, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := g.Decide(nodeStates(g, tc.state, tc.reverts, tc.held...), tc.run)
			var skips []string
			for _, s := range d.Skip {
				skips = append(skips, g.Node(s.Node).Name+":"+s.Why.String())
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{
				{"Create", names(g, d.Create), tc.create},
				{"Revert", names(g, d.Revert), tc.revert},
				{"Skip", skips, tc.skip},
				{"Abort", names(g, d.Abort), tc.abort},
			} {
				if !slices.Equal(c.got, c.want) && len(c.got)+len(c.want) > 0 {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if d.Result != tc.result {
				t.Errorf("Result = %v, want %v", d.Result, tc.result)
			}
			checkSkipsFinal(t, g, tc, d)
			checkFrontier(t, g, nodeStates(g, tc.state, tc.reverts, tc.held...), tc.run, d)
		})
	}
}

// checkSkipsFinal: with d's skips applied, Decide skips nothing more and
// says the same of the run. The controller relies on it: it acts on one
// answer per sync.
func checkSkipsFinal(t *testing.T, g *Graph, tc decideCase, d Decision) {
	t.Helper()
	in := nodeStates(g, tc.state, tc.reverts, tc.held...)
	for _, s := range d.Skip {
		if in[s.Node].Held {
			in[s.Node].Held = false // the rest of it is skipped
			continue
		}
		in[s.Node].Main = Skipped
	}
	if again := g.Decide(in, tc.run); len(again.Skip) > 0 || again.Result != d.Result {
		t.Errorf("with the skips applied, Decide skips %v more, result %v (was %v)", again.Skip, again.Result, d.Result)
	}
}

func TestDecideTriggerRules(t *testing.T) {
	// Under failure_policy continue, so that only the rules decide:
	//
	// p0:  a --> b                  all_succeeded (the default)
	//      a --> c                  one_failed
	//      a, b --> d               all_done
	//      e                        a root: waits for nothing
	//                               (phase edge: p1's roots read all of p0)
	// p1:  f                        all_succeeded
	//      g                        all_done
	//      h                        one_failed
	g := mustBuild(t, phase("p0", node("a"), node("b", "a"), rule(RuleOneFailed, node("c", "a")),
		rule(RuleAllDone, node("d", "a", "b")), node("e")),
		phase("p1", node("f"), rule(RuleAllDone, node("g")), rule(RuleOneFailed, node("h"))))
	cont := Run{Policy: PolicyContinue}
	checkDecide(t, g, []decideCase{{
		name:   "nothing started: the first phase's roots",
		run:    cont,
		create: []string{"a", "e"},
	}, {
		name:   "a succeeded: all_succeeded runs, one_failed is skipped, all_done waits for b",
		run:    cont,
		state:  map[string]State{"a": S, "e": S},
		create: []string{"b"},
		skip:   []string{"c:trigger_rule"},
	}, {
		name:   "a failed: all_succeeded is skipped, one_failed runs, all_done sees that skip at once",
		run:    cont,
		state:  map[string]State{"a": F, "e": R},
		create: []string{"c", "d"}, // not e: the run failed, running nodes start no more Jobs
		skip:   []string{"b:trigger_rule"},
	}, {
		name:  "a failing (another of its Jobs runs): not terminal, its dependents wait",
		run:   cont,
		state: map[string]State{"a": Failing, "e": S},
	}, {
		name:   "p0 done with a skip: the next phase's roots read the whole phase",
		run:    cont,
		state:  map[string]State{"a": S, "b": S, "c": X, "d": S, "e": S},
		create: []string{"g"},
		skip:   []string{"f:trigger_rule", "h:trigger_rule"},
	}, {
		name:   "p0 done with a failure",
		run:    cont,
		state:  map[string]State{"a": S, "b": S, "c": X, "d": S, "e": F},
		create: []string{"g", "h"},
		skip:   []string{"f:trigger_rule"},
	}, {
		name:   "p0 not terminal: p1 waits",
		run:    cont,
		state:  map[string]State{"a": S, "b": S, "c": X, "d": R, "e": S},
		held:   []string{"d"},
		create: []string{"d"}, // held: the rest of its Jobs may start
	}, {
		name:   "everything terminal: the run is over",
		run:    cont,
		state:  map[string]State{"a": S, "b": S, "c": X, "d": S, "e": S, "f": X, "g": S, "h": X},
		result: RunSucceeded,
	}})
}

func TestDecideFailurePolicies(t *testing.T) {
	// a fails while b runs:
	//
	// p0:  a --> x                  x: one_failed
	//      b --> c
	//      d                        not started
	//                               (phase edge)
	// p1:  e
	g := mustBuild(t,
		phase("p0", node("a"), rule(RuleOneFailed, node("x", "a")), node("b"), node("c", "b"), node("d")),
		phase("p1", node("e")),
	)
	failed := map[string]State{"a": F, "b": R}
	checkDecide(t, g, []decideCase{{
		name:   "stop: nothing more that needs success starts; what runs finishes",
		run:    Run{Policy: PolicyStop},
		state:  failed,
		create: []string{"x"},
		skip:   []string{"c:failure_policy", "d:failure_policy", "e:failure_policy"},
	}, {
		name:  "abort: nothing more starts, and what runs is aborted",
		run:   Run{Policy: PolicyAbort},
		state: failed,
		skip:  []string{"x:aborted", "c:aborted", "d:aborted", "e:aborted"},
		abort: []string{"b"},
	}, {
		name:  "abort: a failing node's other Jobs are aborted too",
		run:   Run{Policy: PolicyAbort},
		state: map[string]State{"a": Failing},
		skip:  []string{"x:aborted", "b:aborted", "c:aborted", "d:aborted", "e:aborted"},
		abort: []string{"a"},
	}, {
		name:   "continue: what does not depend on the failure runs",
		run:    Run{Policy: PolicyContinue},
		state:  failed,
		create: []string{"x", "d"},
	}, {
		name:   "stop: a running node starts no more of its Jobs once the run failed",
		run:    Run{Policy: PolicyStop},
		state:  map[string]State{"a": F, "x": S, "b": R, "d": R},
		skip:   []string{"c:failure_policy", "e:failure_policy"},
		result: RunRunning,
	}, {
		name:   "stop: the rest of a held node never starts (it would wait forever)",
		run:    Run{Policy: PolicyStop},
		state:  failed,
		held:   []string{"b"},
		create: []string{"x"},
		skip:   []string{"b:failure_policy", "c:failure_policy", "d:failure_policy", "e:failure_policy"},
	}, {
		name:   "continue: the rest of a held node starts",
		run:    Run{Policy: PolicyContinue},
		state:  failed,
		held:   []string{"b"},
		create: []string{"x", "b", "d"},
	}, {
		name:   "stop: settled once nothing runs",
		run:    Run{Policy: PolicyStop},
		state:  map[string]State{"a": F, "x": S, "b": S, "c": X, "d": X},
		skip:   []string{"e:failure_policy"},
		result: RunFailed,
	}})
}

func TestDecideReverts(t *testing.T) {
	// Nodes marked ! have a revert. e fails:
	//
	// p0:  a! --> b!
	//      c
	//                  (phase edge)
	// p1:  d!
	//      e
	//
	// Reverts run downstream first: d (the later phase), then b, then a.
	g := mustBuild(t,
		phase("p0", reverting(node("a")), reverting(node("b", "a")), node("c")),
		phase("p1", reverting(node("d")), node("e")),
	)
	done := map[string]State{"a": S, "b": S, "c": S, "d": S, "e": F}
	checkDecide(t, g, []decideCase{{
		name:   "main phases not done: no revert yet",
		state:  map[string]State{"a": S, "b": S, "c": S, "d": R, "e": F},
		create: nil,
	}, {
		name:   "main phases done: the last phase's revert first",
		state:  done,
		revert: []string{"d"},
	}, {
		name:    "d's revert runs: b and a wait",
		state:   done,
		reverts: map[string]State{"d": R},
	}, {
		name:    "d reverted: b, a's dependent, next",
		state:   done,
		reverts: map[string]State{"d": S},
		revert:  []string{"b"},
	}, {
		name:    "a failed revert does not hold back the others",
		state:   done,
		reverts: map[string]State{"d": F},
		revert:  []string{"b"},
	}, {
		name:    "b reverted: a",
		state:   done,
		reverts: map[string]State{"d": S, "b": S},
		revert:  []string{"a"},
	}, {
		name:    "all reverted: the run is over",
		state:   done,
		reverts: map[string]State{"d": S, "b": S, "a": F},
		result:  RunFailed,
	}, {
		name:   "only succeeded nodes are reverted",
		state:  map[string]State{"a": S, "b": F, "c": S, "d": X, "e": X},
		revert: []string{"a"},
	}, {
		name:   "no failure: no revert",
		state:  map[string]State{"a": S, "b": S, "c": S, "d": S, "e": S},
		result: RunSucceeded,
	}})
}

func TestDecideFinallyPhase(t *testing.T) {
	// final is the finally phase: it runs after everything else, the
	// reverts included, whatever happened.
	//
	// p0:     a!
	//                        (phase edge)
	// p1:     b
	//                        (after p0, p1 and the reverts)
	// final:  notify --> report
	g := mustBuild(t, phase("p0", reverting(node("a"))), phase("p1", node("b")),
		finallyPhase("final", node("notify"), node("report", "notify")))
	checkDecide(t, g, []decideCase{{
		name:   "the main phases run first",
		state:  map[string]State{"a": S},
		create: []string{"b"},
	}, {
		name:   "after a failure: the reverts before the finally phase",
		state:  map[string]State{"a": S, "b": F},
		revert: []string{"a"},
	}, {
		name:    "reverted: the finally phase runs",
		state:   map[string]State{"a": S, "b": F},
		reverts: map[string]State{"a": S},
		create:  []string{"notify"},
	}, {
		name:   "the failure policy skips the main phases, not the finally phase",
		run:    Run{Policy: PolicyAbort},
		state:  map[string]State{"a": F},
		skip:   []string{"b:aborted"},
		create: []string{"notify"},
	}, {
		name:   "abort leaves the finally phase's Jobs running",
		run:    Run{Policy: PolicyAbort},
		state:  map[string]State{"a": F, "b": X, "notify": R},
		held:   []string{"notify"},
		create: []string{"notify"}, // held: the rest of its Jobs may start
	}, {
		name:   "inside the finally phase, trigger rules apply",
		state:  map[string]State{"a": F, "b": X, "notify": F},
		skip:   []string{"report:failure_policy"},
		result: RunFailed,
	}, {
		name:   "success: the finally phase runs after the main phases",
		state:  map[string]State{"a": S, "b": S},
		create: []string{"notify"},
	}, {
		name:   "a failure in the finally phase fails the run, so a is reverted",
		state:  map[string]State{"a": S, "b": S, "notify": S, "report": F},
		revert: []string{"a"},
	}, {
		name:    "reverted after the finally phase: over",
		state:   map[string]State{"a": S, "b": S, "notify": S, "report": F},
		reverts: map[string]State{"a": S},
		result:  RunFailed,
	}, {
		name:   "all succeeded",
		state:  map[string]State{"a": S, "b": S, "notify": S, "report": S},
		result: RunSucceeded,
	}})
}

func TestDecideRunEnd(t *testing.T) {
	// p0:  a --> b
	//                  (phase edge)
	// p1:  c
	g := mustBuild(t, phase("p0", node("a"), node("b", "a")), phase("p1", node("c")))
	checkDecide(t, g, []decideCase{{
		name:  "running",
		state: map[string]State{"a": S, "b": R},
	}, {
		name:   "running, held: the rest of its Jobs may start",
		state:  map[string]State{"a": S, "b": R},
		held:   []string{"b"},
		create: []string{"b"},
	}, {
		name:   "cancelled: over at once, nothing starts",
		run:    Run{Cancelled: true},
		state:  map[string]State{"a": S},
		result: RunFailed,
	}, {
		name:   "deadline: over at once, everything unfinished is skipped",
		run:    Run{Deadline: true},
		state:  map[string]State{"a": S, "b": R},
		skip:   []string{"b:deadline", "c:deadline"},
		result: RunFailed,
	}, {
		name:   "deadline under abort: what runs is aborted too",
		run:    Run{Deadline: true, Policy: PolicyAbort},
		state:  map[string]State{"a": S, "b": R},
		skip:   []string{"b:deadline", "c:deadline"},
		abort:  []string{"b"},
		result: RunFailed,
	}, {
		name:    "a revert still running (of an earlier attempt) keeps the run going",
		state:   map[string]State{"a": S, "b": S, "c": S},
		reverts: map[string]State{"a": R},
	}, {
		name:   "succeeded",
		state:  map[string]State{"a": S, "b": S, "c": S},
		result: RunSucceeded,
	}})
}

func TestDecideEmptyPhasesAndGraph(t *testing.T) {
	// p0: (none)   p1: a    p2: (none)   p3: b
	g := mustBuild(t, phase("p0"), phase("p1", node("a")), phase("p2"), phase("p3", node("b")))
	checkDecide(t, g, []decideCase{
		{name: "start", create: []string{"a"}},
		{name: "across an empty phase", state: map[string]State{"a": S}, create: []string{"b"}},
	})
	if d := mustBuild(t).Decide(nil, Run{}); d.Result != RunSucceeded {
		t.Errorf("empty graph: %+v", d)
	}
}

// Decide reads its input only.
func TestDecideIsPure(t *testing.T) {
	g := mustBuild(t, phase("p", node("a"), node("b", "a")))
	in := nodeStates(g, map[string]State{"a": F}, nil)
	g.Decide(in, Run{})
	if in[1].Main != Pending {
		t.Errorf("Decide changed its input: %v", in)
	}
}
