package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// StatusAPIVersion versions the JSON of `jobernetes status -o json`: fields
// are only ever added under the same version.
const StatusAPIVersion = "jobernetes.io/v1alpha1"

// RunStatus is a run as the cluster alone knows it: its record and its Jobs.
type RunStatus struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	RunID      string      `json:"runID"`
	Namespace  string      `json:"namespace"`
	Model      string      `json:"model,omitempty"`
	Result     string      `json:"result"` // Running, Succeeded, Failed
	Message    string      `json:"message,omitempty"`
	StartedAt  *time.Time  `json:"startedAt,omitempty"`
	FinishedAt *time.Time  `json:"finishedAt,omitempty"`
	Jobs       []JobStatus `json:"jobs"`
}

// JobStatus is one Kubernetes Job of the run (a directory job has several).
type JobStatus struct {
	Phase     string   `json:"phase"`
	Job       string   `json:"job"`
	DependsOn []string `json:"dependsOn,omitempty"`
	// TriggerRule is set when it is not all_succeeded; Finally marks the
	// finally phase's jobs; Revert a compensating Job ("<job> (revert)").
	TriggerRule   string     `json:"triggerRule,omitempty"`
	Finally       bool       `json:"finally,omitempty"`
	Revert        bool       `json:"revert,omitempty"`
	KubernetesJob string     `json:"kubernetesJob"`
	State         string     `json:"state"` // waiting, running, succeeded, failed, skipped
	CreatedAt     *time.Time `json:"createdAt,omitempty"`
	FinishedAt    *time.Time `json:"finishedAt,omitempty"`
	// DurationSeconds is created -> finished, or -> now while running.
	DurationSeconds float64 `json:"durationSeconds,omitempty"`
	Reason          string  `json:"reason,omitempty"`
	Message         string  `json:"message,omitempty"`
}

// GetRunStatus reads a run's record and Jobs: one GET and one LIST.
func GetRunStatus(ctx context.Context, client kubernetes.Interface, ns, runID string, now time.Time) (*RunStatus, error) {
	cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, StateConfigMapName(runID), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &RunNotFoundError{RunID: runID, Namespace: ns}
	}
	if err != nil {
		return nil, clusterError("read run record", err)
	}
	rec, err := DecodeRecord(cm)
	if err != nil {
		return nil, err
	}
	sel := labels.SelectorFromSet(labels.Set{LabelRun: runID}).String()
	list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, clusterError("list Jobs", err)
	}
	jobs := map[string]*batchv1.Job{}
	for i := range list.Items {
		j := &list.Items[i]
		if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.UID == cm.UID {
			jobs[j.Name] = j
		}
	}
	st := &RunStatus{
		APIVersion: StatusAPIVersion, Kind: "RunStatus", RunID: runID, Namespace: ns,
		Model: rec.Model, Result: rec.Result, Message: rec.Message,
		StartedAt: timePtr(rec.StartedAt), FinishedAt: timePtr(rec.FinishedAt),
	}
	planned := map[string]bool{}
	phaseOf := map[string]int{}
	for _, pj := range rec.Plan {
		if _, ok := phaseOf[pj.Phase]; !ok {
			phaseOf[pj.Phase] = len(phaseOf)
		}
		for _, name := range pj.KubernetesJobs {
			planned[name] = true
			js := JobStatus{Phase: pj.Phase, Job: pj.Job, DependsOn: pj.DependsOn, TriggerRule: pj.TriggerRule, Finally: pj.Finally,
				KubernetesJob: name, State: "waiting"}
			fillJobStatus(&js, rec.Jobs[name], jobs[name], now)
			st.Jobs = append(st.Jobs, js)
		}
	}
	// Revert (compensating) Jobs are not in the plan: shown after it, from
	// the record and the cluster, as "<job> (revert)".
	var reverts []JobStatus
	for name, jr := range rec.Jobs {
		if jr.Revert && !planned[name] {
			js := JobStatus{Phase: jr.Phase, Job: jr.Job + " (revert)", Revert: true, KubernetesJob: name}
			fillJobStatus(&js, jr, nil, now)
			reverts = append(reverts, js)
		}
	}
	for name, j := range jobs {
		if _, ok := j.Labels[LabelRevert]; ok && !planned[name] && rec.Jobs[name] == nil {
			js := JobStatus{Phase: j.Labels[LabelPhase], Job: j.Labels[LabelJob] + " (revert)", Revert: true, KubernetesJob: name}
			fillJobStatus(&js, nil, j, now)
			reverts = append(reverts, js)
		}
	}
	sort.Slice(reverts, func(a, b int) bool {
		pa, pb := phaseOf[reverts[a].Phase], phaseOf[reverts[b].Phase]
		if pa != pb {
			return pa > pb // reverts run in reverse order
		}
		return reverts[a].KubernetesJob < reverts[b].KubernetesJob
	})
	st.Jobs = append(st.Jobs, reverts...)
	return st, nil
}

// fillJobStatus sets a Job's state and times from its record (finished and
// recorded) or else from the Job itself; neither means it is waiting.
func fillJobStatus(js *JobStatus, jr *JobRecord, j *batchv1.Job, now time.Time) {
	if js.State == "" {
		js.State = "waiting"
	}
	if jr != nil && jr.Result == JobCreated {
		if j == nil {
			js.State = "deleted"
			js.CreatedAt = timePtr(jr.CreatedAt)
			return
		}
		jr = nil // not final: the Job itself says more
	}
	if jr != nil {
		js.CreatedAt, js.FinishedAt = timePtr(jr.CreatedAt), timePtr(jr.FinishedAt)
		js.Reason, js.Message = jr.Reason, jr.Message
		js.State = recordedState(jr.Result)
	} else if j != nil {
		created := j.CreationTimestamp.Time
		js.CreatedAt = &created
		js.State = "running"
		if c := finishedCondition(j); c != nil {
			t := finishTime(j, c).Time
			js.FinishedAt = &t
			js.Reason, js.Message = c.Reason, c.Message
			js.State = "succeeded"
			if c.Type == batchv1.JobFailed {
				js.State = "failed"
			}
		}
	}
	if js.CreatedAt != nil {
		end := now
		if js.FinishedAt != nil {
			end = *js.FinishedAt
		}
		js.DurationSeconds = roundDur(end.Sub(*js.CreatedAt)).Seconds()
	}
}

// recordedState names a recorded result as status shows states: succeeded,
// failed, skipped; a result this version does not know, in lower case.
func recordedState(result string) string {
	switch result {
	case JobSucceeded:
		return "succeeded"
	case JobFailed:
		return "failed"
	case JobSkipped:
		return "skipped"
	}
	return strings.ToLower(result)
}

// RunNotFoundError: the namespace holds no record of the run.
type RunNotFoundError struct{ RunID, Namespace string }

func (e *RunNotFoundError) Error() string {
	return fmt.Sprintf("no run %q in namespace %q", e.RunID, e.Namespace)
}

// RunSummary is one line of `jobernetes status` without a run ID.
type RunSummary struct {
	RunID      string     `json:"runID"`
	Model      string     `json:"model,omitempty"`
	Result     string     `json:"result"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Jobs       int        `json:"jobs"`
	Finished   int        `json:"finishedJobs"`
}

// ListRuns lists the runs recorded in a namespace, newest first.
func ListRuns(ctx context.Context, client kubernetes.Interface, ns string) ([]RunSummary, error) {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy}).String()
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, clusterError("list run records", err)
	}
	var out []RunSummary
	for i := range list.Items {
		rec, err := DecodeRecord(&list.Items[i])
		if err != nil {
			continue
		}
		n := 0
		for _, pj := range rec.Plan {
			n += len(pj.KubernetesJobs)
		}
		out = append(out, RunSummary{RunID: rec.RunID, Model: rec.Model, Result: rec.Result,
			StartedAt: timePtr(rec.StartedAt), FinishedAt: timePtr(rec.FinishedAt), Jobs: n, Finished: finishedJobs(rec)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].StartedAt == nil || out[j].StartedAt == nil {
			return out[i].RunID > out[j].RunID
		}
		return out[i].StartedAt.After(*out[j].StartedAt)
	})
	return out, nil
}

func timePtr(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

// finishedJobs counts the record's final entries (not JobCreated ones).
func finishedJobs(rec *Record) int {
	n := 0
	for _, jr := range rec.Jobs {
		if jr.Result != JobCreated {
			n++
		}
	}
	return n
}
