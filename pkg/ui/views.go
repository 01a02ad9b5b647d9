package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// The server watches, it does not poll: one informer factory per namespace
// in view (started when a page first looks at it), filtered server-side by
// the run label, holding the runs' record ConfigMaps, Jobs and pods. Their
// handlers only poke the feed of the run the object belongs to (a label);
// the feed builds the run's status document from the caches (events.go).
// With -A the run list comes from one cluster-wide informer of the records'
// heads; with -n from the namespace's own.

const indexRun = "run"

func runOf(obj interface{}) string {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, err := metaOf(obj)
	if err != nil {
		return ""
	}
	return m.GetLabels()[runmeta.LabelRun]
}

func metaOf(obj interface{}) (metav1.Object, error) {
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		return o, nil
	case *batchv1.Job:
		return o, nil
	case *corev1.Pod:
		return o, nil
	}
	return nil, fmt.Errorf("unexpected %T", obj)
}

func indexByRun(obj interface{}) ([]string, error) {
	if r := runOf(obj); r != "" {
		return []string{r}, nil
	}
	return nil, nil
}

// strip keeps of Jobs and pods what status reads (the orchestrator's own
// transforms); records are kept whole.
func strip(obj interface{}) (interface{}, error) {
	switch obj.(type) {
	case *corev1.Pod:
		return runmeta.StripPod(obj)
	case *batchv1.Job:
		return runmeta.StripJob(obj)
	}
	return obj, nil
}

type views struct {
	client   kubernetes.Interface
	ns       string // "" for all namespaces
	debounce time.Duration
	now      func() time.Time
	ctx      context.Context
	stop     context.CancelFunc

	mu        sync.Mutex
	byNS      map[string]*nsView
	heads     *watched // -A: the heads of every namespace
	headsStop context.CancelFunc
	headsErr  error // the cluster refused the heads of every namespace
	list      *listFeed
}

func newViews(client kubernetes.Interface, ns string, debounce time.Duration, now func() time.Time) *views {
	ctx, stop := context.WithCancel(context.Background())
	return &views{client: client, ns: ns, debounce: debounce, now: now, ctx: ctx, stop: stop, byNS: map[string]*nsView{}}
}

func (v *views) close() { v.stop() }

// watched is a started informer and how its sync went.
type watched struct {
	inf         cache.SharedIndexInformer
	mu          sync.Mutex
	lastErr     error
	onForbidden func() // stops the watch when the cluster refuses it
}

func (w *watched) watchError(_ *cache.Reflector, err error) {
	w.mu.Lock()
	w.lastErr = err
	stop := w.onForbidden
	w.mu.Unlock()
	if stop != nil && apierrors.IsForbidden(err) {
		stop()
	}
}

// wait waits for the cache to sync, at most 15 s, and not at all once the
// cluster refused the watch: an informer that the API server refuses
// retries for ever, and the page must hear why.
func (w *watched) wait(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !w.inf.HasSynced() {
		if w.forbidden() {
			break
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
			continue
		}
		break
	}
	if w.inf.HasSynced() {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastErr != nil {
		return runmeta.ClusterError("watch", w.lastErr)
	}
	return fmt.Errorf("watch: %w", ctx.Err())
}

// forbidden tells whether the cluster refused the watch.
func (w *watched) forbidden() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return apierrors.IsForbidden(w.lastErr)
}

func newWatched(inf cache.SharedIndexInformer) *watched {
	w := &watched{inf: inf}
	_ = inf.SetWatchErrorHandler(w.watchError)
	_ = inf.SetTransform(strip)
	_ = inf.AddIndexers(cache.Indexers{indexRun: indexByRun})
	return w
}

// nsView is one namespace's informers and the feeds of its runs.
type nsView struct {
	ns              string
	cms, jobs, pods *watched
	mu              sync.Mutex
	feeds           map[string]*runFeed
	onHead          func() // pokes the run list
	debounce        time.Duration
	now             func() time.Time
}

func (v *views) namespace(ns string) *nsView {
	v.mu.Lock()
	defer v.mu.Unlock()
	if nv := v.byNS[ns]; nv != nil {
		return nv
	}
	f := informers.NewSharedInformerFactoryWithOptions(v.client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = runmeta.LabelRun }))
	// Pods in a factory of their own: a user who may not list them (the
	// diagnosis is a bonus, as for status) has that watch stopped, not
	// retried for ever.
	fp := informers.NewSharedInformerFactoryWithOptions(v.client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = runmeta.LabelRun }))
	podsCtx, stopPods := context.WithCancel(v.ctx)
	nv := &nsView{ns: ns, feeds: map[string]*runFeed{}, debounce: v.debounce, now: v.now,
		cms:  newWatched(f.Core().V1().ConfigMaps().Informer()),
		jobs: newWatched(f.Batch().V1().Jobs().Informer()),
		pods: newWatched(fp.Core().V1().Pods().Informer()),
	}
	nv.pods.onForbidden = stopPods
	for _, w := range []*watched{nv.cms, nv.jobs, nv.pods} {
		isCM := w == nv.cms
		_, _ = w.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj interface{}) { nv.changed(obj, isCM) },
			UpdateFunc: func(old, obj interface{}) {
				if o, n := old.(metav1.Object), obj.(metav1.Object); o.GetResourceVersion() == n.GetResourceVersion() && n.GetResourceVersion() != "" { // a resync
					return
				}
				nv.changed(obj, isCM)
			},
			DeleteFunc: func(obj interface{}) { nv.changed(obj, isCM) },
		})
	}
	if v.ns != "" {
		nv.onHead = func() { v.pokeList() }
	}
	f.Start(v.ctx.Done())
	fp.Start(podsCtx.Done())
	v.byNS[ns] = nv
	return nv
}

func (nv *nsView) changed(obj interface{}, isCM bool) {
	if isCM && nv.onHead != nil {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok && !record.IsSegment(cm) {
			nv.onHead()
		}
	}
	run := runOf(obj)
	if run == "" {
		return
	}
	nv.mu.Lock()
	f := nv.feeds[run]
	nv.mu.Unlock()
	if f != nil {
		f.poke()
	}
}

func (nv *nsView) wait(ctx context.Context) error {
	for _, w := range []*watched{nv.cms, nv.jobs} {
		if err := w.wait(ctx); err != nil {
			return err
		}
	}
	// Pods are a bonus, as for status: a user who may not list them
	// still sees the run.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cache.WaitForCacheSync(ctx.Done(), nv.pods.inf.HasSynced)
	return nil
}

// objects of one run from the caches.
func (nv *nsView) runObjects(runID string) (cms []*corev1.ConfigMap, jobs []*batchv1.Job, pods []*corev1.Pod) {
	for _, o := range byRun(nv.cms, runID) {
		cms = append(cms, o.(*corev1.ConfigMap))
	}
	for _, o := range byRun(nv.jobs, runID) {
		jobs = append(jobs, o.(*batchv1.Job))
	}
	if nv.pods.inf.HasSynced() {
		for _, o := range byRun(nv.pods, runID) {
			pods = append(pods, o.(*corev1.Pod))
		}
	}
	return cms, jobs, pods
}

func byRun(w *watched, runID string) []interface{} {
	objs, _ := w.inf.GetIndexer().ByIndex(indexRun, runID)
	return objs
}

// headsInformer is the list's source with -A: the heads of every
// namespace's records.
func (v *views) headsSource() (*watched, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ns != "" {
		return nil, nil
	}
	if v.headsErr != nil {
		return nil, v.headsErr
	}
	if v.heads == nil {
		sel := record.LabelManagedBy + "=" + record.ManagedBy + ",!" + record.LabelSegment
		f := informers.NewSharedInformerFactoryWithOptions(v.client, 0,
			informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
		v.heads = newWatched(f.Core().V1().ConfigMaps().Informer())
		poke := func(interface{}) { v.pokeList() }
		_, _ = v.heads.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: poke, DeleteFunc: poke,
			UpdateFunc: func(_, o interface{}) { poke(o) }})
		ctx, stop := context.WithCancel(v.ctx)
		v.headsStop = stop
		f.Start(ctx.Done())
	}
	return v.heads, nil
}

// headsRefused stops the cluster-wide watch of the heads for good: the
// cluster refused it (a user who may not list ConfigMaps in every
// namespace). GET /api/runs still lists, one namespace at a time.
func (v *views) headsRefused(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.headsStop != nil {
		v.headsStop()
	}
	v.headsErr = err
}

// heads are the records' heads in view, from the caches.
func (v *views) headObjects(ctx context.Context) ([]*corev1.ConfigMap, error) {
	src, err := v.headsSource()
	if err != nil {
		return nil, err
	}
	if src == nil {
		nv := v.namespace(v.ns)
		if err := nv.cms.wait(ctx); err != nil {
			return nil, err
		}
		src = nv.cms
	} else if err := src.wait(ctx); err != nil {
		if src.forbidden() {
			v.headsRefused(err)
		}
		return nil, err
	}
	var out []*corev1.ConfigMap
	for _, o := range src.inf.GetStore().List() {
		if cm := o.(*corev1.ConfigMap); !record.IsSegment(cm) {
			out = append(out, cm)
		}
	}
	return out, nil
}

func (v *views) pokeList() {
	v.mu.Lock()
	l := v.list
	v.mu.Unlock()
	if l != nil {
		l.poke()
	}
}
