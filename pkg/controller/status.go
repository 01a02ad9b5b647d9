package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
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
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	RunID      string     `json:"runID"`
	Namespace  string     `json:"namespace"`
	Model      string     `json:"model,omitempty"`
	Result     string     `json:"result"` // Running, Succeeded, Failed, Cancelled
	Message    string     `json:"message,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Params are the run's parameters (jobernetes_config env, run -e).
	Params map[string]string `json:"params,omitempty"`
	Jobs   []JobStatus       `json:"jobs"`
	// Attempt is the run's attempt (1, then +1 per --retry-failed);
	// startedAt, finishedAt, result and message above are its own.
	// Attempts lists every attempt, this one last. All attempt fields
	// are set on retried runs only.
	Attempt  int             `json:"attempt,omitempty"`
	Attempts []AttemptStatus `json:"attempts,omitempty"`
}

// AttemptStatus is one attempt of a run.
type AttemptStatus struct {
	Attempt    int        `json:"attempt"`
	Result     string     `json:"result"`
	Message    string     `json:"message,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
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
	// Attempt is the attempt that created the Job (absent while waiting):
	// less than the run's for a Job a retry kept, or one of an earlier
	// attempt that the retry ran again (listed after the plan).
	Attempt int `json:"attempt,omitempty"`
	// Replaced: a Job of an earlier attempt that a retry ran again under a
	// new name; it is listed, but not counted among the run's Jobs.
	Replaced bool `json:"replaced,omitempty"`
	// Pods: for a failed Job, why its pods failed. Waiting: for a running
	// Job, why its pod has not started (Unschedulable, ImagePullBackOff...).
	Pods    []PodFailure `json:"pods,omitempty"`
	Waiting string       `json:"waiting,omitempty"`
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
	sel := labels.SelectorFromSet(labels.Set{LabelRun: runID}).String()
	list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, clusterError("list Jobs", err)
	}
	jobs := make([]*batchv1.Job, len(list.Items))
	for i := range list.Items {
		jobs[i] = &list.Items[i]
	}
	st, err := RunStatusFrom(cm, jobs, now)
	if err != nil || st.Result != ResultRunning {
		return st, err
	}
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return st, nil // pods are a bonus: a user who may not list them still sees the run
	}
	addPodDiagnosis(st, pods.Items, now)
	return st, nil
}

// addPodDiagnosis tells, for a running run, why its running Jobs' pods
// wait and why its failed Jobs not yet recorded failed.
func addPodDiagnosis(st *RunStatus, pods []corev1.Pod, now time.Time) {
	byJob := map[string][]*corev1.Pod{}
	for i := range pods {
		byJob[PodJobName(&pods[i])] = append(byJob[PodJobName(&pods[i])], &pods[i])
	}
	for i := range st.Jobs {
		js := &st.Jobs[i]
		switch {
		case js.State == "running":
			for _, pod := range byJob[js.KubernetesJob] {
				if reason, msg := PodWaiting(pod); reason != "" && now.Sub(pod.CreationTimestamp.Time) >= pendingAfter {
					js.Waiting = reason + ": " + msg
				}
			}
		case js.State == "failed" && js.Pods == nil:
			js.Pods = PodFailures(byJob[js.KubernetesJob])
		}
	}
}

// RunStatusFrom builds a run's status from its record ConfigMap and the
// Jobs that carry its label (those it does not control are left out).
func RunStatusFrom(cm *corev1.ConfigMap, all []*batchv1.Job, now time.Time) (*RunStatus, error) {
	rec, err := DecodeRecord(cm)
	if err != nil {
		return nil, err
	}
	runID, ns := rec.RunID, cm.Namespace
	if runID == "" {
		runID = strings.TrimPrefix(cm.Name, stateConfigMapPrefix)
	}
	jobs := map[string]*batchv1.Job{}
	for _, j := range all {
		if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.UID == cm.UID {
			jobs[j.Name] = j
		}
	}
	st := &RunStatus{
		APIVersion: StatusAPIVersion, Kind: "RunStatus", RunID: runID, Namespace: ns,
		Model: rec.Model, Result: rec.Result, Message: rec.Message,
		StartedAt: timePtr(rec.StartedAt), FinishedAt: timePtr(rec.FinishedAt), Params: rec.Params,
		Attempt: max(rec.Attempt, 1),
	}
	for _, a := range rec.Attempts {
		st.Attempts = append(st.Attempts, AttemptStatus{Attempt: a.Attempt, Result: a.Result, Message: a.Message,
			StartedAt: timePtr(a.StartedAt), FinishedAt: timePtr(a.FinishedAt)})
	}
	st.Attempts = append(st.Attempts, AttemptStatus{Attempt: st.Attempt, Result: rec.Result, Message: rec.Message,
		StartedAt: st.StartedAt, FinishedAt: st.FinishedAt})
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
	st.Jobs = append(st.Jobs, earlierAttempts(rec, jobs, planned, phaseOf, now)...)
	if st.Attempt == 1 {
		// Attempts are shown for retried runs only.
		st.Attempt, st.Attempts = 0, nil
		for i := range st.Jobs {
			st.Jobs[i].Attempt = 0
		}
	}
	return st, nil
}

// earlierAttempts are the main Jobs of earlier attempts that the current
// attempt replaced (failed, skipped or deleted ones): every Job the run
// ever created is accounted for.
func earlierAttempts(rec *Record, jobs map[string]*batchv1.Job, planned map[string]bool, phaseOf map[string]int, now time.Time) []JobStatus {
	var out []JobStatus
	for name, jr := range rec.Jobs {
		if !jr.Revert && !planned[name] {
			js := JobStatus{Phase: jr.Phase, Job: jr.Job, KubernetesJob: name, Replaced: true}
			fillJobStatus(&js, jr, jobs[name], now)
			out = append(out, js)
		}
	}
	for name, j := range jobs {
		if _, ok := j.Labels[LabelRevert]; !ok && !planned[name] && rec.Jobs[name] == nil {
			js := JobStatus{Phase: j.Labels[LabelPhase], Job: j.Labels[LabelJob], KubernetesJob: name, Replaced: true}
			fillJobStatus(&js, nil, j, now)
			out = append(out, js)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if pa, pb := phaseOf[out[a].Phase], phaseOf[out[b].Phase]; pa != pb {
			return pa < pb
		}
		if out[a].Attempt != out[b].Attempt {
			return out[a].Attempt < out[b].Attempt
		}
		return out[a].KubernetesJob < out[b].KubernetesJob
	})
	return out
}

// fillJobStatus sets a Job's state and times from its record (finished and
// recorded) or else from the Job itself; neither means it is waiting.
func fillJobStatus(js *JobStatus, jr *JobRecord, j *batchv1.Job, now time.Time) {
	if js.State == "" {
		js.State = "waiting"
	}
	switch {
	case jr != nil && jr.Attempt > 0:
		js.Attempt = jr.Attempt
	case j != nil && j.Labels[LabelAttempt] != "":
		js.Attempt, _ = strconv.Atoi(j.Labels[LabelAttempt])
	case jr != nil || j != nil:
		js.Attempt = 1
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
		js.Reason, js.Message, js.Pods = jr.Reason, jr.Message, jr.Pods
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

// RunNotFoundError says the namespace holds no record of the run.
type RunNotFoundError struct{ RunID, Namespace string }

func (e *RunNotFoundError) Error() string {
	return fmt.Sprintf("no run %q in namespace %q", e.RunID, e.Namespace)
}

// RunSummary is one line of `jobernetes status` without a run ID.
type RunSummary struct {
	Namespace  string     `json:"namespace,omitempty"` // set by ListAllRuns
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
	runs, err := listRuns(ctx, client, ns)
	for i := range runs {
		runs[i].Namespace = "" // the list's own
	}
	return runs, err
}

// ListAllRuns lists the runs of every namespace the user may list run
// records in, newest first: one cluster-wide LIST when allowed, else one
// LIST per namespace (namespaces the user may not read are left out).
func ListAllRuns(ctx context.Context, client kubernetes.Interface) ([]RunSummary, error) {
	out, err := listRuns(ctx, client, metav1.NamespaceAll)
	if err == nil || !errors.Is(err, errForbidden) {
		return out, err
	}
	nss, nerr := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if nerr != nil {
		return nil, err // neither: report the first refusal
	}
	out = nil
	for _, ns := range nss.Items {
		runs, err := listRuns(ctx, client, ns.Name)
		if errors.Is(err, errForbidden) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, runs...)
	}
	sortRuns(out)
	return out, nil
}

var errForbidden = errors.New("forbidden")

func listRuns(ctx context.Context, client kubernetes.Interface, ns string) ([]RunSummary, error) {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy}).String()
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if apierrors.IsForbidden(err) {
		return nil, fmt.Errorf("%w: %w", errForbidden, clusterError("list run records", err))
	}
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
		out = append(out, RunSummary{Namespace: list.Items[i].Namespace, RunID: rec.RunID, Model: rec.Model, Result: rec.Result,
			StartedAt: timePtr(rec.StartedAt), FinishedAt: timePtr(rec.FinishedAt), Jobs: n, Finished: finishedJobs(rec)})
	}
	sortRuns(out)
	return out, nil
}

func sortRuns(out []RunSummary) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].StartedAt == nil || out[j].StartedAt == nil {
			return out[i].RunID > out[j].RunID
		}
		return out[i].StartedAt.After(*out[j].StartedAt)
	})
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
