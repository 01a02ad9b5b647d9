package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// seen is what the benchmark's own watch saw of one Job.
type seen struct {
	node      string
	added     time.Time // first event
	completed time.Time // Complete=True first seen
	failed    time.Time
	// The Job's (first) pod, as the same watch saw it: added, and Succeeded
	// or Failed. They split a Job's create -> Complete time into the Job
	// controller's pod create, the pod's run (scheduler, kwok) and the Job
	// controller's sync that marks the Job Complete (1 s batching).
	podAdded, podDone time.Time
}

// podSeen is what the pod watch saw of one Job's first pod.
type podSeen struct{ added, done time.Time }

// recorder watches every Job of a namespace from before the orchestrator
// starts, so that it sees each creation and completion, even of Jobs that
// cleanup deletes at once. Its times are those of the watch events, the same
// clock for every orchestrator.
type recorder struct {
	mu     sync.Mutex
	byUID  map[string]*seen
	pods   map[string]*podSeen // by the owning Job's UID
	cancel context.CancelFunc
	done   chan struct{}
}

func watchNamespace(client kubernetes.Interface, ns string) (*recorder, error) {
	ctx, cancel := context.WithCancel(context.Background())
	jobAPI, podAPI := client.BatchV1().Jobs(ns), client.CoreV1().Pods(ns)
	jobs, err := retryWatch(ctx, func(ctx context.Context) (runtime.Object, error) {
		return jobAPI.List(ctx, metav1.ListOptions{})
	}, jobAPI.Watch)
	if err != nil {
		cancel()
		return nil, err
	}
	pods, err := retryWatch(ctx, func(ctx context.Context) (runtime.Object, error) {
		return podAPI.List(ctx, metav1.ListOptions{})
	}, podAPI.Watch)
	if err != nil {
		jobs.Stop()
		cancel()
		return nil, err
	}
	r := &recorder{byUID: map[string]*seen{}, pods: map[string]*podSeen{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer jobs.Stop()
		defer pods.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-jobs.ResultChan():
				if !ok {
					return
				}
				if j, ok := ev.Object.(*batchv1.Job); ok {
					r.observe(j, time.Now())
				}
			case ev, ok := <-pods.ResultChan():
				if !ok {
					return
				}
				if p, ok := ev.Object.(*corev1.Pod); ok {
					r.observePod(p, time.Now())
				}
			}
		}
	}()
	return r, nil
}

// retryWatch lists (for the resource version) and then watches from it.
func retryWatch(ctx context.Context, list func(context.Context) (runtime.Object, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error)) (*watchtools.RetryWatcher, error) {
	l, err := list(ctx)
	if err != nil {
		return nil, err
	}
	m, err := meta.ListAccessor(l)
	if err != nil {
		return nil, err
	}
	return watchtools.NewRetryWatcherWithContext(ctx, m.GetResourceVersion(), &cache.ListWatch{WatchFuncWithContext: watchFn})
}

func (r *recorder) observePod(p *corev1.Pod, now time.Time) {
	owner := metav1.GetControllerOf(p)
	if owner == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.pods[string(owner.UID)]
	if ps == nil {
		ps = &podSeen{added: now}
		r.pods[string(owner.UID)] = ps
	}
	if (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) && ps.done.IsZero() {
		ps.done = now
	}
}

func (r *recorder) observe(j *batchv1.Job, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byUID[string(j.UID)]
	if s == nil {
		node := j.Labels["jobernetes.io/job"]
		if node == "" {
			node = j.Labels[labelNode]
		}
		s = &seen{node: node, added: now}
		r.byUID[string(j.UID)] = s
	}
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		if c.Type == batchv1.JobComplete && s.completed.IsZero() {
			s.completed = now
		}
		if c.Type == batchv1.JobFailed && s.failed.IsZero() {
			s.failed = now
		}
	}
}

func (r *recorder) stop() {
	r.cancel()
	<-r.done
}

// byNode is the recorder's view by DAG node (one Job per node).
func (r *recorder) byNode() map[string]seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]seen, len(r.byUID))
	for uid, s := range r.byUID {
		sn := *s
		if ps := r.pods[uid]; ps != nil {
			sn.podAdded, sn.podDone = ps.added, ps.done
		}
		out[s.node] = sn
	}
	return out
}

// completedCount is how many Jobs the watch saw Complete.
func (r *recorder) completedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.byUID {
		if !s.completed.IsZero() {
			n++
		}
	}
	return n
}

// timing is what one run's watch says about the DAG's execution.
type timing struct {
	makespan  time.Duration // first Job created -> last Job completed
	floor     time.Duration // critical path of the Jobs' own create -> Complete times
	reactions []time.Duration
	// lastCreate is the largest reaction: the last Job of a wave created
	// after the completion that made it ready.
	lastCreate time.Duration
	// Per Job: create -> Complete, and its parts (Jobs whose pod the
	// watch saw added and done): create -> pod added, pod added -> pod
	// done, pod done -> Job Complete.
	jobTimes, toPod, podRun, toComplete []time.Duration
}

// measure computes makespan, floor and reaction times from what the watch
// saw; every node must have exactly one completed Job.
func measure(s shape, g *graph.Graph, nodes map[string]seen) (timing, error) {
	var tm timing
	var first, last time.Time
	for _, n := range s.nodes {
		sn, ok := nodes[n.name]
		if !ok || sn.completed.IsZero() {
			return tm, fmt.Errorf("job %s: no completed Job seen", n.name)
		}
		if first.IsZero() || sn.added.Before(first) {
			first = sn.added
		}
		if sn.completed.After(last) {
			last = sn.completed
		}
		if len(n.deps) > 0 {
			var ready time.Time // the last dependency's completion
			for _, d := range n.deps {
				if c := nodes[d].completed; c.After(ready) {
					ready = c
				}
			}
			tm.reactions = append(tm.reactions, sn.added.Sub(ready))
			tm.lastCreate = max(tm.lastCreate, sn.added.Sub(ready))
		}
		tm.jobTimes = append(tm.jobTimes, sn.completed.Sub(sn.added))
		if !sn.podAdded.IsZero() && !sn.podDone.IsZero() {
			tm.toPod = append(tm.toPod, sn.podAdded.Sub(sn.added))
			tm.podRun = append(tm.podRun, sn.podDone.Sub(sn.podAdded))
			tm.toComplete = append(tm.toComplete, sn.completed.Sub(sn.podDone))
		}
	}
	tm.makespan = last.Sub(first)
	_, tm.floor = g.CriticalPath(func(i int) time.Duration {
		sn := nodes[g.Node(i).Name]
		return sn.completed.Sub(sn.added)
	})
	return tm, nil
}

func median[T int | int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
