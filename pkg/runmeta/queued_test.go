package runmeta

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestQueued(t *testing.T) {
	suspendedCond := batchv1.JobCondition{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue, Reason: "JobSuspended", Message: "Job suspended"}
	resumedCond := batchv1.JobCondition{Type: batchv1.JobSuspended, Status: corev1.ConditionFalse, Reason: "JobResumed"}
	complete := batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}
	tests := []struct {
		name        string
		suspend     *bool
		conds       []batchv1.JobCondition
		want        bool
		wantReason  string
		wantMessage string
	}{
		{name: "plain Job", want: false},
		{name: "created suspended, condition not set yet", suspend: ptr.To(true), want: true, wantReason: "Suspended"},
		{name: "suspended with its condition", suspend: ptr.To(true), conds: []batchv1.JobCondition{suspendedCond}, want: true, wantReason: "JobSuspended", wantMessage: "Job suspended"},
		{name: "admitted, condition lags", suspend: ptr.To(false), conds: []batchv1.JobCondition{suspendedCond}, want: false},
		{name: "admitted", suspend: ptr.To(false), conds: []batchv1.JobCondition{resumedCond}, want: false},
		{name: "read without its spec", conds: []batchv1.JobCondition{suspendedCond}, want: true, wantReason: "JobSuspended", wantMessage: "Job suspended"},
		{name: "finished", suspend: ptr.To(true), conds: []batchv1.JobCondition{suspendedCond, complete}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &batchv1.Job{Spec: batchv1.JobSpec{Suspend: tt.suspend}, Status: batchv1.JobStatus{Conditions: tt.conds}}
			got, reason, msg := Queued(j)
			if got != tt.want || reason != tt.wantReason || (tt.wantMessage != "" && msg != tt.wantMessage) {
				t.Errorf("Queued = %v, %q, %q; want %v, %q, %q", got, reason, msg, tt.want, tt.wantReason, tt.wantMessage)
			}
		})
	}
}
