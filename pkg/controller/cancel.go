package controller

import (
	"context"
	"fmt"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// CancelledError says a cancelled run is resumed without --retry-failed.
type CancelledError struct{ RunID, Message string }

func (e *CancelledError) Error() string {
	return fmt.Sprintf("run %q was cancelled (%s); to run its unfinished part again, add --retry-failed", e.RunID, e.Message)
}

// The cancel itself is written by runctl.CancelRun (pkg/runctl), from
// another process; the orchestrator learns of it from the record.

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
	c.emit(Transition{State: runmeta.RunCancelled, Message: message})
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
