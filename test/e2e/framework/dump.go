package framework

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Dump logs what a failed test needs to see: the Jobs and Pods of ns, its
// recent Events, the node, and the tail of every component's log.
func (cp *ControlPlane) Dump(t testing.TB, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "===== dump of namespace %s (control plane dir %s)\n", ns, cp.Dir)

	if jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "list jobs: %v\n", err)
	} else {
		fmt.Fprintf(&b, "--- %d jobs\n", len(jobs.Items))
		for i := range jobs.Items {
			dumpJob(&b, &jobs.Items[i])
		}
	}
	if pods, err := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "list pods: %v\n", err)
	} else {
		fmt.Fprintf(&b, "--- %d pods\n", len(pods.Items))
		for i := range pods.Items {
			dumpPod(&b, &pods.Items[i])
		}
	}
	if events, err := cp.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "list events: %v\n", err)
	} else {
		items := events.Items
		sort.Slice(items, func(i, j int) bool { return eventTime(&items[i]).Before(eventTime(&items[j])) })
		if len(items) > 60 {
			items = items[len(items)-60:]
		}
		fmt.Fprintf(&b, "--- last %d of %d events\n", len(items), len(events.Items))
		for _, e := range items {
			fmt.Fprintf(&b, "%s %s %s/%s %s: %s (x%d)\n", eventTime(&e).Format("15:04:05.000"), e.Type,
				e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message, max(e.Count, 1))
		}
	}
	if node, err := cp.Client.CoreV1().Nodes().Get(ctx, FakeNodeName, metav1.GetOptions{}); err != nil {
		fmt.Fprintf(&b, "get node: %v\n", err)
	} else {
		fmt.Fprintf(&b, "--- node %s taints=%v\n", node.Name, node.Spec.Taints)
		for _, c := range node.Status.Conditions {
			fmt.Fprintf(&b, "  %s=%s (%s, heartbeat %s)\n", c.Type, c.Status, c.Reason, c.LastHeartbeatTime.Format(time.RFC3339))
		}
	}
	t.Log(b.String())

	for _, name := range []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler, Kwok} {
		path := filepath.Join(cp.Dir, "logs", name+".log")
		t.Logf("===== last 100 lines of %s\n%s", path, tailFile(path, 100))
	}
}

func dumpJob(b *strings.Builder, j *batchv1.Job) {
	fmt.Fprintf(b, "job %s labels=%v created=%s active=%d ready=%d succeeded=%d failed=%d terminating=%d\n",
		j.Name, j.Labels, j.CreationTimestamp.Format("15:04:05"), j.Status.Active, deref(j.Status.Ready),
		j.Status.Succeeded, j.Status.Failed, deref(j.Status.Terminating))
	for _, c := range j.Status.Conditions {
		fmt.Fprintf(b, "  %s=%s reason=%s at %s: %s\n", c.Type, c.Status, c.Reason,
			c.LastTransitionTime.Format("15:04:05"), c.Message)
	}
}

func dumpPod(b *strings.Builder, p *corev1.Pod) {
	deleting := ""
	if p.DeletionTimestamp != nil {
		deleting = " deleting"
	}
	fmt.Fprintf(b, "pod %s labels=%v phase=%s node=%q%s finalizers=%v\n",
		p.Name, p.Labels, p.Status.Phase, p.Spec.NodeName, deleting, p.Finalizers)
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(b, "  %s=%s %s\n", c.Type, c.Status, c.Reason)
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch s := cs.State; {
		case s.Terminated != nil:
			fmt.Fprintf(b, "  container %s terminated exit=%d reason=%s\n", cs.Name, s.Terminated.ExitCode, s.Terminated.Reason)
		case s.Running != nil:
			fmt.Fprintf(b, "  container %s running since %s\n", cs.Name, s.Running.StartedAt.Format("15:04:05"))
		case s.Waiting != nil:
			fmt.Fprintf(b, "  container %s waiting %s\n", cs.Name, s.Waiting.Reason)
		}
	}
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	default:
		return e.CreationTimestamp.Time
	}
}

func deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
