package report

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// RunReport is what `jobernetes run -o json` prints on stdout when the run
// has ended (exit 0 or 1): a stable schema for CI systems and scripts.
// Fields are only ever added under the same apiVersion.
type RunReport struct {
	APIVersion string `json:"apiVersion"` // jobernetes.io/v1alpha1
	Kind       string `json:"kind"`       // RunReport
	RunID      string `json:"runID"`
	Namespace  string `json:"namespace"`
	Model      string `json:"model,omitempty"` // the model file, as given to -f
	// Result is Succeeded, Failed or Cancelled.
	Result string `json:"result"`
	RunTimes
	// Failure is the first failed Job in DAG order; absent when the run
	// succeeded. When the run failed for another reason than a Job (a
	// deadline), only its reason and message are set.
	Failure *JobReport `json:"failure,omitempty"`
	// NeverRan are the model jobs none of whose Jobs was created.
	NeverRan []string `json:"neverRan"`
	// Skipped are the model jobs decided never to run (a trigger rule, the
	// failure policy, a deadline); FailedReverts the jobs whose revert
	// (compensating) Job failed.
	Skipped       []string `json:"skipped"`
	FailedReverts []string `json:"failedReverts"`
	// Jobs holds every Kubernetes Job of the model, in DAG order.
	Jobs []JobReport `json:"jobs"`
	// Attempt is the run's attempt (1, then +1 per --retry-failed); the
	// report's times span this attempt.
	Attempt int `json:"attempt"`
}

// JobReport is one Kubernetes Job of the run. (More than 15 fields: the
// JSON report's shape, kept flat for its readers.)
type JobReport struct {
	Phase         string `json:"phase"`
	Job           string `json:"job"` // the model job
	KubernetesJob string `json:"kubernetesJob"`
	// State is waiting (never created), queued, running, succeeded,
	// failed or skipped; later versions may add states.
	State      string     `json:"state"`
	CreatedAt  *time.Time `json:"createdAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	JobSeconds
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Attempt created the Job: less than the run's when a retry kept it
	// (succeeded, or still running when the retry began: keptRunning).
	Attempt     int  `json:"attempt"`
	KeptRunning bool `json:"keptRunning,omitempty"`
	// Pods: for a failed Job, why its pods failed (pod, container, exit
	// code, reason, termination message), oldest first, at most 3.
	Pods []record.PodFailure `json:"pods,omitempty"`
	// Results: the declared results it wrote (docs/dataflow.md).
	Results json.RawMessage `json:"results,omitempty"`
}

// JobSeconds are where a Job's time went. In JobReport its fields stand
// in the report itself, in this order.
type JobSeconds struct {
	// WaitSeconds is run start -> created, RunSeconds created -> finished,
	// TotalSeconds run start -> finished (0 when unknown).
	WaitSeconds  float64 `json:"waitSeconds"`
	RunSeconds   float64 `json:"runSeconds"`
	TotalSeconds float64 `json:"totalSeconds"`
	// QueuedSeconds and RunningSeconds split RunSeconds for a Job of a
	// queue (Kueue): created -> admitted (its startTime), then -> finished.
	QueuedSeconds  float64 `json:"queuedSeconds,omitempty"`
	RunningSeconds float64 `json:"runningSeconds,omitempty"`
}

// RunTimes are when a run ran and where its time went. In RunReport its
// fields stand in the report itself, in this order.
type RunTimes struct {
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// WallSeconds is startedAt -> finishedAt; SummedJobSeconds adds up every
	// Job's run time; Parallelism is their ratio.
	WallSeconds      float64 `json:"wallSeconds"`
	SummedJobSeconds float64 `json:"summedJobSeconds"`
	Parallelism      float64 `json:"parallelism"`
	// CriticalPath is the chain of model jobs with the longest summed run
	// time, CriticalPathSeconds that time.
	CriticalPath        []string `json:"criticalPath"`
	CriticalPathSeconds float64  `json:"criticalPathSeconds"`
}

// NewRunReport is the report of a run that has ended.
func NewRunReport(res *runmeta.Result, model string) *RunReport {
	r := &RunReport{
		APIVersion: StatusAPIVersion, Kind: "RunReport",
		RunID: res.RunID, Namespace: res.Namespace, Model: model,
		Result: record.ResultFailed,
		RunTimes: RunTimes{
			StartedAt: res.Started.UTC().Truncate(time.Millisecond), FinishedAt: res.Finished.UTC().Truncate(time.Millisecond),
			SummedJobSeconds:    seconds(res.SummedTime),
			CriticalPath:        append([]string{}, res.CriticalPath...),
			CriticalPathSeconds: seconds(res.CriticalTime),
		},
		NeverRan:      append([]string{}, res.NeverRan...),
		Skipped:       append([]string{}, res.Skipped...),
		FailedReverts: append([]string{}, res.FailedReverts...),
		Jobs:          make([]JobReport, 0, len(res.Jobs)),
		Attempt:       max(res.Attempt, 1),
	}
	if res.Succeeded {
		r.Result = record.ResultSucceeded
	} else if res.Cancelled {
		r.Result = record.ResultCancelled
	}
	if wall := res.Finished.Sub(res.Started); wall > 0 {
		r.WallSeconds = seconds(wall)
		r.Parallelism = math.Round(float64(res.SummedTime)/float64(wall)*100) / 100
	}
	for _, j := range res.Jobs {
		r.Jobs = append(r.Jobs, jobReport(j))
	}
	if res.Failure != nil {
		f := jobReport(*res.Failure)
		r.Failure = &f
	}
	return r
}

func jobReport(j runmeta.JobReport) JobReport {
	return JobReport{
		Phase: j.Phase, Job: j.Job, KubernetesJob: j.Name, State: j.State,
		CreatedAt: timeOrNil(j.Created), FinishedAt: timeOrNil(j.Finished),
		JobSeconds: JobSeconds{WaitSeconds: seconds(j.Wait), RunSeconds: seconds(j.Run), TotalSeconds: seconds(j.Total),
			QueuedSeconds: seconds(j.Queued), RunningSeconds: queuedRunning(j)},
		Reason: j.Reason, Message: j.Message, Attempt: max(j.Attempt, 1), KeptRunning: j.KeptRunning,
		Pods: j.Pods, Results: j.Results,
	}
}

// queuedRunning is a queued Job's running time: its run less its time
// queued (0, left out, for a Job without a queue).
func queuedRunning(j runmeta.JobReport) float64 {
	if j.Queued == 0 || j.Finished.IsZero() {
		return 0
	}
	return seconds(j.Run - j.Queued)
}

// podLines is one line per failed pod and its log tail below it, each
// ending in a newline.
func podLines(pods []record.PodFailure) string {
	var b strings.Builder
	for _, p := range pods {
		b.WriteString(p.Text(""))
	}
	return b.String()
}

// seconds rounds to milliseconds.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}
