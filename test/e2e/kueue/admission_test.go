package kueue

import (
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// admissions watches a namespace's Jobs and counts those admitted (created
// or become unsuspended) and not yet finished nor gone: what Kueue's quota
// bounds. Events of one watch come in the order the API server wrote them,
// so a Job's completion is seen before the admission that its freed quota
// allowed.
type admissions struct {
	mu       sync.Mutex
	admitted map[types.UID]bool
	queued   map[types.UID]bool // ever seen suspended
	peak     int
	stop     chan struct{}
}

func watchAdmissions(t *testing.T, cp *framework.ControlPlane, ns string) *admissions {
	t.Helper()
	a := &admissions{admitted: map[types.UID]bool{}, queued: map[types.UID]bool{}, stop: make(chan struct{})}
	f := informers.NewSharedInformerFactoryWithOptions(cp.Client, 0, informers.WithNamespace(ns))
	inf := f.Batch().V1().Jobs().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.observe(o.(*batchv1.Job), false) },
		UpdateFunc: func(_, o any) { a.observe(o.(*batchv1.Job), false) },
		DeleteFunc: func(o any) {
			if j, ok := o.(*batchv1.Job); ok {
				a.observe(j, true)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.Start(a.stop)
	f.WaitForCacheSync(a.stop)
	t.Cleanup(func() { close(a.stop) })
	return a
}

func (a *admissions) observe(j *batchv1.Job, gone bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	suspended := ptr.Deref(j.Spec.Suspend, false)
	if suspended {
		a.queued[j.UID] = true
	}
	_, finished := framework.JobFinished(j)
	if gone || finished || suspended {
		delete(a.admitted, j.UID)
		return
	}
	a.admitted[j.UID] = true
	a.peak = max(a.peak, len(a.admitted))
}

// counts returns the most Jobs admitted at once, the number admitted now,
// and how many Jobs were ever queued.
func (a *admissions) counts() (peak, now, queued int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.peak, len(a.admitted), len(a.queued)
}

// waitQueued waits until n Jobs have been seen queued.
func (a *admissions) waitQueued(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, _, q := a.counts(); q >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fewer than %d Jobs were queued within a minute", n)
}
