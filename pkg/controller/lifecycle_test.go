package controller

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	core "k8s.io/client-go/testing"
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
	ctx, cancel := context.WithCancel(f.ctx)
	f.factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() {
		_, err := f.c.Run(ctx)
		done <- err
	}()
	// Let the worker create the first phase's Jobs, then stop the run.
	deadline := time.Now().Add(10 * time.Second)
	for len(f.actions("create", "jobs")) < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	// At once, before anything else stops: none of Run's goroutines is left.
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, fn := range []string{"(*Controller).Run.func", "(*Controller).processNextWorkItem", "(*Controller).deleteFinished.func"} {
		if strings.Contains(stacks, fn) {
			t.Errorf("a goroutine of Run is still running after Run returned: %s", fn)
		}
	}
	f.factory.Shutdown()
	goleak.VerifyNone(t, before)
}
