// Package controller runs one jobernetes run: a Job informer filtered by the
// run's label feeds a workqueue, and a level-triggered sync advances the DAG
// whenever a Job of the run changes: it creates the Jobs that became ready,
// records what finished and deletes finished Jobs when cleanup is on.
package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	toolsrecord "k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Options configure one run.
type Options struct {
	Namespace string
	RunID     string
	Model     *config.Model
	// Recorder, if set, receives Events about the Jobs the run acts on.
	Recorder toolsrecord.EventRecorder
	// SkipJobEvents leaves out the Created and Deleted Events on every Job
	// (two writes per Job); warnings and the run's summary Event stay.
	SkipJobEvents bool
	// Owner, if set, becomes an owner of the run's state ConfigMap (and so,
	// through the garbage collector, of every Job of the run): the wrapper
	// Job when jobernetes itself runs as a Job.
	Owner *metav1.OwnerReference
	// RecordInterval bounds how often the run record is written while Jobs
	// finish; finished Jobs are deleted (cleanup) once recorded. Default 1s.
	RecordInterval time.Duration
	// CreateWorkers is how many creates or deletes are in flight at once.
	CreateWorkers int
	// RecordSegmentBytes bounds the run record's segments (record.
	// WithSegmentBytes); 0 is record.DefaultSegmentBytes. Tests set it small.
	RecordSegmentBytes int
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// RetryFailed, on a failed run, runs its failed, skipped and never-run
	// Jobs again under new names (the failed Jobs are kept); succeeded ones
	// stay done unless their revert ran.
	RetryFailed bool
	// Params are `run -e` KEY=VALUE parameters: they override the model's
	// env and are injected into every container of every Job.
	Params map[string]string
	// Events receive what the run says, as typed events.
	Events
	// Pods, if set, is an informer of the run's pods (from the same
	// filtered factory as the Jobs): why a Job failed, or cannot start.
	Pods coreinformers.PodInformer
	// LogLines is how many last log lines of each failed container a
	// failed Job's diagnosis keeps (needs Pods); 0 keeps none.
	LogLines int
}

// Events are the run's progress, which the controller never formats
// (pkg/render does). Each, if set, is called from the worker goroutine.
type Events struct {
	// OnTransition takes every state change of a Job, a phase or the run.
	OnTransition func(Transition)
	// OnNote takes every progress line that is not a state change.
	OnNote func(runmeta.Note)
	// OnDiagnosis takes why a failed Job's pods failed, after its
	// Transition (which says it is due).
	OnDiagnosis func(runmeta.Diagnosis)
}

// Controller drives one run. It is not reusable.
type Controller struct {
	client    kubernetes.Interface
	opts      Options
	ns, runID string
	model     *config.Model // its Graph holds the DAG and its rules
	cache     runCache      // the run's Jobs and pods, from the informers
	queue     workqueue.TypedRateLimitingInterface[string]
	tracker   *tracker
	// fatal carries errors that end the run from outside the worker, such as
	// the informer being refused by the API server.
	fatal chan error

	// Everything else is owned by the single worker goroutine.
	workerState
}

// workerState is what only a Controller's worker goroutine reads and
// writes, once NewController has built it.
type workerState struct {
	nodes   []*node // per graph node: its model job, its units, its revert
	units   []*unit // every unit, node by node
	byName  map[string]int
	attempt int          // run attempt: 1, then +1 per --retry-failed
	start   time.Time    // of this attempt
	store   record.Store // the run record: every read and write goes through it
	work    work         // what the next sync visits
	deletes deleter      // cleanup's deletes in flight
	jobTmpl jobTemplate  // what every Job of the run gets
	notes   notes        // what the run has said once and need not say again
	tails   tailReader   // failed containers' log tails, read off the sync
	end     runEnd       // how the run ends, once it does
	flow    dataflow     // results, and what was decided from them
}

// runCache is what the informers hold of the run.
type runCache struct {
	jobs       batchlisters.JobLister
	jobsSynced cache.InformerSynced
	pods       cache.Indexer // pods by Job; nil without Options.Pods
	podsSynced cache.InformerSynced
}

// jobTemplate is what newJob adds to every manifest (read concurrently by
// the creates).
type jobTemplate struct {
	ownerRef     metav1.OwnerReference // the run record controls every Job
	manifestHash map[*config.Manifest]string
	dryRun       bool // built by PlanJobs: Jobs get no owner reference
}

// notes are things the run says once.
type notes struct {
	phases  []int           // per phase: 0 not started, 1 started, 2 succeeded (for progress lines)
	foreign map[string]bool // Jobs with the run's label that it does not control
	// logsForbidden: pods/log was refused once; no more tails are asked for.
	logsForbidden bool
}

// runEnd is how the run ends.
type runEnd struct {
	failure   *failure // the first failure, in DAG order
	deadline  bool     // run_timeout passed
	cancelled bool     // the record says `jobernetes cancel` stopped the run
	cancelMsg string   // and why
	result    *Result
	done      chan struct{} // closed once result is set
}

// now is the run's clock (Options.Now: tests set it).
func (c *Controller) now() time.Time { return c.opts.Now() }

// NewController wires handlers on jobInformer, which the caller must have
// filtered to the run's label, and starts nothing.
func NewController(ctx context.Context, client kubernetes.Interface, jobInformer batchinformers.JobInformer, opts Options) (*Controller, error) {
	if opts.RecordInterval <= 0 {
		opts.RecordInterval = time.Second
	}
	if opts.CreateWorkers <= 0 {
		opts.CreateWorkers = 16
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := runmeta.ValidateRunID(opts.RunID); err != nil {
		return nil, err
	}
	c := &Controller{
		client:  client,
		opts:    opts,
		ns:      opts.Namespace,
		runID:   opts.RunID,
		model:   opts.Model,
		tracker: newTracker(),
		fatal:   make(chan error, 1),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "jobernetes"},
		),
		workerState: workerState{
			store: record.NewStore(client, opts.Namespace, opts.RunID, opts.Owner, record.WithSegmentBytes(opts.RecordSegmentBytes)),
			notes: notes{foreign: map[string]bool{}},
			tails: tailReader{slots: make(chan struct{}, maxTailReads), bound: logTailTimeout},
			end:   runEnd{done: make(chan struct{})},
		},
	}
	c.buildUnits()
	c.initWork()

	if err := c.watchPods(); err != nil {
		return nil, err
	}
	if err := c.watchJobs(jobInformer); err != nil {
		return nil, err
	}
	return c, nil
}

// watchJobs wires the handlers on the run's Job informer.
func (c *Controller) watchJobs(jobInformer batchinformers.JobInformer) error {
	c.cache.jobs = jobInformer.Lister()
	inf := jobInformer.Informer()
	c.cache.jobsSynced = inf.HasSynced
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addJob,
		UpdateFunc: c.updateJob,
		DeleteFunc: c.deleteJob,
	}); err != nil {
		return err
	}
	// A LIST or WATCH refused for lack of rights would otherwise be retried
	// forever in the background while the run waits for a cache that never
	// syncs: turn it into a cluster error.
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
			select {
			case c.fatal <- fmt.Errorf("%w: watching Jobs in namespace %q: %v", runmeta.ErrCluster, c.ns, err): //nolint:errorlint // the cause is text on purpose: only runmeta.ErrCluster is matched, apierrors.IsXxx must not see through it
			default:
			}
			return
		}
		cache.DefaultWatchErrorHandler(ctx, r, err)
	})
	return nil
}

// Handlers only note what the cache saw and enqueue: the sync decides.

func (c *Controller) addJob(obj interface{}) {
	if job, ok := obj.(*batchv1.Job); ok {
		c.tracker.observed(job.Name)
	}
	c.queue.Add(c.runID)
}

func (c *Controller) updateJob(old, cur interface{}) {
	o, ok1 := old.(*batchv1.Job)
	n, ok2 := cur.(*batchv1.Job)
	if ok1 && ok2 && o.ResourceVersion == n.ResourceVersion {
		return // periodic resync: nothing changed
	}
	if ok2 {
		c.tracker.observed(n.Name)
	}
	c.queue.Add(c.runID)
}

func (c *Controller) deleteJob(obj interface{}) {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		tomb, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if job, ok = tomb.Obj.(*batchv1.Job); !ok {
			return
		}
	}
	c.tracker.deleted(job)
	c.queue.Add(c.runID)
}

// Run waits for the cache, then advances the run until it ends or ctx is
// cancelled. Prepare must have been called and the informer started.
func (c *Controller) Run(ctx context.Context) (*Result, error) {
	defer utilruntime.HandleCrash()
	// Run returns only once its goroutines have stopped: the deferred calls
	// run last first, so the queue is shut down and the context cancelled
	// (the worker leaves its loop, requests in flight end), then the cache
	// wait and the worker are waited for, then the log tail reads and
	// cleanup's background deletes.
	var wg sync.WaitGroup
	defer c.deletes.wg.Wait()
	defer c.tails.wg.Wait()
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)

	synced := make(chan bool, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		synced <- cache.WaitForCacheSync(ctx.Done(), c.cache.jobsSynced, c.cache.podsSynced)
	}()
	select {
	case err := <-c.fatal:
		return nil, err
	case ok := <-synced:
		if !ok {
			return nil, ctx.Err()
		}
	}
	logger.V(2).Info("Job cache synced", "run", c.runID)

	c.queue.Add(c.runID)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c.processNextWorkItem(ctx) {
		}
	}()
	select {
	case <-c.end.done:
		writes, bytes := c.store.Stats()
		logger.V(1).Info("Run record written", "run", c.runID, "writes", writes, "bytes", bytes) // make bench-scale reads it
		return c.end.result, nil
	case err := <-c.fatal:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if c.end.result != nil {
		return false
	}
	if err := c.sync(ctx); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			select {
			case c.fatal <- fe.err:
			default:
			}
			return false
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Sync failed, will retry", "run", c.runID)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if c.end.result != nil {
		close(c.end.done)
		return false
	}
	return true
}

// fatalError ends the run from inside sync (not retried).
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
