package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// watchStatus shows a run until it ends, from one informer of its Jobs and
// one of its record (both filtered by the run's label): on a terminal the
// status is redrawn in place on every change; piped, each change is one
// line, like `kubectl get -w`; so too on a terminal when NO_COLOR or
// TERM=dumb asks for plain output.
func (o *statusOptions) watchStatus(ctx context.Context, client kubernetes.Interface, ns string) error {
	factory := runmeta.NewInformerFactory(client, ns, o.runID)
	jobs := factory.Batch().V1().Jobs()
	cms := factory.Core().V1().ConfigMaps()
	changed, poke, err := notifyChanges(jobs.Informer(), cms.Informer())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return &ExitError{Code: ExitCluster, Err: fmt.Errorf("watching the run's %v: cache did not sync", typ)}
		}
	}
	styled := render.Styled(o.streams.Out, false, os.Getenv)
	draw := o.drawer(styled)
	// A tick redraws running durations on a terminal; piped, only changes print.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	poke()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if !styled {
				continue
			}
		case <-changed:
		}
		objs, err := cms.Lister().ConfigMaps(ns).List(labels.Everything())
		if err != nil {
			return err
		}
		all, err := jobs.Lister().Jobs(ns).List(labels.Everything())
		if err != nil {
			return err
		}
		rec, err := record.FromObjects(ns, o.runID, objs) // the head and its segments
		if err != nil {
			return exitError(err)
		}
		st := report.RunStatusFrom(rec, all, o.now())
		draw(st)
		if st.Result != record.ResultRunning {
			return nil
		}
	}
}

// drawer shows each status of a watched run: redrawn in place when styled
// (a terminal), else as lines of what changed.
func (o *statusOptions) drawer(styled bool) func(*report.RunStatus) {
	if !styled {
		return render.NewStatusLines(o.streams.Out).Write
	}
	return func(st *report.RunStatus) {
		fmt.Fprint(o.streams.Out, "\x1b[H\x1b[2J") // home, clear: redraw in place
		render.StatusText(o.streams.Out, st, o.now())
	}
}

// notifyChanges signals on changed when any of the informers sees an add,
// update or delete (at most one signal waits); poke signals by hand.
func notifyChanges(infs ...cache.SharedIndexInformer) (changed chan struct{}, poke func(), err error) {
	changed = make(chan struct{}, 1)
	poke = func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { poke() },
		UpdateFunc: func(interface{}, interface{}) { poke() },
		DeleteFunc: func(interface{}) { poke() },
	}
	for _, inf := range infs {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, nil, err
		}
	}
	return changed, poke, nil
}
