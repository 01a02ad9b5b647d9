package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// Fingerprint identifies a model's content (jobs, edges and manifests), so
// that resuming a run with a different model is refused instead of mixing
// two DAGs under one run ID.
func Fingerprint(m *config.Model) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range m.Phases {
		_ = enc.Encode(p.Name)
		for _, j := range p.Jobs {
			_ = enc.Encode([]interface{}{j.Name, j.Type, j.DependsOn})
			if len(j.Env) > 0 { // absent before env existed: old fingerprints stay valid
				_ = enc.Encode(j.Env)
			}
			for _, mf := range j.Manifests {
				_ = enc.Encode(mf.RelPath)
				_ = enc.Encode(mf.Job)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StructureFingerprint identifies the DAG's shape only (phases, jobs, edges,
// manifest paths): a retry may run fixed manifests, not another DAG.
func StructureFingerprint(m *config.Model) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range m.Phases {
		_ = enc.Encode(p.Name)
		for _, j := range p.Jobs {
			_ = enc.Encode([]interface{}{j.Name, j.Type, j.DependsOn, j.TriggerRule})
			for _, mf := range j.Manifests {
				_ = enc.Encode(mf.RelPath)
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

// Prepare finds or creates the run's state ConfigMap. It is the first call to
// the cluster, so it is also where an unreachable or forbidden cluster shows.
// It returns the result of an already finished run, in which case Run must
// not be called: nothing more is to be done.
func (c *Controller) Prepare(ctx context.Context) (*Result, error) {
	logger := klog.FromContext(ctx)
	c.start = c.now()
	cms := c.client.CoreV1().ConfigMaps(c.ns)
	name := StateConfigMapName(c.runID)
	fp := Fingerprint(c.model)

	cm, err := cms.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		rec := &Record{
			Version: recordVersion, RunID: c.runID, Model: c.model.Path,
			ModelName: c.model.Options.JobName, Fingerprint: fp, Structure: StructureFingerprint(c.model),
			StartedAt: c.start.UnixMilli(), Result: ResultRunning, Jobs: map[string]*JobRecord{},
			Plan: c.plan(), Params: c.runParams(),
		}
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: c.ns,
			Labels:    map[string]string{LabelRun: c.runID, LabelManagedBy: ManagedBy},
		}}
		if c.opts.Owner != nil {
			cm.OwnerReferences = []metav1.OwnerReference{*c.opts.Owner}
		}
		if err := EncodeRecord(cm, rec); err != nil {
			return nil, err
		}
		created, err := cms.Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return c.Prepare(ctx) // another orchestrator raced us: read its record
		}
		if err != nil {
			return nil, clusterError("create run record", err)
		}
		logger.V(2).Info("Created run record", "configmap", klog.KObj(created))
		c.cm, c.rec = created, rec
	case err != nil:
		return nil, clusterError("read run record", err)
	default:
		rec, err := DecodeRecord(cm)
		if err != nil {
			return nil, err
		}
		failed := rec.Result == ResultFailed || rec.Result == ResultCancelled
		if rec.Result == ResultCancelled && !c.opts.RetryFailed {
			return nil, &CancelledError{RunID: c.runID, Message: rec.Message}
		}
		retry := failed && c.opts.RetryFailed
		switch {
		case rec.Fingerprint == fp:
		case retry && rec.Structure != "" && rec.Structure == StructureFingerprint(c.model):
			// A retry may run fixed manifests of the same DAG.
			rec.Fingerprint = fp
		default:
			return nil, &MismatchError{RunID: c.runID}
		}
		if err := checkParams(c.runID, rec.Params, c.runParams()); err != nil {
			return nil, err
		}
		c.cm, c.rec = cm, rec
		c.start = timeFromMillis(rec.StartedAt)
		c.attempt = max(rec.Attempt, 1)
		if retry {
			if err := c.retry(ctx); err != nil {
				return nil, err
			}
			logger.Info("Retrying the failed part of the run", "run", c.runID, "attempt", c.attempt)
		} else {
			c.setAttempts(c.attemptsFromPlan())
			c.restoreFromRecord()
			if rec.Result != ResultRunning {
				c.result = c.buildResult()
				return c.result, nil
			}
		}
		logger.Info("Resuming run", "run", c.runID, "recordedJobs", len(rec.Jobs))
	}
	c.ownLease(ctx)
	isController := true
	c.ownerRef = metav1.OwnerReference{
		APIVersion: "v1", Kind: "ConfigMap", Name: c.cm.Name, UID: c.cm.UID, Controller: &isController,
	}
	return nil, nil
}

func (c *Controller) plan() []PlanJob {
	out := make([]PlanJob, 0, len(c.nodeUnits))
	for _, j := range c.model.Jobs() {
		pj := PlanJob{Phase: j.Phase, Job: j.Name, DependsOn: j.DependsOn, Finally: j.Phase == c.model.Options.FinallyPhase && j.Phase != ""}
		if j.TriggerRule != config.RuleAllSucceeded {
			pj.TriggerRule = j.TriggerRule
		}
		for _, ui := range c.nodeUnits[j.Index] {
			pj.KubernetesJobs = append(pj.KubernetesJobs, c.units[ui].name)
		}
		if ri := c.revertUnit[j.Index]; ri >= 0 {
			pj.Revert = c.units[ri].name
		}
		out = append(out, pj)
	}
	return out
}

// restoreFromRecord marks recorded Jobs finished: after cleanup the record
// is the only memory of them.
func (c *Controller) restoreFromRecord() {
	for name, jr := range c.rec.Jobs {
		i, ok := c.byName[name]
		if !ok {
			continue
		}
		u := c.units[i]
		if jr.Result == JobCreated {
			u.createdRecorded = true // its Job should be in the cache
			if u.attempt < c.attempt {
				u.keptRunning, u.reported = true, unitActive
			}
			continue
		}
		u.recorded = true
		u.uid = typesUID(jr.UID)
		u.created = timeFromMillis(jr.CreatedAt)
		u.started = timeFromMillis(jr.StartedAt)
		u.finished = timeFromMillis(jr.FinishedAt)
		u.reason, u.message, u.pods = jr.Reason, jr.Message, jr.Pods
		switch jr.Result {
		case JobSucceeded:
			u.state = unitSucceeded
		case JobSkipped:
			u.state = unitSkipped
		default:
			u.state = unitFailed
		}
		u.reported = u.state // already reported by the run that saw it
	}
}

func clusterError(what string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrCluster, what, err) //nolint:errorlint // the cause is text on purpose: only ErrCluster is matched, apierrors.IsXxx must not see through it
}
