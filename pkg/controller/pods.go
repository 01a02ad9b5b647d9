package controller

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// Why a Job failed, or why it does not start, is in its pods: the run
// watches them through one more informer filtered by the run's label (the
// pod template carries it), stripped to what a diagnosis reads, and
// indexed by their Job.

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

const podJobIndex = "job"

// PodJobName is the Job a pod belongs to: its controller.
func PodJobName(pod *corev1.Pod) string {
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil && ref.Kind == "Job" {
		return ref.Name
	}
	return ""
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

// podIndexers index pods by their Job.
var podIndexers = cache.Indexers{podJobIndex: func(obj interface{}) ([]string, error) {
	if pod, ok := obj.(*corev1.Pod); ok {
		if name := PodJobName(pod); name != "" {
			return []string{name}, nil
		}
	}
	return nil, nil
}}

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

// watchPods wires the optional pod informer: its handler only enqueues,
// and only for a pod that failed or waits for a reason worth telling.
func (c *Controller) watchPods() error {
	c.cache.podsSynced = func() bool { return true }
	if c.opts.Pods == nil {
		return nil
	}
	inf := c.opts.Pods.Informer()
	if err := inf.AddIndexers(podIndexers); err != nil {
		return err
	}
	c.cache.pods, c.cache.podsSynced = inf.GetIndexer(), inf.HasSynced
	telling := func(obj interface{}) {
		if pod, ok := obj.(*corev1.Pod); ok {
			if reason, _ := PodWaiting(pod); reason != "" || pod.Status.Phase == corev1.PodFailed ||
				(c.flow.any && pod.Status.Phase == corev1.PodSucceeded) {
				c.queue.Add(c.runID)
			}
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    telling,
		UpdateFunc: func(_, cur interface{}) { telling(cur) },
	})
	return err
}

func (c *Controller) podsOf(u *unit) []*corev1.Pod {
	objs, _ := c.cache.pods.ByIndex(podJobIndex, u.name)
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
	}
	return pods
}

// diagnose reads the pods of Jobs that failed (before anything of them is
// deleted: the record keeps what was found) and says, once per reason,
// why a running Job's pod has not started.
func (c *Controller) diagnose(ctx context.Context) {
	if c.cache.pods == nil {
		return
	}
	now := c.now()
	for _, u := range c.liveUnits() {
		switch {
		case u.state == unitFailed && !u.inRecord.final && u.pods == nil && u.uid != "":
			u.pods = PodFailures(c.podsOf(u))
			c.fillLogTails(ctx, u.pods)
		case u.state == unitActive:
			for _, pod := range c.podsOf(u) {
				reason, msg := PodWaiting(pod)
				if reason == "" || reason == u.said.waiting {
					continue
				}
				if wait := PendingAfter - now.Sub(pod.CreationTimestamp.Time); wait > 0 {
					c.queue.AddAfter(c.runID, wait)
					continue
				}
				u.said.waiting = reason
				c.printf("waiting: %s/%s (Job %s): pod %s %s: %s\n", u.job.Phase, u.job.Name, u.name, pod.Name, reason, msg)
				break
			}
		}
	}
}
