package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// maxLeaseLosses bounds how often one process re-takes a lost Lease before
// it gives up with exit 3.
const maxLeaseLosses = 20

// leaseTerm runs the run while holding its Lease: everything that touches
// the run happens inside one term, so a second orchestrator of the same
// run waits instead of acting too.
type leaseTerm struct {
	o         *runOptions
	clients   *runClients
	out       *runOutput
	model     *config.Model
	ns, runID string
	opts      controller.Options
	watchPods bool
	started   bool // the output has been started (by the first term)
}

// runUntilDone runs terms until the run ends. A lost Lease (an API server
// outage longer than the renew deadline, or another orchestrator taking
// over) stops this process acting at once; it then queues for the Lease
// again and resumes the run, as a restart would.
func (t *leaseTerm) runUntilDone(ctx context.Context) (*runmeta.Result, error) {
	leaseOpts := controller.LeaseOptions{Duration: t.o.api.leaseDuration, Out: t.o.streams.ErrOut}
	for lost := 0; ; lost++ {
		var res *runmeta.Result
		err := controller.WithRunLease(ctx, t.clients.lease, t.ns, t.runID, leaseOpts, func(leaseCtx context.Context) (err error) {
			res, err = t.run(leaseCtx, ctx)
			return err
		})
		if !errors.Is(err, controller.ErrLostLease) || ctx.Err() != nil || lost >= maxLeaseLosses {
			return res, err
		}
		fmt.Fprintf(t.o.streams.ErrOut, "lost the run's lease (API server unreachable, or another orchestrator took it); waiting for it to resume the run\n")
	}
}

// stopTimeout bounds what a process told to stop still does for its run
// (controller.Stop).
const stopTimeout = 5 * time.Second

// run is one term: a controller, its informers, Prepare (create or resume
// the record), Run. ctx ends with the term (a lost Lease), outer with the
// process (SIGINT, SIGTERM).
func (t *leaseTerm) run(ctx, outer context.Context) (*runmeta.Result, error) {
	factory := runmeta.NewInformerFactory(t.clients.run, t.ns, t.runID)
	opts := t.opts
	if t.watchPods {
		opts.Pods = factory.Core().V1().Pods()
	}
	ctrl, err := controller.NewController(ctx, t.clients.run, factory.Batch().V1().Jobs(), opts)
	if err != nil {
		return nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	if res, err := ctrl.Prepare(ctx); err != nil || res != nil {
		if res != nil {
			t.alreadyFinished(res)
		}
		return res, err
	}
	// The informers stop with their own context: Shutdown waits for them.
	informerCtx, stopInformers := context.WithCancel(ctx)
	defer func() {
		stopInformers()
		factory.Shutdown()
	}()
	factory.Start(informerCtx.Done())
	if !t.started {
		t.started = true
		t.out.Started(ctrl.Record())
	}
	res, err := ctrl.Run(ctx)
	if err != nil && outer.Err() != nil {
		// Told to stop, not a lost Lease: record what this process
		// created and release its finalizers (a resume would otherwise).
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(outer), stopTimeout)
		if serr := ctrl.Stop(stopCtx); serr != nil {
			klog.FromContext(ctx).Info("Could not record the run's last Jobs before stopping; a resume will", "run", t.runID, "err", serr)
		}
		cancel()
	}
	t.out.EndTerm()
	if err == nil {
		t.out.StopLive()
		if err := ctrl.RecordRunEvent(ctx, res); err != nil {
			klog.FromContext(ctx).Info("Could not post the run's summary Event", "run", t.runID, "err", err)
		}
	}
	return res, err
}

func (t *leaseTerm) alreadyFinished(res *runmeta.Result) {
	fmt.Fprintf(t.out.Info, "run %s has already finished; nothing to do\n", t.runID)
	if !res.Succeeded {
		fmt.Fprintf(t.o.streams.ErrOut, "to run its failed part again: %s run -f %s -n %s --run-id %s --retry-failed\n",
			t.o.name, t.o.filename, t.ns, t.runID)
	}
}
