package runmeta

import (
	"context"
	"errors"
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"
)

// FinalizerUnrecorded is on every Job a run creates, from its create until
// the run record holds the Job (its Created entry, or its final one): a Job
// deleted before the record knows it stays, terminating, so that a resume
// tells "created, then deleted while no orchestrator ran" (a Job with a
// deletionTimestamp) from "never created" (no Job). The Job controller
// keeps pods with batch.kubernetes.io/job-tracking for the same reason.
// Whoever recorded the Job, or ends the run (cancel, delete), removes it
// (ReleaseFinalizer); Jobs of earlier versions never had it.
const FinalizerUnrecorded = "jobernetes.io/unrecorded"

// HasFinalizer says whether j carries FinalizerUnrecorded.
func HasFinalizer(j *batchv1.Job) bool { return slices.Contains(j.Finalizers, FinalizerUnrecorded) }

// ReleaseFinalizer removes FinalizerUnrecorded from Job name of UID uid:
// a strategic merge patch that leaves other finalizers alone and needs no
// read first, with the UID as its precondition (as the garbage collector
// patches owner references), so that a namesake is never touched. A Job
// already gone, or a namesake, is nothing to release: nil. A terminating
// Job goes once it is released.
func ReleaseFinalizer(ctx context.Context, jobs batchclient.JobInterface, name string, uid types.UID) error {
	patch := fmt.Appendf(nil, `{"metadata":{"$deleteFromPrimitiveList/finalizers":[%q],"uid":%q}}`, FinalizerUnrecorded, uid)
	_, err := jobs.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) || uidMismatch(err) {
		return nil
	}
	return fmt.Errorf("release the finalizer of Job %s: %w", name, err)
}

// uidMismatch: the patch's UID precondition failed on a namesake (the API
// server answers Invalid: metadata.uid is immutable).
func uidMismatch(err error) bool {
	var se apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &se) || se.Status().Details == nil {
		return false
	}
	for _, c := range se.Status().Details.Causes {
		if c.Field == "metadata.uid" {
			return true
		}
	}
	return false
}
