package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// DefaultLeaseDuration is how long a killed orchestrator's claim on a run
// outlives it: a restart waits at most this long before resuming.
const DefaultLeaseDuration = 15 * time.Second

// ErrLostLease says the run's Lease was lost mid-run (another orchestrator took
// it, or the API server was unreachable for longer than the renew deadline);
// this process stopped acting at once.
var ErrLostLease = errors.New("lost the run's lease")

// LeaseOptions tune WithRunLease.
type LeaseOptions struct {
	Duration time.Duration // default DefaultLeaseDuration
	Identity string        // default host_pid_random
	Out      io.Writer     // where "waiting for ..." is said
}

// WithRunLease runs fn while this process holds the run's Lease
// (coordination.k8s.io, named like the run record), so that two
// orchestrators of one run never act at once: the second waits, and takes
// over when the first finishes or dies. fn's context is cancelled if the
// Lease is lost.
func WithRunLease(ctx context.Context, client kubernetes.Interface, ns, runID string, o LeaseOptions, fn func(context.Context) error) error {
	o = o.withDefaults()
	name := record.Name(runID)
	// Leader election retries every error forever; ask once first, so that an
	// unreachable or forbidden cluster is reported instead of waited on.
	if _, err := client.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return runmeta.ClusterError("read run lease", err)
	}
	// Leader election logs its routine steps at V(0); keep them for -v=2.
	logger := klog.FromContext(ctx)
	leCtx, cancel := context.WithCancel(klog.NewContext(ctx, quietLeaseLogger(logger).V(2)))
	defer cancel()
	h := &leaseHolder{fn: fn, logger: logger, stop: cancel, done: make(chan struct{})}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Name: name, Namespace: ns},
			Client:     client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: o.Identity},
			Labels:     map[string]string{runmeta.LabelRun: runID, runmeta.LabelManagedBy: runmeta.ManagedBy},
		},
		LeaseDuration:   o.Duration,
		RenewDeadline:   o.Duration * 2 / 3,
		RetryPeriod:     max(o.Duration/5, 100*time.Millisecond),
		ReleaseOnCancel: true,
		Name:            name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: h.lead,
			OnStoppedLeading: func() {},
			OnNewLeader: func(id string) {
				if id != o.Identity {
					h.waiting.Do(func() {
						fmt.Fprintf(o.Out, "run %s is being driven by %s; waiting until it finishes or its lease expires (%s)\n", runID, id, o.Duration)
					})
				}
			},
		},
	})
	if err != nil {
		return err
	}
	le.Run(leCtx)
	return h.result(ctx)
}

func (o LeaseOptions) withDefaults() LeaseOptions {
	if o.Duration <= 0 {
		o.Duration = DefaultLeaseDuration
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Identity == "" {
		host, _ := os.Hostname()
		o.Identity = fmt.Sprintf("%s_%d_%s", host, os.Getpid(), rand.String(5))
	}
	return o
}

// leaseHolder runs fn once this process leads, and says how that ended.
type leaseHolder struct {
	fn      func(context.Context) error
	logger  klog.Logger
	stop    func() // ends the leader election once fn returns
	waiting sync.Once
	done    chan struct{} // closed when fn has returned

	mu       sync.Mutex
	started  bool // fn was called
	returned bool // the leader election returned: too late to start fn
	finished bool // fn returned while still leading
	err      error
}

func (h *leaseHolder) lead(lctx context.Context) {
	h.mu.Lock()
	if h.returned {
		h.mu.Unlock()
		return
	}
	h.started = true
	h.mu.Unlock()
	defer close(h.done)
	h.err = h.fn(klog.NewContext(lctx, h.logger))
	h.finished = lctx.Err() == nil
	h.stop()
}

// result is called once the leader election has returned.
func (h *leaseHolder) result(ctx context.Context) error {
	h.mu.Lock()
	h.returned = true
	started := h.started
	h.mu.Unlock()
	if !started {
		return ctx.Err()
	}
	<-h.done
	if !h.finished && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", runmeta.ErrCluster, ErrLostLease)
	}
	return h.err
}

// leaseDeleteTimeout bounds the Lease's delete at the end of a run: the run
// is over, and an API server that does not answer must not hold the
// process (the record owns the Lease: the garbage collector removes it with
// the run anyway).
const leaseDeleteTimeout = 10 * time.Second

// DeleteRunLease removes a finished run's Lease (best effort, within
// leaseDeleteTimeout; ctx may be cancelled already: the run has ended, and
// its Lease should still go).
func DeleteRunLease(ctx context.Context, client kubernetes.Interface, ns, runID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseDeleteTimeout)
	defer cancel()
	_ = client.CoordinationV1().Leases(ns).Delete(ctx, record.Name(runID), metav1.DeleteOptions{})
}

// ownLease makes the run record the owner of the run's Lease, so that the
// garbage collector removes the Lease with the run (a killed run's Lease
// would otherwise stay forever). Best effort: the Lease may not exist when
// the controller runs without WithRunLease.
func (c *Controller) ownLease(ctx context.Context) {
	leases := c.client.CoordinationV1().Leases(c.ns)
	lease, err := leases.Get(ctx, record.Name(c.runID), metav1.GetOptions{})
	if err != nil {
		return
	}
	for _, ref := range lease.OwnerReferences {
		if ref.UID == c.store.Meta().UID {
			return
		}
	}
	lease = lease.DeepCopy()
	lease.OwnerReferences = append(lease.OwnerReferences, metav1.OwnerReference{
		APIVersion: "v1", Kind: "ConfigMap", Name: c.store.Meta().Name, UID: c.store.Meta().UID,
	})
	_, _ = leases.Update(ctx, lease, metav1.UpdateOptions{})
}
