package e2eutil

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// LabelJob is the label holding a Job's model job name.
const LabelJob = "jobernetes.io/job"

// JobEvent is what the test's own watch saw of one Job (one UID).
type JobEvent struct {
	Name      string
	UID       string
	Node      string // jobernetes.io/job label
	Added     time.Time
	Completed time.Time // Complete=True first seen
	Failed    time.Time // Failed=True first seen
	Deleted   time.Time
	// FromList: first seen in a re-list after the watch broke (an API
	// server restart), so Added is late.
	FromList bool
}

// Recorder watches every Job of a namespace from before a run starts, so
// that the test sees each creation, even of Jobs that cleanup deletes at
// once. It re-lists and watches again when the watch breaks (an API server
// restart), counting such gaps.
type Recorder struct {
	client kubernetes.Interface
	ns     string

	mu     sync.Mutex
	byUID  map[string]*JobEvent
	order  []*JobEvent
	active int
	peak   int
	gaps   int

	stop context.CancelFunc
	done chan struct{}
}

// WatchJobs starts a Recorder; it returns once the watch is open and stops
// at the end of the test.
func WatchJobs(t testing.TB, client kubernetes.Interface, ns string) *Recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{client: client, ns: ns, byUID: map[string]*JobEvent{}, stop: cancel, done: make(chan struct{})}
	ready := make(chan error, 1)
	go r.loop(ctx, ready)
	select {
	case err := <-ready:
		if err != nil {
			r.Close()
			t.Fatalf("watch Jobs in %s: %v", ns, err)
		}
	case <-time.After(time.Minute):
		r.Close()
		t.Fatalf("watch Jobs in %s: not open after a minute", ns)
	}
	t.Cleanup(r.Close)
	return r
}

// Close stops the watch.
func (r *Recorder) Close() {
	r.stop()
	<-r.done
}

func (r *Recorder) loop(ctx context.Context, ready chan<- error) {
	defer close(r.done)
	jobs := r.client.BatchV1().Jobs(r.ns)
	rv, first := "", true
	signal := func(err error) {
		if ready != nil {
			ready <- err
			ready = nil
		}
	}
	pause := func() {
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	for ctx.Err() == nil {
		if rv == "" {
			list, err := jobs.List(ctx, metav1.ListOptions{})
			if err != nil {
				if first {
					signal(err)
					return
				}
				pause()
				continue
			}
			now := time.Now()
			for i := range list.Items {
				r.observe(watch.Added, &list.Items[i], now, !first)
			}
			if !first {
				r.mu.Lock()
				r.gaps++
				r.mu.Unlock()
			}
			rv, first = list.ResourceVersion, false
		}
		w, err := jobs.Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				rv = ""
			}
			pause()
			continue
		}
		signal(nil)
		for ev := range w.ResultChan() {
			switch ev.Type {
			case watch.Error:
				if st := apierrors.FromObject(ev.Object); apierrors.IsResourceExpired(st) || apierrors.IsGone(st) {
					rv = ""
				}
				continue
			case watch.Bookmark:
				if m, err := meta.Accessor(ev.Object); err == nil {
					rv = m.GetResourceVersion()
				}
				continue
			}
			job, ok := ev.Object.(*batchv1.Job)
			if !ok {
				continue
			}
			rv = job.ResourceVersion
			r.observe(ev.Type, job, time.Now(), false)
		}
		w.Stop()
		if rv != "" {
			pause()
		}
	}
}

func (r *Recorder) observe(typ watch.EventType, job *batchv1.Job, now time.Time, fromList bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	uid := string(job.UID)
	e, ok := r.byUID[uid]
	if !ok {
		e = &JobEvent{Name: job.Name, UID: uid, Node: job.Labels[LabelJob], Added: now, FromList: fromList}
		r.byUID[uid] = e
		r.order = append(r.order, e)
		r.active++
		r.peak = max(r.peak, r.active)
	}
	finished := !e.Completed.IsZero() || !e.Failed.IsZero() || !e.Deleted.IsZero()
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		if c.Type == batchv1.JobComplete && e.Completed.IsZero() {
			e.Completed = now
		}
		if c.Type == batchv1.JobFailed && e.Failed.IsZero() {
			e.Failed = now
		}
	}
	if typ == watch.Deleted && e.Deleted.IsZero() {
		e.Deleted = now
	}
	if !finished && (!e.Completed.IsZero() || !e.Failed.IsZero() || !e.Deleted.IsZero()) {
		r.active--
	}
}

// Snapshot returns every Job seen so far, in order of first sight.
func (r *Recorder) Snapshot() []JobEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]JobEvent, 0, len(r.order))
	for _, e := range r.order {
		out = append(out, *e)
	}
	return out
}

// Peak is the highest number of Jobs seen active at once.
func (r *Recorder) Peak() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peak
}

// Gaps is how often the watch broke and had to re-list; Jobs created and
// deleted during a gap are not seen (the audit log sees them: see Creates).
func (r *Recorder) Gaps() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gaps
}

// ByNode groups Jobs by model job name.
func ByNode(evs []JobEvent) map[string][]JobEvent {
	m := map[string][]JobEvent{}
	for _, e := range evs {
		m[e.Node] = append(m[e.Node], e)
	}
	return m
}

// ByName groups Jobs (UIDs) by Kubernetes Job name.
func ByName(evs []JobEvent) map[string][]JobEvent {
	m := map[string][]JobEvent{}
	for _, e := range evs {
		m[e.Name] = append(m[e.Name], e)
	}
	return m
}

// AssertOrder checks that every Job of node succ was created after every
// Job of each node in preds completed, as seen by one watch stream.
func AssertOrder(t testing.TB, nodes map[string][]JobEvent, succ string, preds ...string) {
	t.Helper()
	if len(nodes[succ]) == 0 {
		t.Errorf("job %s was never created", succ)
		return
	}
	for _, s := range nodes[succ] {
		for _, p := range preds {
			if len(nodes[p]) == 0 {
				t.Errorf("predecessor %s of %s was never created", p, succ)
				continue
			}
			for _, pe := range nodes[p] {
				if s.FromList {
					continue // seen late, after a watch gap: no order to check
				}
				if pe.Completed.IsZero() || !s.Added.After(pe.Completed) {
					t.Errorf("%s (Job %s) created at %s, but predecessor %s (Job %s) completed at %s",
						succ, s.Name, s.Added.Format(time.StampMicro), p, pe.Name, pe.Completed.Format(time.StampMicro))
				}
			}
		}
	}
}

// Percentile of ds (p in [0, 1]).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// WaitFor polls cond every 50 ms until it holds or timeout passes (only
// test code polls).
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}
