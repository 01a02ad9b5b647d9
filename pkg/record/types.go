// Package record is the run record: what a run has achieved, kept in the
// cluster so that it survives the orchestrator and cleanup (a Job deleted
// after success is known only from here). The types say what is recorded;
// Store (store.go) is the one place that reads and writes it.
package record

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Labels of a run's record objects (and of its Jobs: docs/cluster.md, "In the cluster").
const (
	LabelRun       = "jobernetes.io/run"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "jobernetes"
)

const namePrefix = "jobernetes-run-"

// Name is the name of the ConfigMap that holds run runID's record.
func Name(runID string) string { return namePrefix + runID }

// RunIDFromName is Name's inverse, for records too old to hold their run ID.
func RunIDFromName(name string) string { return strings.TrimPrefix(name, namePrefix) }

// Run results as recorded in the state ConfigMap.
const (
	ResultRunning   = "Running"
	ResultSucceeded = "Succeeded"
	ResultFailed    = "Failed"
	// ResultCancelled: `jobernetes cancel` stopped the run.
	ResultCancelled = "Cancelled"
)

// Job results as recorded.
const (
	JobSucceeded = "Succeeded"
	JobFailed    = "Failed"
	JobSkipped   = "Skipped"
	// JobCreated is not final: the Job was created and had not finished when
	// the record was written. A resumed run that finds no such Job knows it
	// was deleted while no orchestrator ran, and does not create it again.
	JobCreated = "Created"
)

// CurrentVersion is the record format this version writes: 2, a head and
// segments (segments.go); 1, one ConfigMap, is still read and written.
const CurrentVersion = 2

// Record is what a run has achieved, kept in the run's ConfigMap. It is the
// memory that survives cleanup: a Job deleted after success is known only
// from here, so it is written before any finished Job is deleted.
type Record struct {
	Version     int    `json:"version"`
	RunID       string `json:"runID"`
	Model       string `json:"model,omitempty"`
	ModelName   string `json:"modelName,omitempty"`
	Fingerprint string `json:"fingerprint"`
	Structure   string `json:"structure,omitempty"` // StructureFingerprint
	StartedAt   int64  `json:"startedAt"`           // unix milliseconds
	FinishedAt  int64  `json:"finishedAt,omitempty"`
	Result      string `json:"result"`
	Message     string `json:"message,omitempty"`
	// Attempt counts --retry-failed: Jobs of attempt N > 1 have names of
	// their own. StartedAt, FinishedAt, Result and Message above are those
	// of this attempt; Attempts holds the ones before it.
	Attempt  int             `json:"attempt,omitempty"`
	Attempts []AttemptRecord `json:"attempts,omitempty"`
	// Plan is the model's DAG as the run sees it, so that `status` can show
	// a run from the cluster alone, waiting jobs included.
	Plan []PlanJob `json:"plan,omitempty"`
	// Params are the run's parameters (jobernetes_config env and run -e):
	// a resume must give the same values.
	Params map[string]string `json:"params,omitempty"`
	// Jobs is keyed by Kubernetes Job name.
	Jobs map[string]*JobRecord `json:"jobs,omitempty"`
}

// AttemptRecord is one finished attempt of a retried run.
type AttemptRecord struct {
	Attempt    int    `json:"attempt"`
	StartedAt  int64  `json:"startedAt"`
	FinishedAt int64  `json:"finishedAt,omitempty"`
	Result     string `json:"result"`
	Message    string `json:"message,omitempty"`
}

// PlanJob is one model job of the run.
type PlanJob struct {
	Phase     string   `json:"phase"`
	Job       string   `json:"job"`
	DependsOn []string `json:"dependsOn,omitempty"`
	// TriggerRule is set when it is not all_succeeded (the default);
	// Finally marks the jobs of the finally phase. Both are for status
	// drawings only (a record without them is from an older version).
	TriggerRule string `json:"triggerRule,omitempty"`
	Finally     bool   `json:"finally,omitempty"`
	// KubernetesJobs are the names of its Jobs, one per manifest, in the
	// current attempt: a Job kept from an earlier attempt keeps its name.
	// A resume reads the names from here, so it acts on the same Jobs as
	// the process it takes over from.
	KubernetesJobs []string `json:"kubernetesJobs"`
	// Revert is the name of its revert Job, if it has one.
	Revert string `json:"revert,omitempty"`
}

// JobRecord is one finished Kubernetes Job of the run.
type JobRecord struct {
	Job        string `json:"job"`
	Phase      string `json:"phase"`
	UID        string `json:"uid,omitempty"`
	CreatedAt  int64  `json:"createdAt,omitempty"`
	StartedAt  int64  `json:"startedAt,omitempty"`
	FinishedAt int64  `json:"finishedAt,omitempty"`
	Result     string `json:"result"`
	Revert     bool   `json:"revert,omitempty"`
	Attempt    int    `json:"attempt,omitempty"` // set from attempt 2 on
	Reason     string `json:"reason,omitempty"`
	Message    string `json:"message,omitempty"`
	// Pods says why a failed Job's pods failed.
	Pods []PodFailure `json:"pods,omitempty"`
	// Results are the declared results its containers wrote (a JSON
	// object), recorded when it succeeded.
	Results json.RawMessage `json:"results,omitempty"`
}

// PodFailure is one failed container of a failed Job's pod.
type PodFailure struct {
	Pod       string `json:"pod"`
	Container string `json:"container,omitempty"`
	ExitCode  int32  `json:"exitCode,omitempty"`
	// Reason is the container's (Error, OOMKilled, ...) or, for a pod that
	// never ran a container, the pod's (DeadlineExceeded, Evicted, ...).
	Reason string `json:"reason,omitempty"`
	// Message is the termination message (terminationMessagePath, or the
	// log's tail with FallbackToLogsOnError) or the pod's message.
	Message string `json:"message,omitempty"`
	// LogTail is the container's last log lines (run --log-lines), read
	// when the Job was diagnosed.
	LogTail []string `json:"logTail,omitempty"`
}

func (f PodFailure) String() string {
	s := "pod " + f.Pod
	if f.Container != "" {
		s += fmt.Sprintf(" container %s: exit code %d", f.Container, f.ExitCode)
	} else {
		s += ":"
	}
	if f.Reason != "" {
		s += " (" + f.Reason + ")"
	}
	if f.Message != "" {
		s += ": " + f.Message
	}
	return s
}

// Text is the failure's line and, below it, its log tail, each line
// starting with indent (the tail's indented two more) and ending in a
// newline: how text reports, JUnit and status print a failed pod.
func (f PodFailure) Text(indent string) string {
	var b strings.Builder
	b.WriteString(indent + f.String() + "\n")
	if len(f.LogTail) > 0 {
		b.WriteString(indent + "  last log lines:\n")
		for _, l := range f.LogTail {
			b.WriteString(indent + "  | " + l + "\n")
		}
	}
	return b.String()
}
