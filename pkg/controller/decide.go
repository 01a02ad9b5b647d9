package controller

import (
	"context"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
)

// A node's view for trigger rules: terminal when nothing of it runs any
// more and it succeeded, failed or was skipped.
type nodeView struct {
	terminal, succeeded, failed, skipped, started bool
}

func (c *Controller) view(n int) nodeView {
	var v nodeView
	active, succeeded, skipped := 0, 0, 0
	for _, ui := range c.nodeUnits[n] {
		switch c.units[ui].state {
		case unitActive:
			active++
			v.started = true
		case unitSucceeded:
			succeeded++
			v.started = true
		case unitFailed:
			v.failed = true
			v.started = true
		case unitSkipped:
			skipped++
		}
	}
	total := len(c.nodeUnits[n])
	v.succeeded = succeeded == total
	v.skipped = skipped == total
	v.terminal = active == 0 && (v.succeeded || v.failed || v.skipped)
	return v
}

// upstream aggregates the nodes a job's trigger rule reads.
type upstream struct{ terminal, succeeded, anyFailed bool }

func (c *Controller) aggregate(nodes []int) upstream {
	u := upstream{terminal: true, succeeded: true}
	for _, m := range nodes {
		v := c.view(m)
		u.terminal = u.terminal && v.terminal
		u.succeeded = u.succeeded && v.succeeded
		u.anyFailed = u.anyFailed || v.failed
	}
	return u
}

// decide is the run's state machine, recomputed from the units' states on
// every sync. It marks the units of nodes that will never run as skipped and
// returns, in order, the Jobs to create now: main jobs (trigger rules and the
// failure policy), then reverts (after the main DAG failed, in reverse
// dependency order), then the finally phase (after everything else).
func (c *Controller) decide() []*unit {
	policy := c.model.Options.FailurePolicy
	failed := c.failure != nil
	var todo []*unit
	phases := c.graph.Phases()
	prev := upstream{terminal: true, succeeded: true} // aggregate of the previous main phase

	for pi, p := range phases {
		if len(p.Nodes) > 0 && c.finally[p.Nodes[0]] {
			break
		}
		for _, n := range c.orderedNodes(p.Nodes) {
			v := c.view(n)
			if v.started {
				// Keep creating a started node's Jobs (capped directory job),
				// unless one of them failed.
				if !v.failed && !failed {
					todo = c.notCreated(todo, n)
				}
				continue
			}
			if v.skipped {
				continue
			}
			rule := c.rule(n)
			if failed && (policy == config.PolicyAbort || (policy != config.PolicyContinue && rule == config.RuleAllSucceeded)) {
				c.skip(n)
				continue
			}
			up := prev
			if deps := c.graph.Node(n).Deps; len(deps) > 0 {
				up = c.aggregate(deps)
			} else if pi == 0 {
				up = upstream{terminal: true, succeeded: true}
			}
			switch c.verdict(rule, up) {
			case verdictRun:
				todo = c.notCreated(todo, n)
			case verdictSkip:
				c.skip(n)
			}
		}
		prev = c.aggregate(p.Nodes)
	}

	mainDone := true
	for n := range c.nodeUnits {
		if !c.finally[n] && !c.view(n).terminal {
			mainDone = false
			break
		}
	}
	if !mainDone {
		return todo
	}
	reverts, settled := c.decideReverts()
	todo = append(todo, reverts...)
	if !settled {
		return todo
	}
	for n := range c.nodeUnits {
		if !c.finally[n] {
			continue
		}
		v := c.view(n)
		if v.started {
			if !v.failed {
				todo = c.notCreated(todo, n)
			}
			continue
		}
		if v.skipped {
			continue
		}
		up := c.aggregate(c.graph.Node(n).Deps) // no deps: always runs
		switch c.verdict(c.rule(n), up) {
		case verdictRun:
			todo = c.notCreated(todo, n)
		case verdictSkip:
			c.skip(n)
		}
	}
	return todo
}

type verdict int

const (
	verdictWait verdict = iota
	verdictRun
	verdictSkip
)

func (c *Controller) verdict(rule string, up upstream) verdict {
	if !up.terminal {
		return verdictWait
	}
	switch rule {
	case config.RuleAllDone:
		return verdictRun
	case config.RuleOneFailed:
		if up.anyFailed {
			return verdictRun
		}
		return verdictSkip
	}
	if up.succeeded {
		return verdictRun
	}
	return verdictSkip
}

func (c *Controller) rule(n int) string {
	if r := c.jobs[n].TriggerRule; r != "" {
		return r
	}
	return config.RuleAllSucceeded
}

func (c *Controller) orderedNodes(nodes []int) []int {
	out := append([]int(nil), nodes...)
	sort.Slice(out, func(a, b int) bool { return c.topoPos[out[a]] < c.topoPos[out[b]] })
	return out
}

func (c *Controller) notCreated(todo []*unit, n int) []*unit {
	for _, ui := range c.nodeUnits[n] {
		if u := c.units[ui]; u.state == unitNotCreated {
			todo = append(todo, u)
		}
	}
	return todo
}

func (c *Controller) skip(n int) {
	for _, ui := range c.nodeUnits[n] {
		if u := c.units[ui]; u.state == unitNotCreated {
			u.state = unitSkipped
			u.reason = "Skipped"
			u.message = c.skipMessage(n)
		}
	}
}

func (c *Controller) skipMessage(n int) string {
	switch {
	case c.deadline:
		return "the run's deadline passed before it could start"
	case c.failure != nil && c.model.Options.FailurePolicy == config.PolicyAbort:
		return "the run was aborted after a failure"
	case c.failure != nil && c.rule(n) == config.RuleAllSucceeded && c.model.Options.FailurePolicy != config.PolicyContinue:
		return "a Job of the run failed (failure_policy " + c.model.Options.FailurePolicy + ")"
	}
	return "trigger rule " + c.rule(n) + " not met by its upstream jobs"
}

// decideReverts: once the main DAG has failed, the revert Job of every
// succeeded job runs after the reverts of everything downstream of it (its
// dependents and, through the phase barrier, the whole next phase). settled
// is true when no revert is left to run or running.
func (c *Controller) decideReverts() (todo []*unit, settled bool) {
	if c.failure == nil || c.deadline {
		return nil, true
	}
	phases := c.graph.Phases()
	subtreeDone := make([]bool, len(c.nodeUnits))
	nextPhaseDone := true
	for pi := len(phases) - 1; pi >= 0; pi-- {
		p := phases[pi]
		if len(p.Nodes) > 0 && c.finally[p.Nodes[0]] {
			continue
		}
		nodes := c.orderedNodes(p.Nodes)
		phaseDone := true
		for i := len(nodes) - 1; i >= 0; i-- {
			n := nodes[i]
			down := nextPhaseDone
			for _, d := range c.graph.Node(n).Dependents {
				down = down && subtreeDone[d]
			}
			own := true
			if ri := c.revertUnit[n]; ri >= 0 && c.view(n).succeeded {
				r := c.units[ri]
				if r.state == unitNotCreated && down {
					todo = append(todo, r)
				}
				own = r.state == unitSucceeded || r.state == unitFailed
			}
			subtreeDone[n] = own && down
			phaseDone = phaseDone && subtreeDone[n]
		}
		nextPhaseDone = phaseDone
	}
	return todo, nextPhaseDone
}

// settled: nothing runs and nothing is left to decide.
func (c *Controller) settled() bool {
	if c.activeCount() > 0 {
		return false
	}
	for n := range c.nodeUnits {
		if !c.view(n).terminal {
			return false
		}
	}
	_, reverted := c.decideReverts()
	return reverted
}

// checkDeadline turns a passed run_timeout into the run's failure and
// schedules a sync for when it will pass.
func (c *Controller) checkDeadline() {
	d := c.model.Options.RunTimeout
	if d <= 0 || c.deadline {
		return
	}
	left := c.start.Add(d).Sub(c.now())
	if left > 0 {
		c.queue.AddAfter(c.runID, left)
		return
	}
	c.deadline = true
}

// abortActive deletes the run's running Jobs (abort policy, or a deadline
// under it); their pods go with them.
func (c *Controller) abortActive(ctx context.Context) error {
	var victims []*unit
	for _, u := range c.units {
		if u.state == unitActive && !u.aborting && !u.revert && !c.finally[u.node] {
			victims = append(victims, u)
		}
	}
	if len(victims) == 0 {
		return nil
	}
	for _, u := range victims {
		err := c.client.BatchV1().Jobs(c.ns).Delete(ctx, u.name, backgroundDelete(u.uid))
		if err != nil && !isGone(err) {
			return fmt.Errorf("abort: delete Job %s/%s: %w", c.ns, u.name, err)
		}
		u.aborting = true
	}
	return nil
}

var _ = time.Second
var _ = graph.Pending

// backgroundDelete deletes with propagationPolicy Background, so that a
// Job's pods go with it (the batch/v1 default orphans them), and, when uid
// is known, only the object of that UID: never a namesake created since.
func backgroundDelete(uid types.UID) metav1.DeleteOptions {
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	return opts
}

func isGone(err error) bool { return apierrors.IsNotFound(err) || apierrors.IsConflict(err) }
