package runmeta

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// maxPodFailures bounds what a failed Job records (a Job with a large
// backoffLimit fails many pods alike).
const maxPodFailures = 3

// PendingAfter is how long a pod may wait with a reason before the run
// says so: image pulls and scheduling take a moment even when all is well.
const PendingAfter = 5 * time.Second

// waitingReasons are container waiting reasons that a user must act on.
var waitingReasons = map[string]bool{
	"ImagePullBackOff": true, "ErrImagePull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "CrashLoopBackOff": true,
}

// PodJobName is the Job a pod belongs to: its controller.
func PodJobName(pod *corev1.Pod) string {
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil && ref.Kind == "Job" {
		return ref.Name
	}
	return ""
}

// ContainerStatuses are a pod's init containers' statuses, then its
// containers'.
func ContainerStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	return append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
}

// PodFailures reads why the pods of a failed Job failed, oldest first.
func PodFailures(pods []*corev1.Pod) []record.PodFailure {
	sort.Slice(pods, func(a, b int) bool { return pods[a].CreationTimestamp.Before(&pods[b].CreationTimestamp) })
	var out []record.PodFailure
	for _, pod := range pods {
		if pod.Status.Phase != corev1.PodFailed {
			continue
		}
		found := false
		for _, cs := range ContainerStatuses(pod) {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				out = append(out, record.PodFailure{Pod: pod.Name, Container: cs.Name, ExitCode: t.ExitCode, Reason: t.Reason, Message: t.Message})
				found = true
			}
		}
		if !found {
			out = append(out, record.PodFailure{Pod: pod.Name, Reason: pod.Status.Reason, Message: pod.Status.Message})
		}
		if len(out) >= maxPodFailures {
			return out[:maxPodFailures]
		}
	}
	return out
}

// PodWaiting says why a pod has not started its containers, if it is a
// reason a user must act on: unschedulable, or a container that cannot be
// pulled or created. Empty when the pod is fine or merely starting.
func PodWaiting(pod *corev1.Pod) (reason, message string) {
	if pod.Status.Phase != corev1.PodPending {
		return "", ""
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Reason, c.Message
		}
	}
	for _, cs := range ContainerStatuses(pod) {
		if w := cs.State.Waiting; w != nil && waitingReasons[w.Reason] {
			return w.Reason, fmt.Sprintf("container %s: %s", cs.Name, w.Message)
		}
	}
	return "", ""
}
