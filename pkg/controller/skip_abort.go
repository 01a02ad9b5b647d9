package controller

// What a decision's skips and aborts do to the run's units, and the run's
// deadline; the decision itself is graph.Decide, asked by sync.go.

import (
	"context"
	"fmt"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
)

// skip marks the units not created of the skipped nodes: they never run.
func (c *Controller) skip(skips []graph.Skip) {
	for _, s := range skips {
		msg := c.skipMessage(s)
		if c.nodes[s.Node].unexpanded { // a matrix never decided: one unit says so
			c.flow.decided[s.Node] = true
			c.verdict(s.Node, unitSkipped, "Skipped", msg)
			continue
		}
		for _, u := range c.nodes[s.Node].units {
			if u.state == unitNotCreated {
				c.setState(u, unitSkipped)
				u.reason = "Skipped"
				u.message = msg
			}
		}
	}
}

func (c *Controller) skipMessage(s graph.Skip) string {
	switch s.Why {
	case graph.SkipDeadline:
		return "the run's deadline passed before it could start"
	case graph.SkipAborted:
		return "the run was aborted after a failure"
	case graph.SkipFailurePolicy:
		return "a Job of the run failed (failure_policy " + c.model.Options.FailurePolicy + ")"
	}
	return "trigger rule " + c.rule(s.Node) + " not met by its upstream jobs"
}

func (c *Controller) rule(n int) string {
	if r := c.nodes[n].job.TriggerRule; r != "" {
		return r
	}
	return config.RuleAllSucceeded
}

// abort deletes the running Jobs of the nodes Decide aborts (failure_policy
// abort, also at the deadline); their pods go with them. Reverts and the
// finally phase are never among them.
func (c *Controller) abort(ctx context.Context, nodes []int) error {
	for _, n := range nodes {
		for _, u := range c.nodes[n].units {
			if u.state != unitActive || u.deleteIssued.abort {
				continue
			}
			err := c.client.BatchV1().Jobs(c.ns).Delete(ctx, u.name, backgroundDelete(u.uid))
			if err != nil && !isGone(err) {
				return fmt.Errorf("abort: delete Job %s/%s: %w", c.ns, u.name, err)
			}
			u.deleteIssued.abort = true
		}
	}
	return nil
}

// checkDeadline turns a passed run_timeout into the run's failure and
// schedules a sync for when it will pass.
func (c *Controller) checkDeadline() {
	d := c.model.Options.RunTimeout
	if d <= 0 || c.end.deadline {
		return
	}
	left := c.start.Add(d).Sub(c.now())
	if left > 0 {
		c.queue.AddAfter(c.runID, left)
		return
	}
	c.end.deadline = true
}
