package controller

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// layeredModel is one phase of `layers` layers of `width` jobs; every job
// past the first layer depends on two jobs of the layer before it (a
// lattice of diamonds), so that one completion typically makes one job ready.
func layeredModel(tb testing.TB, layers, width int, cleanup bool) *config.Model {
	specs := make([]string, 0, layers*width)
	name := func(l, i int) string { return fmt.Sprintf("l%03d-%04d", l, i) }
	for l := 0; l < layers; l++ {
		for i := 0; i < width; i++ {
			if l == 0 {
				specs = append(specs, name(l, i))
				continue
			}
			specs = append(specs, name(l, i)+"<-"+name(l-1, i)+","+name(l-1, (i+1)%width))
		}
	}
	return testModel(tb, 0, cleanup, specs)
}

// benchRun is the controller of one run over a fake clientset, with the
// informer's part played by hand: a created Job goes into the lister at once
// (the informer is faster than the create's return), a deleted one leaves it,
// and completing a Job is one lister update, as a watch event would be.
type benchRun struct {
	ctx     context.Context
	c       *Controller
	client  *fake.Clientset
	indexer cache.Indexer
	now     time.Time
	mu      sync.Mutex // the creates of one sync run concurrently
	active  []string   // created, not yet completed: completed in creation order
}

func newBenchRun(b testing.TB, m *config.Model, recordInterval time.Duration) *benchRun {
	b.Helper()
	ctx := context.Background() // klog's global logger: V(2) action logs are off
	client := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	r := &benchRun{ctx: ctx, client: client, indexer: factory.Batch().V1().Jobs().Informer().GetIndexer(), now: time.Unix(1_800_000_000, 0)}
	// The fake clientset's own object tracker costs more per create than the
	// sync (it rebuilds a REST mapper on every write): Jobs and record writes
	// are answered here instead, so that the figures are the controller's.
	client.PrependReactor("create", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		job := a.(core.CreateAction).GetObject().(*batchv1.Job).DeepCopy()
		job.UID = types.UID("uid-" + job.Name)
		job.CreationTimestamp = metav1.NewTime(r.now)
		stripped, _ := runmeta.StripJob(job)
		_ = r.indexer.Add(stripped)
		r.mu.Lock()
		r.active = append(r.active, job.Name)
		r.mu.Unlock()
		return true, job, nil
	})
	client.PrependReactor("update", "configmaps", func(a core.Action) (bool, runtime.Object, error) {
		return true, a.(core.UpdateAction).GetObject(), nil
	})
	client.PrependReactor("create", "configmaps", func(a core.Action) (bool, runtime.Object, error) {
		cm := a.(core.CreateAction).GetObject().(*corev1.ConfigMap).DeepCopy()
		cm.UID = "uid-" + types.UID(cm.Name)
		return true, cm, nil
	})
	client.PrependReactor("get", "configmaps", func(a core.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(corev1.Resource("configmaps"), a.(core.GetAction).GetName())
	})
	client.PrependReactor("delete", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		name := a.(core.DeleteAction).GetName()
		if obj, ok, _ := r.indexer.GetByKey("ns/" + name); ok {
			_ = r.indexer.Delete(obj)
			r.c.tracker.deleted(obj.(*batchv1.Job))
		}
		return true, nil, nil
	})
	client.PrependReactor("patch", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		name := a.(core.PatchAction).GetName() // the release of the run's finalizer
		obj, ok, _ := r.indexer.GetByKey("ns/" + name)
		if !ok {
			return true, nil, apierrors.NewNotFound(batchv1.Resource("jobs"), name)
		}
		j := obj.(*batchv1.Job).DeepCopy()
		j.Finalizers = nil
		_ = r.indexer.Update(j)
		return true, j, nil
	})
	c, err := NewController(ctx, client, factory.Batch().V1().Jobs(), Options{
		Namespace: "ns", RunID: "r1", Model: m, Now: func() time.Time { return r.now },
		RecordInterval: recordInterval,
	})
	if err != nil {
		b.Fatal(err)
	}
	r.c = c
	if res, err := c.Prepare(ctx); err != nil || res != nil {
		b.Fatalf("Prepare: %v %v", res, err)
	}
	r.sync(b) // creates the first layer
	client.ClearActions()
	return r
}

func (r *benchRun) sync(b testing.TB) {
	if err := r.c.sync(r.ctx); err != nil {
		b.Fatalf("sync: %v", err)
	}
	r.c.deletes.wg.Wait() // as the next sync would, for the figures to hold the deletes
}

// completeOne marks the oldest active Job Complete in the lister, as the
// informer would on the Job controller's status update; false when none is
// active.
func (r *benchRun) completeOne(b testing.TB) bool {
	r.client.ClearActions() // the fake records every request, record writes included
	for len(r.active) > 0 {
		name := r.active[0]
		r.active = r.active[1:]
		obj, ok, _ := r.indexer.GetByKey("ns/" + name)
		if !ok {
			continue
		}
		j := obj.(*batchv1.Job).DeepCopy()
		t := metav1.NewTime(r.now)
		j.ResourceVersion += "1"
		j.Status.CompletionTime = &t
		j.Status.Succeeded = 1
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{
			Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: t,
		})
		if err := r.indexer.Update(j); err != nil {
			b.Fatal(err)
		}
		return true
	}
	return false
}

// BenchmarkSyncCompletion measures the sync that turns one Job's completion
// into the Jobs it makes ready: per op, one Job of a layered DAG completes
// and the run is synced once (at steady state each completion creates about
// one Job). The fake clock advances 25 ms per completion, the rate the local
// control plane completes Jobs at (~40/s).
//
//   - record=1s: the default RecordInterval, so the run record is written
//     about every 40 completions, as in a real run, its cost spread over them;
//   - record=off: no record write until the end, which leaves the part of
//     the sync that every watch event pays.
//
// With cleanup, recorded Jobs are deleted (and leave the lister). Compare
// the sizes: per-op cost that grows with the DAG is paid on every event.
func BenchmarkSyncCompletion(b *testing.B) {
	for _, size := range []struct{ layers, width int }{{10, 100}, {100, 100}, {1000, 100}} {
		for _, cleanup := range []bool{false, true} {
			for _, rec := range []struct {
				name     string
				interval time.Duration
			}{{"1s", time.Second}, {"off", 1000 * time.Hour}} {
				n := size.layers * size.width
				m := layeredModel(b, size.layers, size.width, cleanup)
				b.Run(fmt.Sprintf("layered-%d/cleanup=%v/record=%s", n, cleanup, rec.name), func(b *testing.B) {
					r := newBenchRun(b, m, rec.interval)
					goruntime.GC() // the setup's garbage (a 100,000-job run) is not the sync's
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if !r.completeOne(b) {
							// The DAG is done: start a fresh run, off the clock.
							b.StopTimer()
							r = newBenchRun(b, m, rec.interval)
							b.StartTimer()
							r.completeOne(b)
						}
						r.now = r.now.Add(25 * time.Millisecond)
						r.sync(b)
					}
				})
			}
		}
	}
}

// failEarly adds a job that fails at once to a layered model, under
// failure_policy continue: nothing depends on it, so the run goes on with
// all its other Jobs (BenchmarkSyncCompletion's failed-early variant).
func failEarly(tb testing.TB, layers, width int, cleanup bool) *config.Model {
	m := layeredModel(tb, layers, width, cleanup)
	ph := &m.Phases[0]
	early := *ph.Jobs[0]
	early.Name, early.Path, early.Index, early.DependsOn = "early", "early.yaml", len(ph.Jobs), nil
	early.Manifests = []*config.Manifest{{Path: "early.yaml", RelPath: "early.yaml", Job: manifest()}}
	ph.Jobs = append(ph.Jobs, &early)
	buildGraph(tb, m)
	return withPolicy(m, config.PolicyContinue)
}

// failOne marks the active Job of model job node Failed in the lister.
func (r *benchRun) failOne(b testing.TB, node string) {
	for i, name := range r.active {
		obj, ok, _ := r.indexer.GetByKey("ns/" + name)
		if !ok || obj.(*batchv1.Job).Labels[runmeta.LabelJob] != node {
			continue
		}
		r.active = append(r.active[:i:i], r.active[i+1:]...)
		j := obj.(*batchv1.Job).DeepCopy()
		j.ResourceVersion += "1"
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{
			Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", LastTransitionTime: metav1.NewTime(r.now),
		})
		if err := r.indexer.Update(j); err != nil {
			b.Fatal(err)
		}
		r.sync(b)
		return
	}
	b.Fatalf("no active Job of %s", node)
}

// BenchmarkSyncCompletionAfterFailure is BenchmarkSyncCompletion's
// failed-early variant: a job fails at the run's start under
// failure_policy continue, and the rest of the run goes on. The sync must
// stay as cheap as in a run where nothing failed (issue 25: it walked the
// whole DAG on every completion from the failure on).
func BenchmarkSyncCompletionAfterFailure(b *testing.B) {
	for _, size := range []struct{ layers, width int }{{100, 100}, {1000, 100}} {
		for _, cfg := range []struct {
			name     string
			cleanup  bool
			interval time.Duration
		}{{"cleanup=true/record=1s", true, time.Second}, {"cleanup=false/record=off", false, 1000 * time.Hour}} {
			m := failEarly(b, size.layers, size.width, cfg.cleanup)
			start := func() *benchRun {
				r := newBenchRun(b, m, cfg.interval)
				r.failOne(b, "early")
				return r
			}
			b.Run(fmt.Sprintf("layered-%d/continue-failed-early/%s", size.layers*size.width, cfg.name), func(b *testing.B) {
				r := start()
				goruntime.GC()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if !r.completeOne(b) {
						b.StopTimer()
						r = start()
						b.StartTimer()
						r.completeOne(b)
					}
					r.now = r.now.Add(25 * time.Millisecond)
					r.sync(b)
				}
			})
		}
	}
}

// BenchmarkWriteRecord is one write of the run record late in a run of
// 10,000 Jobs, all of them recorded: the whole record is encoded again
// (gzipped past 512 KiB) on every write, at most once per RecordInterval.
func BenchmarkWriteRecord(b *testing.B) {
	m := layeredModel(b, 100, 100, false)
	r := newBenchRun(b, m, 1000*time.Hour)
	// Every Job finished, with the times and UID a real record holds.
	for i, u := range r.c.units {
		u.state = unitSucceeded
		u.uid = types.UID(fmt.Sprintf("0b1c2d3e-4f50-6172-8394-%012d", i))
		u.created = r.now.Add(time.Duration(i) * 25 * time.Millisecond)
		u.started = u.created.Add(300 * time.Millisecond)
		u.finished = u.created.Add(1100 * time.Millisecond)
	}
	if err := r.c.writeRecord(r.ctx, r.c.units, false); err != nil {
		b.Fatal(err)
	}
	if got := len(r.c.rec().Jobs); got != 10_000 {
		b.Fatalf("record holds %d Jobs, want 10000", got)
	}
	cm := &corev1.ConfigMap{}
	if err := record.Encode(cm, r.c.rec()); err != nil {
		b.Fatal(err)
	}
	size := record.Size(cm)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.c.writeRecord(r.ctx, nil, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "record-bytes") // after ResetTimer, which drops reported metrics
}

// BenchmarkStripPod: what the run keeps of one pod in its pod cache (the
// bytes allocated per op are the stripped copy the informer stores), for a
// pod as the API server sends it: labels, annotations, a spec, conditions
// and a terminated container.
func BenchmarkStripPod(b *testing.B) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "load-lc3igwk5-9gqrf", Namespace: "batch", UID: "8c7c7f39-4c2e-4f49-9a67-4c54b3c1e6a1", ResourceVersion: "123456",
			Labels: map[string]string{runmeta.LabelRun: "nightly-20261129-120102-k3x9", runmeta.LabelJob: "load", runmeta.LabelPhase: "etl", runmeta.LabelManagedBy: runmeta.ManagedBy,
				"batch.kubernetes.io/job-name": "load-lc3igwk5", "batch.kubernetes.io/controller-uid": "c0ffee00-0000-4000-8000-000000000001"},
			Annotations:     map[string]string{"test.jobernetes.io/duration": "2s", runmeta.AnnotationManifest: "jobs/load.yaml"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "load-lc3igwk5", UID: "c0ffee00-0000-4000-8000-000000000001"}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"sh", "-c", "load --table orders"}}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodFailed,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodFailed"},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "main", Image: "busybox", State: corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error", Message: "input file is empty"}}}},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := runmeta.StripPod(pod); err != nil {
			b.Fatal(err)
		}
	}
}
