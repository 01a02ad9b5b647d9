package runmeta

import (
	"errors"
	"fmt"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// ErrCluster marks errors that come from the cluster (unreachable,
// unauthorized, forbidden) rather than from the run's Jobs.
var ErrCluster = errors.New("cluster error")

// ClusterError marks err, met in doing what, as the cluster's (ErrCluster).
func ClusterError(what string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrCluster, what, err) //nolint:errorlint // the cause is text on purpose: only ErrCluster is matched, apierrors.IsXxx must not see through it
}

// RecordReadError sorts an error in reading the run record: a missing
// record, or one that does not decode, is the run's problem; anything else
// is the cluster's.
func RecordReadError(err error) error {
	if errors.Is(err, record.ErrUndecodable) || errors.Is(err, record.ErrNotFound) {
		return err
	}
	return ClusterError("read run record", err)
}

// FinishedError says the run has already ended, with Result (a cancel
// refuses it). Here, not in the orchestrator, so that its readers (the web
// page) can tell it without importing pkg/controller.
type FinishedError struct {
	RunID, Result string
}

func (e *FinishedError) Error() string {
	return fmt.Sprintf("run %q has already finished (%s)", e.RunID, e.Result)
}

// RunningError says the run has not finished (delete refuses it without --force).
type RunningError struct{ RunID string }

func (e *RunningError) Error() string {
	return fmt.Sprintf("run %q is still running: cancel it first, or delete it with --force", e.RunID)
}
