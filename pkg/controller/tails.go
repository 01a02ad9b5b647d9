package controller

import (
	"context"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// maxTailReads bounds the failed Jobs whose log tails are read at once: a
// run where many Jobs fail together asks the kubelets a few at a time.
const maxTailReads = 4

// tailReader reads failed containers' log tails off the sync, so that a
// kubelet that does not answer stalls no other Job of the run (issue 25:
// the reads were on the sync, up to logTailTimeout per failed Job). A read
// holds its Job's diagnosis, its record entry and the run's end, not the
// DAG: the failure is decided on at once. Its result comes back through
// done, and the run's key is queued; the sync joins it to the diagnosis.
type tailReader struct {
	wg    sync.WaitGroup // Run waits for the reads
	slots chan struct{}  // one per read in flight
	mu    sync.Mutex
	done  []tailRead    // read, not yet joined
	due   int           // reads started and not joined (the sync's own count)
	bound time.Duration // logTailTimeout; tests make it short
}

// tailRead is one failed Job's reads: its pods' failures, with their tails.
type tailRead struct {
	u         *unit // only the sync touches it
	failures  []record.PodFailure
	forbidden error // pods/log refused
}

// readTailsOffSync starts reading the tails of u's failed containers, if
// there are any to read; u's diagnosis is due until joinTails.
func (c *Controller) readTailsOffSync(ctx context.Context, u *unit) {
	if c.opts.LogLines <= 0 || c.notes.logsForbidden ||
		!slices.ContainsFunc(u.pods, func(f record.PodFailure) bool { return f.Container != "" }) {
		return
	}
	r := tailRead{u: u, failures: slices.Clone(u.pods)}
	u.said.tailsDue = true
	c.tails.due++
	ctx, cancel := context.WithTimeout(ctx, c.tails.bound) // from now: the wait for a slot counts
	c.tails.wg.Add(1)
	go func() {
		defer c.tails.wg.Done()
		defer cancel()
		select {
		case c.tails.slots <- struct{}{}:
			r.forbidden = c.readTails(ctx, r.failures)
			<-c.tails.slots
		case <-ctx.Done(): // no slot within the bound: no tails
		}
		c.tails.mu.Lock()
		c.tails.done = append(c.tails.done, r)
		c.tails.mu.Unlock()
		c.queue.Add(c.runID)
	}()
}

// joinTails joins the tails read since the last sync to their Jobs'
// diagnoses and emits those whose failed Transition said they were due.
func (c *Controller) joinTails() {
	c.tails.mu.Lock()
	done := c.tails.done
	c.tails.done = nil
	c.tails.mu.Unlock()
	for _, r := range done {
		c.tails.due--
		u := r.u
		u.said.tailsDue = false
		u.pods = r.failures
		c.touch(u) // to be recorded, with its tails
		if apierrors.IsForbidden(r.forbidden) && !c.notes.logsForbidden {
			c.notes.logsForbidden = true
			c.note(runmeta.NoteWarning, "warning: cannot read pod logs (%v): failed Jobs are reported without their log tail; the Role needs pods/log get\n", r.forbidden)
		}
		if u.said.diagnosis {
			c.emitDiagnosis(u)
		}
	}
}
