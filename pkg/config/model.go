package config

import (
	batchv1 "k8s.io/api/batch/v1"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// Model is a loaded, valid model.
type Model struct {
	Path    string // the model file path as given
	Dir     string // folder of the model file (job_path is relative to it)
	Options Options
	Phases  []Phase
	Graph   *graph.Graph // node i == Jobs()[i] (model order)

	jobs []*Job // filled by Load
}

// Phase is one phase of the model, its jobs in the order written.
type Phase struct {
	Name string
	Jobs []*Job
}

// Job types.
const (
	TypeFile      = "file"
	TypeDirectory = "directory"
	// TypeModel runs another model file's phases as this one job.
	TypeModel = "model"
)

// Job is one job of the model: one Kubernetes Job for a file job, one per
// manifest for a directory job.
type Job struct {
	Name       string
	Phase      string
	PhaseIndex int
	Index      int    // graph node index
	Type       string // TypeFile, TypeDirectory or TypeModel
	Path       string // job_path as written
	DependsOn  []string
	// Manifests holds 1 manifest for a file job; for a directory job, every
	// .yaml/.yml/.json file under the folder, subfolders included, sorted by
	// RelPath.
	Manifests []*Manifest

	// TriggerRule is RuleAllSucceeded unless the job says otherwise.
	TriggerRule string
	// Revert is the compensating Job of `revert_path`, run when the run
	// fails after this job succeeded; nil when there is none.
	Revert *Manifest
	// Env is the job's `env`: parameters for its Jobs only, overriding the
	// model's jobernetes_config env.
	Env map[string]string
	// Queue is the job's `queue`: the Kueue LocalQueue of its Jobs, over
	// the model's; "" when absent.
	Queue string

	Dataflow

	// SubModel is, for a job of a sub-model (type: model, flattened), the
	// outer job it runs for ("infra", or "infra.net" when nested), and
	// SubModelPath that model's file; both empty for the model's own jobs.
	SubModel, SubModelPath string
}

// Dataflow is what a job has of the data between jobs (docs/dataflow.md).
type Dataflow struct {
	// Results are the keys its Jobs write to a termination message.
	Results []string
	// When is its condition; nil when it has none.
	When *When
	// Matrix is its fan-out, keys sorted; nil when it has none. A static
	// matrix has one manifest per combination in Manifests; a dynamic one
	// (IsDynamic) has none until run time, and Template is its manifest.
	Matrix   []MatrixAxis
	Template *Manifest
	tooLarge int // a static matrix of more than max_matrix Jobs: how many
}

// Manifest is one Job manifest file.
type Manifest struct {
	Path    string       // path for messages: as the user would type it (model dir joined with the relative path)
	RelPath string       // slash-separated path relative to the model's folder; stable; used to derive Job names
	Job     *batchv1.Job // strictly decoded; shared by every job that names the file: read-only
	// Matrix is the combination of a matrix job's Job; nil otherwise.
	Matrix *Combination
}

// Jobs are all jobs in model order, which is also graph node order. Load
// fills them once; a Model built by hand (in tests) gets them from its
// Phases on each call. Jobs never writes to the Model, so concurrent calls
// are safe.
func (m *Model) Jobs() []*Job {
	if m.jobs != nil {
		return m.jobs
	}
	var jobs []*Job
	for _, p := range m.Phases {
		jobs = append(jobs, p.Jobs...)
	}
	return jobs
}

// KubernetesJobs is the number of Kubernetes Jobs a run creates: one per
// manifest.
func (m *Model) KubernetesJobs() int {
	n := 0
	for _, p := range m.Phases {
		for _, j := range p.Jobs {
			n += len(j.Manifests)
		}
	}
	return n
}
