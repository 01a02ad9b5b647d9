package controller

import (
	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
)

// What the run writes into its record and reads back on a resume: the
// plan, and one JobRecord per finished (or created) unit.

// jobRecord is what the record keeps of u.
func (c *Controller) jobRecord(u *unit) *record.JobRecord {
	jr := &record.JobRecord{
		Job: u.job.Name, Phase: u.job.Phase, UID: string(u.uid),
		CreatedAt: millis(u.created), StartedAt: millis(u.started), FinishedAt: millis(u.finished),
		Result: record.JobSucceeded, Revert: u.revert, Reason: u.reason, Message: u.message, Pods: u.pods,
	}
	if u.state == unitSucceeded {
		jr.Results = c.recordResults(u)
	}
	if u.attempt > 1 {
		jr.Attempt = int(u.attempt)
	}
	switch u.state {
	case unitFailed:
		jr.Result = record.JobFailed
	case unitSkipped:
		jr.Result = record.JobSkipped
	case unitActive:
		jr.Result = record.JobCreated
	}
	return jr
}

func (c *Controller) plan() []record.PlanJob {
	out := make([]record.PlanJob, 0, len(c.nodes))
	for _, j := range c.model.Jobs() {
		pj := record.PlanJob{Phase: j.Phase, Job: j.Name, DependsOn: j.DependsOn, Finally: j.Phase == c.model.Options.FinallyPhase && j.Phase != ""}
		if j.TriggerRule != config.RuleAllSucceeded {
			pj.TriggerRule = j.TriggerRule
		}
		for _, u := range c.nodes[j.Index].units {
			pj.KubernetesJobs = append(pj.KubernetesJobs, u.name)
		}
		if r := c.nodes[j.Index].revert; r != nil {
			pj.Revert = r.name
		}
		out = append(out, pj)
	}
	return out
}

// restoreFromRecord marks recorded Jobs finished: after cleanup the record
// is the only memory of them.
func (c *Controller) restoreFromRecord() {
	for name, jr := range c.rec().Jobs {
		i, ok := c.byName[name]
		if !ok {
			continue
		}
		c.restoreUnit(c.units[i], jr)
	}
}

// restoreUnit applies u's record entry.
func (c *Controller) restoreUnit(u *unit, jr *record.JobRecord) {
	if jr.Result == record.JobCreated {
		u.inRecord.created = true // its Job should be in the cache
		u.uid = typesUID(jr.UID)
		if int(u.attempt) < c.attempt {
			u.keptRunning, u.said.state = true, unitActive
		}
		return
	}
	u.inRecord.final = true
	u.uid = typesUID(jr.UID)
	u.created = timeFromMillis(jr.CreatedAt)
	u.started = timeFromMillis(jr.StartedAt)
	u.finished = timeFromMillis(jr.FinishedAt)
	u.reason, u.message, u.pods = jr.Reason, jr.Message, jr.Pods
	c.restoreResults(u, jr)
	switch jr.Result {
	case record.JobSucceeded:
		c.setState(u, unitSucceeded)
	case record.JobSkipped:
		c.setState(u, unitSkipped)
	default:
		c.setState(u, unitFailed)
	}
	u.said.state = u.state // already reported by the run that saw it
}

// rec is the run record as last read or written; nil before Prepare (and
// in a dry run, which has no store).
func (c *Controller) rec() *record.Record {
	if c.store == nil {
		return nil
	}
	return c.store.Record()
}

// Record is the run's record as Prepare left it, with the metadata of the
// object that holds it: what the output starts from, without reading it
// back from the cluster. The store keeps no plan it has written: this run
// wrote it from its units, and builds it again.
func (c *Controller) Record() *record.Stored {
	rec := c.rec()
	if rec != nil && rec.Plan == nil {
		withPlan := *rec
		withPlan.Plan = c.plan()
		rec = &withPlan
	}
	return &record.Stored{Meta: c.store.Meta(), Record: rec}
}
