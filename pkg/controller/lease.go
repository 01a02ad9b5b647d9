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
	name := record.Name(runID)
	// Leader election retries every error forever; ask once first, so that an
	// unreachable or forbidden cluster is reported instead of waited on.
	if _, err := client.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return ClusterError("read run lease", err)
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: name, Namespace: ns},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: o.Identity},
		Labels:     map[string]string{LabelRun: runID, LabelManagedBy: ManagedBy},
	}
	// Leader election logs its routine steps at V(0); keep them for -v=2.
	logger := klog.FromContext(ctx)
	leCtx, cancel := context.WithCancel(klog.NewContext(ctx, quietLeaseLogger(logger).V(2)))
	defer cancel()
	var (
		once     sync.Once
		mu       sync.Mutex
		started  bool // fn was called
		returned bool // le.Run returned: too late to start fn
		finished bool
		fnErr    error
		done     = make(chan struct{})
	)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.Duration,
		RenewDeadline:   o.Duration * 2 / 3,
		RetryPeriod:     max(o.Duration/5, 100*time.Millisecond),
		ReleaseOnCancel: true,
		Name:            name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				mu.Lock()
				if returned {
					mu.Unlock()
					return
				}
				started = true
				mu.Unlock()
				defer close(done)
				fnErr = fn(klog.NewContext(lctx, logger))
				finished = lctx.Err() == nil
				cancel()
			},
			OnStoppedLeading: func() {},
			OnNewLeader: func(id string) {
				if id != o.Identity {
					once.Do(func() {
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
	mu.Lock()
	returned = true
	wasStarted := started
	mu.Unlock()
	if !wasStarted {
		return ctx.Err()
	}
	<-done
	if !finished && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", ErrCluster, ErrLostLease)
	}
	return fnErr
}

// DeleteRunLease removes a finished run's Lease (best effort).
func DeleteRunLease(ctx context.Context, client kubernetes.Interface, ns, runID string) {
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
