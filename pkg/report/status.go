// Package report is the read side of a run: its status from the cluster
// (record and Jobs), the list of runs, and the reports of a run that has
// ended (text summary, JSON RunReport, JUnit).
package report

import (
	"context"
	"encoding/json"
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

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Job states as status, the live view and the reports name them (defined
// once, in pkg/runmeta). Other states (a later controller may add some) are
// shown as they come.
const (
	StateWaiting   = runmeta.StateWaiting
	StateRunning   = runmeta.StateRunning
	StateQueued    = runmeta.StateQueued
	StateSucceeded = runmeta.StateSucceeded
	StateFailed    = runmeta.StateFailed
	StateSkipped   = runmeta.StateSkipped
	StateDeleted   = runmeta.StateDeleted
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
	JobInModel
	KubernetesJob string     `json:"kubernetesJob"`
	State         string     `json:"state"` // waiting, queued, running, succeeded, failed, skipped
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
	Pods    []record.PodFailure `json:"pods,omitempty"`
	Waiting string              `json:"waiting,omitempty"`
	// Results are the declared results its containers wrote (a JSON
	// object), once it succeeded and was recorded.
	Results json.RawMessage `json:"results,omitempty"`
}

// JobInModel is the model job a Kubernetes Job runs for, as the model
// places it. In JobStatus its fields stand in the status row itself.
type JobInModel struct {
	Phase     string   `json:"phase"`
	Job       string   `json:"job"`
	DependsOn []string `json:"dependsOn,omitempty"`
	// TriggerRule is set when it is not all_succeeded; Finally marks the
	// finally phase's jobs; Revert a compensating Job ("<job> (revert)").
	TriggerRule string `json:"triggerRule,omitempty"`
	Finally     bool   `json:"finally,omitempty"`
	Revert      bool   `json:"revert,omitempty"`
}

// GetRunStatus reads a run's record and Jobs: one LIST of the record's
// ConfigMaps (its head and segments), one LIST of its Jobs and, while the
// run goes on, one LIST of its pods (for why a Job waits).
func GetRunStatus(ctx context.Context, client kubernetes.Interface, ns, runID string, now time.Time) (*RunStatus, error) {
	run, err := record.Get(ctx, client, ns, runID)
	if err != nil {
		return nil, runmeta.RecordReadError(err)
	}
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: runID}).String()
	list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, runmeta.ClusterError("list Jobs", err)
	}
	jobs := make([]*batchv1.Job, len(list.Items))
	for i := range list.Items {
		jobs[i] = &list.Items[i]
	}
	st := RunStatusFrom(run, jobs, now)
	if st.Result != record.ResultRunning {
		return st, nil
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
		byJob[runmeta.PodJobName(&pods[i])] = append(byJob[runmeta.PodJobName(&pods[i])], &pods[i])
	}
	for i := range st.Jobs {
		js := &st.Jobs[i]
		switch {
		case js.State == StateRunning:
			for _, pod := range byJob[js.KubernetesJob] {
				if reason, msg := runmeta.PodWaiting(pod); reason != "" && now.Sub(pod.CreationTimestamp.Time) >= runmeta.PendingAfter {
					js.Waiting = reason + ": " + msg
				}
			}
		case js.State == StateFailed && js.Pods == nil:
			js.Pods = runmeta.PodFailures(byJob[js.KubernetesJob])
		}
	}
}

// RunStatusFrom builds a run's status from its record and the Jobs that
// carry its label (those it does not control are left out). With all nil
// the Jobs were not read: the record's word stands (a Job it says was
// created is running), as for the run's own output, which starts from the
// record it has just prepared.
func RunStatusFrom(rec *record.Stored, all []*batchv1.Job, now time.Time) *RunStatus {
	b := &statusBuilder{rec: rec.Record, jobs: map[string]*batchv1.Job{}, jobsRead: all != nil, now: now,
		planned: map[string]bool{}, phaseOf: map[string]int{}}
	for _, j := range all {
		if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.UID == rec.Meta.UID {
			b.jobs[j.Name] = j
		}
	}
	st := &RunStatus{
		APIVersion: StatusAPIVersion, Kind: "RunStatus", RunID: rec.RunID, Namespace: rec.Meta.Namespace,
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
	for _, pj := range rec.Plan {
		if _, ok := b.phaseOf[pj.Phase]; !ok {
			b.phaseOf[pj.Phase] = len(b.phaseOf)
		}
		names := pj.KubernetesJobs
		if len(names) == 0 {
			names = b.madeAtRunTime(pj.Job) // a matrix decided at run time
		}
		for _, name := range names {
			b.planned[name] = true
			js := JobStatus{JobInModel: JobInModel{Phase: pj.Phase, Job: pj.Job, DependsOn: pj.DependsOn, TriggerRule: pj.TriggerRule, Finally: pj.Finally},
				KubernetesJob: name}
			b.fill(&js)
			st.Jobs = append(st.Jobs, js)
		}
	}
	// Revert (compensating) Jobs are not in the plan: shown after it as
	// "<job> (revert)", in the order they run (last phase first); then the
	// Jobs of earlier attempts that a retry replaced.
	st.Jobs = append(st.Jobs, b.unplanned(true)...)
	st.Jobs = append(st.Jobs, b.unplanned(false)...)
	if st.Attempt == 1 {
		// Attempts are shown for retried runs only.
		st.Attempt, st.Attempts = 0, nil
		for i := range st.Jobs {
			st.Jobs[i].Attempt = 0
		}
	}
	return st
}

// statusBuilder joins a run's record and its Jobs into JobStatus rows.
type statusBuilder struct {
	rec      *record.Record
	jobs     map[string]*batchv1.Job // by name; only those the run controls
	jobsRead bool
	now      time.Time
	planned  map[string]bool
	phaseOf  map[string]int // phase name -> its position in the plan
}

func (b *statusBuilder) fill(js *JobStatus) {
	fillJobStatus(js, b.rec.Jobs[js.KubernetesJob], b.jobs[js.KubernetesJob], b.jobsRead, b.now)
}

// madeAtRunTime are the Jobs of a model job whose Jobs were not known when
// the plan was written (a matrix decided from results), from the record
// and the cluster, in name order.
func (b *statusBuilder) madeAtRunTime(job string) []string {
	seen := map[string]bool{}
	for name, jr := range b.rec.Jobs {
		if jr.Job == job && !jr.Revert {
			seen[name] = true
		}
	}
	for name, j := range b.jobs {
		if _, revert := j.Labels[runmeta.LabelRevert]; !revert && j.Labels[runmeta.LabelJob] == job {
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Slice(out, func(i, k int) bool { return matrixOrder(out[i], out[k]) })
	return out
}

// matrixOrder sorts Job names NAME-INDEX-HASH by index, others by name.
func matrixOrder(a, b string) bool {
	ia, oka := matrixIndex(a)
	ib, okb := matrixIndex(b)
	if oka && okb && ia != ib {
		return ia < ib
	}
	return a < b
}

func matrixIndex(name string) (int, bool) {
	parts := strings.Split(name, "-")
	if len(parts) < 3 {
		return 0, false
	}
	n, err := strconv.Atoi(parts[len(parts)-2])
	return n, err == nil
}

// unplanned are the Jobs outside the plan, from the record and the
// cluster: revert Jobs, or (revert false) the main Jobs of earlier
// attempts that the current attempt replaced (failed, skipped or deleted
// ones), so that every Job the run ever created is accounted for.
func (b *statusBuilder) unplanned(revert bool) []JobStatus {
	var out []JobStatus
	add := func(phase, job, name string) {
		js := JobStatus{JobInModel: JobInModel{Phase: phase, Job: job, Revert: revert}, KubernetesJob: name, Replaced: !revert}
		if revert {
			js.Job += " (revert)"
		}
		b.fill(&js)
		out = append(out, js)
	}
	for name, jr := range b.rec.Jobs {
		if jr.Revert == revert && !b.planned[name] {
			add(jr.Phase, jr.Job, name)
		}
	}
	for name, j := range b.jobs {
		if _, ok := j.Labels[runmeta.LabelRevert]; ok == revert && !b.planned[name] && b.rec.Jobs[name] == nil {
			add(j.Labels[runmeta.LabelPhase], j.Labels[runmeta.LabelJob], name)
		}
	}
	sort.Slice(out, func(i, k int) bool {
		if pi, pk := b.phaseOf[out[i].Phase], b.phaseOf[out[k].Phase]; pi != pk {
			return pi < pk != revert // reverts run in reverse order
		}
		if out[i].Attempt != out[k].Attempt {
			return out[i].Attempt < out[k].Attempt
		}
		return out[i].KubernetesJob < out[k].KubernetesJob
	})
	return out
}

// fillJobStatus sets a Job's state and times from its record (finished and
// recorded) or else from the Job itself; neither means it is waiting.
func fillJobStatus(js *JobStatus, jr *record.JobRecord, j *batchv1.Job, jobsRead bool, now time.Time) {
	if js.State == "" {
		js.State = StateWaiting
	}
	switch {
	case jr != nil && jr.Attempt > 0:
		js.Attempt = jr.Attempt
	case j != nil && j.Labels[runmeta.LabelAttempt] != "":
		js.Attempt, _ = strconv.Atoi(j.Labels[runmeta.LabelAttempt])
	case jr != nil || j != nil:
		js.Attempt = 1
	}
	if jr != nil && jr.Result == record.JobCreated {
		switch {
		case !jobsRead:
			js.State, js.CreatedAt = StateRunning, timePtr(jr.CreatedAt)
		case j == nil:
			js.State, js.CreatedAt = StateDeleted, timePtr(jr.CreatedAt)
			return
		}
		jr = nil // not final: the Job itself says more
	}
	switch {
	case jr != nil:
		js.CreatedAt, js.FinishedAt = timePtr(jr.CreatedAt), timePtr(jr.FinishedAt)
		js.Reason, js.Message, js.Pods = jr.Reason, jr.Message, jr.Pods
		js.Results = jr.Results
		js.State = recordedState(jr.Result)
	case j != nil:
		created := j.CreationTimestamp.Time
		js.CreatedAt = &created
		js.State = StateRunning
		if queued, reason, msg := runmeta.Queued(j); queued {
			js.State, js.Reason, js.Message = StateQueued, reason, msg
		}
		if c := runmeta.FinishedCondition(j); c != nil {
			t := runmeta.FinishTime(j, c).Time
			js.FinishedAt = &t
			js.Reason, js.Message = c.Reason, c.Message
			js.State = StateSucceeded
			if c.Type == batchv1.JobFailed {
				js.State = StateFailed
			}
		} else if j.DeletionTimestamp != nil {
			// Unfinished and being deleted (held by the run's finalizer
			// until the record knows it, or by someone's): not running.
			js.State = StateDeleted
		}
	}
	if js.CreatedAt != nil {
		end := now
		if js.FinishedAt != nil {
			end = *js.FinishedAt
		}
		js.DurationSeconds = runmeta.RoundDuration(end.Sub(*js.CreatedAt)).Seconds()
	}
}

// recordedState names a recorded result as status shows states: succeeded,
// failed, skipped; a result this version does not know, in lower case.
func recordedState(result string) string {
	switch result {
	case record.JobSucceeded:
		return StateSucceeded
	case record.JobFailed:
		return StateFailed
	case record.JobSkipped:
		return StateSkipped
	}
	return strings.ToLower(result)
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
	runs, err := record.List(ctx, client, ns)
	if apierrors.IsForbidden(err) {
		return nil, fmt.Errorf("%w: %w", errForbidden, runmeta.ClusterError("list run records", err))
	}
	if err != nil {
		return nil, runmeta.ClusterError("list run records", err)
	}
	out := make([]RunSummary, 0, len(runs))
	for _, rec := range runs {
		out = append(out, SummaryOf(&rec))
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
