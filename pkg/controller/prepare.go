package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Fingerprint identifies a model's content (jobs, edges and manifests), so
// that resuming a run with a different model is refused instead of mixing
// two DAGs under one run ID.
func Fingerprint(m *config.Model) string {
	return hashJobs(m, func(j *config.Job) []any {
		out := []any{[]any{j.Name, j.Type, j.DependsOn}}
		if len(j.Env) > 0 { // absent before env existed: old fingerprints stay valid
			out = append(out, j.Env)
		}
		for _, mf := range j.Manifests {
			out = append(out, mf.RelPath, mf.Job)
		}
		return out
	})
}

// StructureFingerprint identifies the DAG's shape only (phases, jobs, edges,
// manifest paths): a retry may run fixed manifests, not another DAG.
func StructureFingerprint(m *config.Model) string {
	return hashJobs(m, func(j *config.Job) []any {
		out := []any{[]any{j.Name, j.Type, j.DependsOn, j.TriggerRule}}
		for _, mf := range j.Manifests {
			out = append(out, mf.RelPath)
		}
		return out
	})
}

// hashJobs hashes, phase by phase, the phase's name and the values job
// gives for each of its jobs, one JSON document each: recorded
// fingerprints depend on these exact bytes.
func hashJobs(m *config.Model, job func(*config.Job) []any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range m.Phases {
		_ = enc.Encode(p.Name)
		for _, j := range p.Jobs {
			for _, v := range job(j) {
				_ = enc.Encode(v)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MismatchError says a run ID is already used by a different model.
type MismatchError struct{ RunID string }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("run %q was started with a different model (jobs or manifests changed); start a new run without --run-id, or restore the model it ran with", e.RunID)
}

// Prepare finds or creates the run's record. It is the first call to the
// cluster, so it is also where an unreachable or forbidden cluster shows.
// It returns the result of an already finished run, in which case Run must
// not be called: nothing more is to be done.
func (c *Controller) Prepare(ctx context.Context) (*Result, error) {
	c.start = c.now()
	rec, err := c.store.Load(ctx)
	switch {
	case errors.Is(err, record.ErrNotFound):
		if err := c.createRecord(ctx); errors.Is(err, record.ErrExists) {
			return c.Prepare(ctx) // another orchestrator raced us: read its record
		} else if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, runmeta.RecordReadError(err)
	default:
		if res, err := c.resume(ctx, rec); res != nil || err != nil {
			return res, err
		}
	}
	c.ownLease(ctx)
	isController := true
	meta := c.store.Meta()
	c.jobTmpl.ownerRef = metav1.OwnerReference{
		APIVersion: "v1", Kind: "ConfigMap", Name: meta.Name, UID: meta.UID, Controller: &isController,
	}
	return nil, nil
}

func (c *Controller) createRecord(ctx context.Context) error {
	rec := &record.Record{
		Version: record.CurrentVersion, RunID: c.runID, Model: c.model.Path,
		ModelName: c.model.Options.JobName, Fingerprint: Fingerprint(c.model), Structure: StructureFingerprint(c.model),
		StartedAt: c.start.UnixMilli(), Result: record.ResultRunning, Jobs: map[string]*record.JobRecord{},
		Plan: c.plan(), Params: c.runParams(),
	}
	if err := c.store.Create(ctx, rec); err != nil {
		if errors.Is(err, record.ErrExists) {
			return err
		}
		return runmeta.ClusterError("create run record", err)
	}
	klog.FromContext(ctx).V(2).Info("Created run record", "configmap", klog.KRef(c.ns, c.store.Meta().Name))
	return nil
}

// resume takes over a recorded run: it checks the model and parameters
// against the record, then restores what the record knows, or starts the
// next attempt of a failed run (--retry-failed).
func (c *Controller) resume(ctx context.Context, rec *record.Record) (*Result, error) {
	logger := klog.FromContext(ctx)
	if rec.Result == record.ResultCancelled && !c.opts.RetryFailed {
		return nil, &CancelledError{RunID: c.runID, Message: rec.Message}
	}
	failed := rec.Result == record.ResultFailed || rec.Result == record.ResultCancelled
	retry := failed && c.opts.RetryFailed
	fp := Fingerprint(c.model)
	switch {
	case rec.Fingerprint == fp:
	case retry && rec.Structure != "" && rec.Structure == StructureFingerprint(c.model):
		// A retry may run fixed manifests of the same DAG (retry records
		// their fingerprint).
	default:
		return nil, &MismatchError{RunID: c.runID}
	}
	if err := checkParams(c.runID, rec.Params, c.runParams()); err != nil {
		return nil, err
	}
	c.start = timeFromMillis(rec.StartedAt)
	c.attempt = max(rec.Attempt, 1)
	if retry {
		if err := c.retry(ctx); err != nil {
			return nil, err
		}
		logger.Info("Retrying the failed part of the run", "run", c.runID, "attempt", c.attempt)
	} else {
		if len(rec.Plan) == 0 && c.attempt == 1 && rec.Result == record.ResultRunning {
			// Killed between the record's create and its plan's write (the
			// plan follows in segments): attempt 1's names are the model's.
			if err := c.store.Update(ctx, record.Change{Plan: c.plan()}); err != nil {
				return nil, runmeta.ClusterError("write the run's plan", err)
			}
		}
		c.setAttempts(c.attemptsFromPlan())
		c.restoreFromRecord()
		if rec.Result != record.ResultRunning {
			c.end.result = c.buildResult()
			return c.end.result, nil
		}
	}
	logger.Info("Resuming run", "run", c.runID, "recordedJobs", len(rec.Jobs))
	return nil, nil
}
