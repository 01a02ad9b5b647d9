package report

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// A reader that keeps a run's record, Jobs and pods in informers (jobernetes
// ui, docs/ui.md) builds the same documents as status from its caches.

// RunStatusFromCache is GetRunStatus from objects already read: the record,
// the Jobs that carry the run's label, and their pods (the diagnosis of a
// running run, as GetRunStatus adds it).
func RunStatusFromCache(rec *record.Stored, jobs []*batchv1.Job, pods []*corev1.Pod, now time.Time) *RunStatus {
	st := RunStatusFrom(rec, jobs, now)
	if st.Result == record.ResultRunning && len(pods) > 0 {
		items := make([]corev1.Pod, len(pods))
		for i, p := range pods {
			items[i] = *p
		}
		addPodDiagnosis(st, items, now)
	}
	if st.Jobs == nil {
		st.Jobs = []JobStatus{}
	}
	return st
}

// SummaryOf is a run's line of the run list, from its head.
func SummaryOf(rec *record.Stored) RunSummary {
	return RunSummary{Namespace: rec.Meta.Namespace, RunID: rec.RunID, Model: rec.Model, Result: rec.Result,
		StartedAt: timePtr(rec.StartedAt), FinishedAt: timePtr(rec.FinishedAt), Jobs: rec.Planned, Finished: rec.Finished}
}

// SortRuns orders runs as the run list does: newest first.
func SortRuns(runs []RunSummary) { sortRuns(runs) }
