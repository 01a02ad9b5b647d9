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
