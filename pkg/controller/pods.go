package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Why a Job failed, or why it does not start, is in its pods: the run
// watches them through one more informer filtered by the run's label (the
// pod template carries it), stripped to what a diagnosis reads, and
// indexed by their Job.

const podJobIndex = "job"

// podIndexers index pods by their Job.
var podIndexers = cache.Indexers{podJobIndex: func(obj interface{}) ([]string, error) {
	if pod, ok := obj.(*corev1.Pod); ok {
		if name := runmeta.PodJobName(pod); name != "" {
			return []string{name}, nil
		}
	}
	return nil, nil
}}

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
			if reason, _ := runmeta.PodWaiting(pod); reason != "" || pod.Status.Phase == corev1.PodFailed ||
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
// deleted: the record keeps what was found; their log tails are read off
// the sync, tails.go) and says, once per reason, why a running Job's pod
// has not started.
func (c *Controller) diagnose(ctx context.Context) {
	if c.cache.pods == nil {
		return
	}
	c.joinTails()
	now := c.now()
	for _, u := range c.liveUnits() {
		switch {
		case u.state == unitFailed && !u.inRecord.final && u.pods == nil && u.uid != "":
			u.pods = runmeta.PodFailures(c.podsOf(u))
			c.readTailsOffSync(ctx, u)
		case u.state == unitActive:
			for _, pod := range c.podsOf(u) {
				reason, msg := runmeta.PodWaiting(pod)
				if reason == "" || reason == u.said.waiting {
					continue
				}
				if wait := runmeta.PendingAfter - now.Sub(pod.CreationTimestamp.Time); wait > 0 {
					c.queue.AddAfter(c.runID, wait)
					continue
				}
				u.said.waiting = reason
				c.note(runmeta.NoteWaiting, "waiting: %s/%s (Job %s): pod %s %s: %s\n", u.job.Phase, u.job.Name, u.name, pod.Name, reason, msg)
				break
			}
		}
	}
}
