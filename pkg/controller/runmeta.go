package controller

import "github.com/jobernetes/jobernetes/pkg/runmeta"

// The run's outcome and its transitions are types of pkg/runmeta, which the
// readers (report, metrics, the output) import instead of this package;
// these aliases are the controller's names for them.
type (
	// Result is how a run ended, for the report and the exit code.
	Result = runmeta.Result
	// JobReport is one Kubernetes Job of the run.
	JobReport = runmeta.JobReport
	// Transition is one state change seen by the run.
	Transition = runmeta.Transition
)
