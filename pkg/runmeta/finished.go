package runmeta

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FinishedCondition returns the Complete or Failed condition that is True, if
// any. Pod counts are not read: only the Job controller's verdict counts
// (SuccessCriteriaMet and FailureTarget come earlier and are not the end).
func FinishedCondition(job *batchv1.Job) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		c := &job.Status.Conditions[i]
		if c.Status != corev1.ConditionTrue {
			continue
		}
		if c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed {
			return c
		}
	}
	return nil
}

// FinishTime is when the Job finished: the condition's transition time, or
// the Job's completionTime when that is later known.
func FinishTime(job *batchv1.Job, c *batchv1.JobCondition) metav1.Time {
	if job.Status.CompletionTime != nil && c.Type == batchv1.JobComplete {
		return *job.Status.CompletionTime
	}
	return c.LastTransitionTime
}
