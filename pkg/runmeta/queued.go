package runmeta

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// QueueLabel puts a Job in a Kueue LocalQueue (`queue` in the model). Kueue
// then creates the Job suspended and lifts spec.suspend when its quota
// admits it; jobernetes never writes spec.suspend itself.
const QueueLabel = "kueue.x-k8s.io/queue-name"

// Queued reports whether an unfinished Job is held suspended (by Kueue, or
// by whoever set spec.suspend), with the reason and message of its
// Suspended condition when the Job controller has set it.
func Queued(job *batchv1.Job) (queued bool, reason, message string) {
	if FinishedCondition(job) != nil {
		return false, "", ""
	}
	var cond *batchv1.JobCondition
	for i := range job.Status.Conditions {
		if job.Status.Conditions[i].Type == batchv1.JobSuspended {
			cond = &job.Status.Conditions[i]
		}
	}
	switch {
	case job.Spec.Suspend != nil:
		queued = *job.Spec.Suspend // the spec goes first: the condition lags
	case cond != nil:
		queued = cond.Status == corev1.ConditionTrue // a Job read without its spec
	}
	if !queued {
		return false, "", ""
	}
	if cond != nil && cond.Status == corev1.ConditionTrue {
		return true, cond.Reason, cond.Message
	}
	return true, "Suspended", "the Job is suspended: it waits to be admitted (Kueue)"
}
