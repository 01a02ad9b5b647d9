package controller

import (
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
)

// tracker bridges the gaps between the API server and the informer cache,
// like the Job controller's expectations: a Job this run created but the
// cache has not shown yet is still active, and a Job that left the cache
// between two syncs is remembered with its final state, so a deletion by
// someone else is never mistaken for "not created yet".
type tracker struct {
	mu      sync.Mutex
	pending map[string]time.Time    // created by us, not yet seen in the cache
	gone    map[string]*batchv1.Job // deleted from the cache, last known state
	touched map[string]struct{}     // delivered by the informer since the sync last asked
}

func newTracker() *tracker {
	return &tracker{pending: map[string]time.Time{}, gone: map[string]*batchv1.Job{}, touched: map[string]struct{}{}}
}

func (t *tracker) expectCreation(name string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[name] = at
	delete(t.gone, name)
}

// observed is called from informer handlers.
func (t *tracker) observed(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, name)
	t.touched[name] = struct{}{}
}

// deleted is called from the informer's delete handler with the final state.
func (t *tracker) deleted(job *batchv1.Job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, job.Name)
	t.gone[job.Name] = job
	t.touched[job.Name] = struct{}{}
}

// takeTouched hands the sync the names of the Jobs the informer added,
// changed or deleted since the last call (see work).
func (t *tracker) takeTouched() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.touched))
	for name := range t.touched {
		names = append(names, name)
	}
	clear(t.touched)
	return names
}

// forgetGone drops the tombstones that final says are no longer needed:
// the sync calls it so that a long run does not keep the last state of
// every Job it ever deleted.
func (t *tracker) forgetGone(final func(name string) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name := range t.gone {
		if final(name) {
			delete(t.gone, name)
		}
	}
}

// pendingSince is when the creation was expected (or last confirmed).
func (t *tracker) pendingSince(name string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.pending[name]
	return at, ok
}

func (t *tracker) lastState(name string) *batchv1.Job {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gone[name]
}
