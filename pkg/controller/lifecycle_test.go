package controller

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	core "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Run returns only once its goroutines (the cache wait, the worker,
// cleanup's background deletes) have stopped: after Run, and the informers'
// shutdown, no goroutine of the run is left.
func TestRunLeavesNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	f := newFixture(t, testModel(t, 0, true, []string{"a", "b"}, []string{"c"}))
	// Creates take a while, so that the cancel finds the worker mid-sync.
	f.client.PrependReactor("create", "jobs", func(core.Action) (bool, k8sruntime.Object, error) {
		time.Sleep(300 * time.Millisecond)
		return false, nil, nil
	})
	cancel, done := runInBackground(f)
	// Let the worker create the first phase's Jobs, then stop the run.
	deadline := time.Now().Add(10 * time.Second)
	for len(f.actions("create", "jobs")) < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	waitRunCancelled(t, done, "after its context was cancelled")
	// At once, before anything else stops: none of Run's goroutines is left.
	for _, fn := range stillRunning("(*Controller).Run.func", "(*Controller).processNextWorkItem", "(*Controller).deleteFinished.func") {
		t.Errorf("a goroutine of Run is still running after Run returned: %s", fn)
	}
	f.factory.Shutdown()
	goleak.VerifyNone(t, before)
}

// runInBackground starts the fixture's informers and its Run, both stopped
// by the returned cancel; Run's error arrives on done.
func runInBackground(f *fixture) (cancel context.CancelFunc, done <-chan error) {
	ctx, cancel := context.WithCancel(f.ctx)
	f.factory.Start(ctx.Done())
	errs := make(chan error, 1)
	go func() {
		_, err := f.c.Run(ctx)
		errs <- err
	}()
	return cancel, errs
}

// waitRunCancelled waits for Run's error on done, which must be the
// cancel's; when says what Run should have returned after.
func waitRunCancelled(t *testing.T, done <-chan error, when string) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return " + when)
	}
}

// stillRunning lists the functions of fns that some goroutine is in now.
func stillRunning(fns ...string) []string {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	var out []string
	for _, fn := range fns {
		if strings.Contains(stacks, fn) {
			out = append(out, fn)
		}
	}
	return out
}

// A progress line that is not a state change reaches the output typed
// (Options.OnNote), apart from the state changes (Options.OnTransition):
// the controller prints nothing, and no output reads lines back.
func TestNotesAreTyped(t *testing.T) {
	var progress strings.Builder
	f := newFixture(t, testModel(t, 0, false, []string{"a"}), progressTo(&progress))
	var notes []runmeta.Note
	var transitions []runmeta.Transition
	onNote, onTransition := f.c.opts.OnNote, f.c.opts.OnTransition
	f.c.opts.OnNote = func(n runmeta.Note) { notes = append(notes, n); onNote(n) }
	f.c.opts.OnTransition = func(t runmeta.Transition) { transitions = append(transitions, t); onTransition(t) }
	foreign := manifest()
	foreign.Name, foreign.Namespace = "someone-elses", "ns"
	foreign.Labels = map[string]string{runmeta.LabelRun: "r1"}
	if _, err := f.client.BatchV1().Jobs("ns").Create(f.ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync()
	if len(notes) != 1 || notes[0].Kind != runmeta.NoteWarning || !strings.Contains(notes[0].Text, "someone-elses") {
		t.Fatalf("notes %+v, want one warning about the foreign Job", notes)
	}
	if !strings.HasPrefix(progress.String(), notes[0].Text) {
		t.Errorf("the note is not the first line of the progress:\n%s", progress.String())
	}
	if len(transitions) != 2 || transitions[0].State != runmeta.PhaseStarted || transitions[1].State != runmeta.StateRunning {
		t.Errorf("transitions %+v, want the phase started and a's Job created", transitions)
	}
	if strings.HasPrefix(notes[0].Text, "[") { // the stamp of state lines
		t.Errorf("a state line came as a note: %q", notes[0].Text)
	}
}
