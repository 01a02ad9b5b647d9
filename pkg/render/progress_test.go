package render

import (
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

func TestTransitionLine(t *testing.T) {
	created := time.Unix(1_800_000_000, 0)
	job := runmeta.Transition{Elapsed: 6100 * time.Millisecond, Phase: "p", Job: "j", Name: "j-abc"}
	with := func(f func(*runmeta.Transition)) runmeta.Transition {
		tr := job
		f(&tr)
		return tr
	}
	for _, tc := range []struct {
		name string
		t    runmeta.Transition
		want string
	}{
		{"phase started", runmeta.Transition{Phase: "p", State: runmeta.PhaseStarted, Jobs: 3}, "[     +0s] phase p started (3 jobs)\n"},
		{"phase succeeded", runmeta.Transition{Elapsed: 90 * time.Second, Phase: "p", State: runmeta.PhaseSucceeded}, "[  +1m30s] phase p succeeded\n"},
		{"created", with(func(t *runmeta.Transition) { t.State = runmeta.StateRunning }), "[   +6.1s] created   p/j (Job j-abc)\n"},
		{"revert created", with(func(t *runmeta.Transition) { t.State, t.Revert = runmeta.StateRunning, true }), "[   +6.1s] created   p/j (revert Job j-abc)\n"},
		{"succeeded", with(func(t *runmeta.Transition) {
			t.State, t.Created, t.Finished = runmeta.StateSucceeded, created, created.Add(987654321)
		}), "[   +6.1s] succeeded p/j (Job j-abc) in 988ms\n"},
		{"succeeded without a Job", with(func(t *runmeta.Transition) {
			t.State, t.Message = runmeta.StateSucceeded, "the matrix has no combinations"
		}), "[   +6.1s] succeeded p/j: the matrix has no combinations\n"},
		{"failed", with(func(t *runmeta.Transition) {
			t.State, t.Reason, t.Message = runmeta.StateFailed, "BackoffLimitExceeded", "Job has reached the specified backoff limit"
		}), "[   +6.1s] FAILED    p/j (Job j-abc): BackoffLimitExceeded: Job has reached the specified backoff limit\n"},
		{"skipped: the job's line", with(func(t *runmeta.Transition) { t.State, t.Message = runmeta.StateSkipped, "why" }), "[   +6.1s] skipped   p/j: why\n"},
		{"skipped: a later Job of the job", with(func(t *runmeta.Transition) { t.State, t.Index = runmeta.StateSkipped, 1 }), ""},
		{"skipped: a revert", with(func(t *runmeta.Transition) { t.State, t.Revert = runmeta.StateSkipped, true }), ""},
		{"run cancelled", runmeta.Transition{Elapsed: 2900 * time.Millisecond, State: runmeta.RunCancelled, Message: "cancelled: bad data"}, "[   +2.9s] run cancelled: bad data\n"},
		{"queued", with(func(t *runmeta.Transition) {
			t.State, t.Reason, t.Message = runmeta.StateQueued, "Suspended", "Job suspended"
		}), "[   +6.1s] queued    p/j (Job j-abc): Suspended: Job suspended\n"},
		{"a state this version does not print", with(func(t *runmeta.Transition) { t.State = "hibernating" }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := TransitionLine(tc.t); got != tc.want {
				t.Errorf("TransitionLine = %q, want %q", got, tc.want)
			}
		})
	}
}

// A failed Job whose diagnosis is due holds its line and every line
// after it until its Diagnosis comes; Flush lets out what is left.
func TestProgressHoldsLinesBehindADueDiagnosis(t *testing.T) {
	failed := func(name string) runmeta.Transition {
		return runmeta.Transition{Phase: "p", Job: name, Name: name + "-x", State: runmeta.StateFailed, Reason: "R", Message: "m", DiagnosisDue: true}
	}
	created := func(name string) runmeta.Transition {
		return runmeta.Transition{Phase: "p", Job: name, Name: name + "-x", State: runmeta.StateRunning}
	}
	diag := func(name, tail string) runmeta.Diagnosis {
		return runmeta.Diagnosis{Name: name + "-x", Pods: []record.PodFailure{{Pod: name + "-x-1", Container: "main", ExitCode: 1, LogTail: []string{tail}}}}
	}
	podText := func(name, tail string) string {
		return "           pod " + name + "-x-1 container main: exit code 1\n             last log lines:\n             | " + tail + "\n"
	}
	var b strings.Builder
	p := NewProgress(&b)
	step := func(what string, event func(), want string) {
		t.Helper()
		event()
		if b.String() != want {
			t.Fatalf("after %s:\n%s\nwant:\n%s", what, b.String(), want)
		}
	}
	lineA, lineB, lineC, lineD := TransitionLine(created("a")), TransitionLine(failed("b")), TransitionLine(failed("c")), TransitionLine(created("d"))
	step("a created", func() { p.Transition(created("a")) }, lineA)
	step("b failed", func() { p.Transition(failed("b")) }, lineA)
	step("c failed", func() { p.Transition(failed("c")) }, lineA)
	step("a note", func() { p.Note(runmeta.Note{Kind: runmeta.NoteWarning, Text: "warning: w\n"}) }, lineA)
	step("c's diagnosis", func() { p.Diagnosis(diag("c", "cc")) }, lineA)
	step("d created", func() { p.Transition(created("d")) }, lineA)
	want := lineA + lineB + podText("b", "bb") + lineC + podText("c", "cc") + "warning: w\n" + lineD
	step("b's diagnosis", func() { p.Diagnosis(diag("b", "bb")) }, want)
	want += podText("e", "ee")
	step("a diagnosis of nothing held", func() { p.Diagnosis(diag("e", "ee")) }, want)
	step("b failed again", func() { p.Transition(failed("b")) }, want)
	step("the run stops", p.Flush, want+lineB)
	step("flushed twice", p.Flush, want+lineB)
}

// A Job that its queue holds: created, queued, then admitted (not created
// again); queued again (preempted) and admitted again; a queued Job that
// fails is said failed.
func TestProgressQueuedThenAdmitted(t *testing.T) {
	tr := func(name, state string) runmeta.Transition {
		return runmeta.Transition{Phase: "p", Job: name, Name: name + "-x", State: state, Reason: "r", Message: "m"}
	}
	var b strings.Builder
	p := NewProgress(&b)
	for _, ev := range []runmeta.Transition{
		tr("a", runmeta.StateRunning), tr("a", runmeta.StateQueued), tr("a", runmeta.StateRunning),
		tr("a", runmeta.StateQueued), tr("a", runmeta.StateRunning), tr("a", runmeta.StateRunning),
		tr("b", runmeta.StateRunning), tr("b", runmeta.StateQueued), tr("b", runmeta.StateFailed),
	} {
		p.Transition(ev)
	}
	want := `[     +0s] created   p/a (Job a-x)
[     +0s] queued    p/a (Job a-x): r: m
[     +0s] admitted  p/a (Job a-x)
[     +0s] queued    p/a (Job a-x): r: m
[     +0s] admitted  p/a (Job a-x)
[     +0s] created   p/a (Job a-x)
[     +0s] created   p/b (Job b-x)
[     +0s] queued    p/b (Job b-x): r: m
[     +0s] FAILED    p/b (Job b-x): r: m
`
	if b.String() != want {
		t.Fatalf("lines:\n%s\nwant:\n%s", b.String(), want)
	}
	if len(p.queued) != 0 {
		t.Errorf("%d Jobs still remembered as queued, want none", len(p.queued))
	}
}
