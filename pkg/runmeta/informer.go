package runmeta

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
)

// resync is long on purpose: the sync is driven by watch events, and a
// resync only guards against a lost event (sync is idempotent).
const resync = 10 * time.Minute

// NewInformerFactory watches only the run's objects (server-side label filter)
// and keeps only what the sync reads, so memory does not grow with the size
// of the manifests' pod templates.
func NewInformerFactory(client kubernetes.Interface, namespace, runID string) informers.SharedInformerFactory {
	selector := labels.SelectorFromSet(labels.Set{LabelRun: runID}).String()
	return informers.NewSharedInformerFactoryWithOptions(client, resync,
		informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }),
		informers.WithTransform(stripObject),
	)
}

// stripObject is the factory's transform: Jobs and pods keep only what the
// run reads; anything else (the run record) is kept whole.
func stripObject(obj interface{}) (interface{}, error) {
	if _, ok := obj.(*corev1.Pod); ok {
		return StripPod(obj)
	}
	return StripJob(obj)
}

// StripJob is the informer transform: metadata the sync needs and status.
func StripJob(obj interface{}) (interface{}, error) {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return obj, nil
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:              job.Name,
			Namespace:         job.Namespace,
			UID:               job.UID,
			ResourceVersion:   job.ResourceVersion,
			Labels:            job.Labels,
			OwnerReferences:   job.OwnerReferences,
			CreationTimestamp: job.CreationTimestamp,
			DeletionTimestamp: job.DeletionTimestamp,
			Finalizers:        job.Finalizers, // FinalizerUnrecorded: still to release
		},
		// Suspend tells a Job that a queue (Kueue) holds: Queued.
		Spec: batchv1.JobSpec{Suspend: job.Spec.Suspend},
		Status: batchv1.JobStatus{
			Conditions:     job.Status.Conditions,
			StartTime:      job.Status.StartTime,
			CompletionTime: job.Status.CompletionTime,
			Active:         job.Status.Active,
			Succeeded:      job.Status.Succeeded,
			Failed:         job.Status.Failed,
		},
	}, nil
}

// StripPod is the pod informer's transform: at 10,000 Jobs the run holds
// their pods too, so only what a diagnosis reads is kept.
func StripPod(obj interface{}) (interface{}, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion,
			OwnerReferences: pod.OwnerReferences, CreationTimestamp: pod.CreationTimestamp,
		},
		Status: corev1.PodStatus{Phase: pod.Status.Phase, Reason: pod.Status.Reason, Message: pod.Status.Message},
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			out.Status.Conditions = append(out.Status.Conditions, corev1.PodCondition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
		}
	}
	strip := func(in []corev1.ContainerStatus) []corev1.ContainerStatus {
		var cs []corev1.ContainerStatus
		for _, c := range in {
			cs = append(cs, corev1.ContainerStatus{Name: c.Name, State: c.State})
		}
		return cs
	}
	out.Status.InitContainerStatuses = strip(pod.Status.InitContainerStatuses)
	out.Status.ContainerStatuses = strip(pod.Status.ContainerStatuses)
	return out, nil
}
