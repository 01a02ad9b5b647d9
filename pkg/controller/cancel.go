package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// FinishedError says the run has already ended, with Result.
type FinishedError = runmeta.FinishedError

// CancelledError says a cancelled run is resumed without --retry-failed.
type CancelledError struct{ RunID, Message string }

func (e *CancelledError) Error() string {
	return fmt.Sprintf("run %q was cancelled (%s); to run its unfinished part again, add --retry-failed", e.RunID, e.Message)
}

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
		return 0, &FinishedError{RunID: runID, Result: finished}
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
func deleteActiveJobs(ctx context.Context, client kubernetes.Interface, ns, runID string, owner types.UID) (deleted, active int, err error) {
	jobs := client.BatchV1().Jobs(ns)
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: runID}).String()
	list, err := jobs.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return 0, 0, runmeta.ClusterError("list Jobs", err)
	}
	for i := range list.Items {
		j := &list.Items[i]
		ref := metav1.GetControllerOfNoCopy(j)
		if ref == nil || ref.UID != owner || runmeta.FinishedCondition(j) != nil {
			continue
		}
		active++
		if j.DeletionTimestamp != nil {
			continue
		}
		err := jobs.Delete(ctx, j.Name, backgroundDelete(j.UID))
		if err != nil && !isGone(err) {
			return deleted, active, runmeta.ClusterError("delete Job "+j.Name, err)
		}
		deleted++
	}
	return deleted, active, nil
}

// checkCancelled reads the run record when the run may have been cancelled
// (a Job of the run left the watch unexpectedly, or a record write met a
// newer record) and turns a recorded cancel into the run's end.
func (c *Controller) checkCancelled(ctx context.Context) error {
	if c.end.cancelled {
		return nil
	}
	result, message, err := c.store.Result(ctx)
	if err != nil {
		return fmt.Errorf("read run record %s/%s: %w", c.ns, c.store.Meta().Name, err)
	}
	if result == record.ResultCancelled {
		c.noteCancel(message)
	}
	return nil
}

func (c *Controller) noteCancel(message string) {
	if c.end.cancelled {
		return
	}
	c.end.cancelled = true
	c.end.cancelMsg = message
	c.printf("%s run %s\n", c.stamp(), message)
}

// endCancelled stops a cancelled run: every Job still running is deleted,
// every Job not created is skipped (no revert, no finally); units whose
// Jobs the cancel deleted are failed as Cancelled.
func (c *Controller) endCancelled(ctx context.Context) error {
	for _, u := range c.units {
		switch {
		case u.state == unitNotCreated:
			c.setState(u, unitSkipped)
			u.reason, u.message = "Cancelled", "the run was cancelled before it could start"
		case u.state == unitActive || u.state == unitFailed && u.reason == "Deleted" && !u.inRecord.final:
			if u.state == unitActive && u.uid != "" {
				err := c.client.BatchV1().Jobs(c.ns).Delete(ctx, u.name, backgroundDelete(u.uid))
				if err != nil && !isGone(err) {
					return fmt.Errorf("cancel: delete Job %s/%s: %w", c.ns, u.name, err)
				}
			}
			c.setState(u, unitFailed)
			u.reason, u.message = "Cancelled", "deleted: the run was cancelled"
		}
	}
	return nil
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
		return &RunningError{RunID: runID}
	}
	uid := run.Meta.UID
	err = record.Delete(ctx, client, run)
	if err != nil && !apierrors.IsNotFound(err) {
		return runmeta.ClusterError("delete run record", err)
	}
	if wait <= 0 {
		return nil
	}
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: runID}).String()
	return waitFor(ctx, wait, func(ctx context.Context) (bool, error) {
		list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return false, runmeta.ClusterError("list Jobs", err)
		}
		for i := range list.Items {
			if ref := metav1.GetControllerOfNoCopy(&list.Items[i]); ref != nil && ref.UID == uid {
				return false, nil
			}
		}
		return true, nil
	})
}

func waitFor(ctx context.Context, timeout time.Duration, cond wait.ConditionWithContextFunc) error {
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, cond)
}

// RunningError says the run has not finished (delete refuses it without --force).
type RunningError = runmeta.RunningError
