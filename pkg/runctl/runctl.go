// Package runctl acts on a run from outside its orchestrator: cancel it
// (CancelRun) and delete it (DeleteRun), as `jobernetes cancel`, `delete`
// and the web page do. It writes the run's record and deletes its Jobs
// through the conventions of pkg/runmeta and pkg/record; it needs nothing
// of the orchestrator (pkg/controller), which learns of a cancel from the
// record.
package runctl

import (
	"context"
	"errors"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// A cancel is recorded in the run record first, then the run's active Jobs
// are deleted. The orchestrator (if one runs) sees its Jobs leave its
// watch, reads the record, finds the cancel, deletes what it may have
// created meanwhile and ends: it needs no other watch and no other right.

// CancelRun records the cancel of a running run, deletes its active Jobs
// (Background propagation: their pods go too) and keeps deleting any Job
// of the run still active until none is, or timeout passes (an
// orchestrator may create one before it learns of the cancel). It returns
// how many Jobs it deleted.
func CancelRun(ctx context.Context, client kubernetes.Interface, ns, runID, reason string, now time.Time, timeout time.Duration) (int, error) {
	store := record.NewStore(client, ns, runID, nil)
	var finished string
	err := store.Update(ctx, record.Change{Run: func(rec *record.Record) {
		if finished = ""; rec.Result != record.ResultRunning {
			finished = rec.Result
			return
		}
		rec.Result, rec.Message, rec.FinishedAt = record.ResultCancelled, cancelMessage(reason), now.UnixMilli()
	}})
	switch {
	case errors.Is(err, record.ErrNotFound), errors.Is(err, record.ErrUndecodable):
		return 0, err
	case err != nil:
		return 0, runmeta.ClusterError("record the cancel", err)
	case finished != "":
		return 0, &runmeta.FinishedError{RunID: runID, Result: finished}
	}
	uid := store.Meta().UID
	deleted := 0
	err = waitFor(ctx, timeout, func(ctx context.Context) (bool, error) {
		n, active, err := deleteActiveJobs(ctx, client, ns, runID, uid)
		deleted += n
		return active == 0, err
	})
	return deleted, err
}

func cancelMessage(reason string) string {
	if reason == "" {
		return "cancelled"
	}
	return "cancelled: " + reason
}

// deleteActiveJobs deletes the run's unfinished Jobs (those controlled by
// its record) and says how many it deleted and how many are still there.
// The cancel is recorded, so no resume will need the run's finalizer to
// tell a deleted Job from one never created: it releases it from every Job
// of the run, or the Jobs it deletes would stay, terminating.
func deleteActiveJobs(ctx context.Context, client kubernetes.Interface, ns, runID string, owner types.UID) (deleted, active int, err error) {
	jobs := client.BatchV1().Jobs(ns)
	list, err := runJobs(ctx, client, ns, runID, owner)
	if err != nil {
		return 0, 0, err
	}
	for _, j := range list {
		if err := release(ctx, client, j); err != nil {
			return deleted, active, err
		}
		if runmeta.FinishedCondition(j) != nil {
			continue
		}
		active++
		if j.DeletionTimestamp != nil {
			continue
		}
		err := jobs.Delete(ctx, j.Name, runmeta.BackgroundDelete(j.UID))
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) { // gone, or a namesake
			return deleted, active, runmeta.ClusterError("delete Job "+j.Name, err)
		}
		deleted++
	}
	return deleted, active, nil
}

// DeleteRun deletes a finished run's record. Every Job of the run, their
// pods and the run's Lease are owned by the record, so the garbage
// collector removes them; with wait > 0, DeleteRun waits until none of the
// run's Jobs is left.
func DeleteRun(ctx context.Context, client kubernetes.Interface, ns, runID string, wait time.Duration) error {
	run, err := record.GetHead(ctx, client, ns, runID)
	switch {
	case errors.Is(err, record.ErrNotFound), errors.Is(err, record.ErrUndecodable):
		return err
	case err != nil:
		return runmeta.ClusterError("read run record", err)
	case run.Result == record.ResultRunning:
		return &runmeta.RunningError{RunID: runID}
	}
	uid := run.Meta.UID
	// Before the record goes (and the run with it): the garbage collector's
	// deletes of the Jobs must not wait for a finalizer no one will release.
	list, err := runJobs(ctx, client, ns, runID, uid)
	if err != nil {
		return err
	}
	for _, j := range list {
		if err := release(ctx, client, j); err != nil {
			return err
		}
	}
	err = record.Delete(ctx, client, run)
	if err != nil && !apierrors.IsNotFound(err) {
		return runmeta.ClusterError("delete run record", err)
	}
	if wait <= 0 {
		return nil
	}
	return waitFor(ctx, wait, func(ctx context.Context) (bool, error) {
		left, err := runJobs(ctx, client, ns, runID, uid)
		return len(left) == 0, err
	})
}

// runJobs lists the Jobs of the run that its record controls.
func runJobs(ctx context.Context, client kubernetes.Interface, ns, runID string, owner types.UID) ([]*batchv1.Job, error) {
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: runID}).String()
	list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, runmeta.ClusterError("list Jobs", err)
	}
	var out []*batchv1.Job
	for i := range list.Items {
		if ref := metav1.GetControllerOfNoCopy(&list.Items[i]); ref != nil && ref.UID == owner {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// release removes the run's finalizer from j, if it carries it.
func release(ctx context.Context, client kubernetes.Interface, j *batchv1.Job) error {
	if !runmeta.HasFinalizer(j) {
		return nil
	}
	if err := runmeta.ReleaseFinalizer(ctx, client.BatchV1().Jobs(j.Namespace), j.Name, j.UID); err != nil {
		return runmeta.ClusterError("release Job "+j.Name, err)
	}
	return nil
}

func waitFor(ctx context.Context, timeout time.Duration, cond wait.ConditionWithContextFunc) error {
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, cond)
}
