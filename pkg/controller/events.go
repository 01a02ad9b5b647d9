package controller

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Reasons of the run's summary Event, on its record ConfigMap.
const (
	ReasonRunSucceeded = "RunSucceeded"
	ReasonRunFailed    = "RunFailed"
)

// maxEventMessage keeps the summary within what Event consumers show.
const maxEventMessage = 1024

// RecordRunEvent posts the run's summary Event (Normal RunSucceeded or
// Warning RunFailed) on its record ConfigMap, where `kubectl describe
// configmap jobernetes-run-<id>` and `kubectl events` show it. It is
// written with one synchronous create rather than through Options.Recorder:
// a broadcaster drops the Events still queued when the process exits, and
// this one is made just before it does. Call it once, after Run returned res.
func (c *Controller) RecordRunEvent(ctx context.Context, res *Result) error {
	if c.rec() == nil || res == nil {
		return nil
	}
	typ, reason := corev1.EventTypeNormal, ReasonRunSucceeded
	if !res.Succeeded {
		typ, reason = corev1.EventTypeWarning, ReasonRunFailed
	}
	now := metav1.NewTime(c.now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", c.store.Meta().Name, now.UnixNano()),
			Namespace: c.ns,
			Labels:    map[string]string{runmeta.LabelRun: c.runID, runmeta.LabelManagedBy: runmeta.ManagedBy},
		},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "v1", Kind: "ConfigMap", Namespace: c.ns, Name: c.store.Meta().Name, UID: c.store.Meta().UID,
		},
		Reason:              reason,
		Message:             RunSummaryMessage(res),
		Type:                typ,
		Source:              corev1.EventSource{Component: runmeta.ManagedBy},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		ReportingController: runmeta.ManagedBy,
	}
	if _, err := c.client.CoreV1().Events(c.ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return runmeta.ClusterError("create run summary Event", err)
	}
	return nil
}

// RunSummaryMessage is the one-line summary of a finished run.
func RunSummaryMessage(res *Result) string {
	var b strings.Builder
	wall := runmeta.RoundDuration(res.Finished.Sub(res.Started))
	if res.Succeeded {
		fmt.Fprintf(&b, "Run %s succeeded: %d Jobs in %s (summed Job time %s, critical path %s)",
			res.RunID, len(res.Jobs), wall, runmeta.RoundDuration(res.SummedTime), runmeta.RoundDuration(res.CriticalTime))
	} else {
		fmt.Fprintf(&b, "Run %s failed after %s", res.RunID, wall)
		if f := res.Failure; f != nil && f.Name != "" {
			fmt.Fprintf(&b, ": job %s (phase %s, Job %s) failed: %s: %s", f.Job, f.Phase, f.Name, f.Reason, f.Message)
		} else if f != nil {
			fmt.Fprintf(&b, ": %s: %s", f.Reason, f.Message)
		}
		if len(res.Skipped) > 0 {
			fmt.Fprintf(&b, "; skipped: %s", strings.Join(res.Skipped, ", "))
		}
		if len(res.FailedReverts) > 0 {
			fmt.Fprintf(&b, "; revert failed: %s", strings.Join(res.FailedReverts, ", "))
		}
		if len(res.NeverRan) > 0 {
			fmt.Fprintf(&b, "; never ran: %s", strings.Join(res.NeverRan, ", "))
		}
	}
	s := b.String()
	if len(s) > maxEventMessage {
		s = s[:maxEventMessage-3] + "..."
	}
	return s
}
