package record

import corev1 "k8s.io/api/core/v1"

// HeadOf reads a run's own fields from its head ConfigMap, as List does
// for each head it lists: for a reader that keeps the heads in an informer
// (jobernetes ui, docs/ui.md). Plan and Jobs are left out.
func HeadOf(head *corev1.ConfigMap) (*Stored, error) { return headOnly(head) }

// IsSegment tells a segment of a record from its head.
func IsSegment(cm *corev1.ConfigMap) bool {
	_, ok := cm.Labels[LabelSegment]
	return ok
}
