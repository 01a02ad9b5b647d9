package kueue

import (
	"context"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// A plain Job with a queue name is suspended on create, admitted by Kueue,
// runs and completes: the test bed's Kueue works.
func TestKueueAdmitsJob(t *testing.T) {
	cp := requireKueue(t)
	ns := cp.NewNamespace(t)
	cp.NewKueueQueue(t, ns, "q-"+ns, "2")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	job := framework.NewJob(ns, "a", framework.PodScript{Duration: time.Second})
	job.Labels = map[string]string{framework.KueueQueueLabel: "q-" + ns}
	job.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	created, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !ptr.Deref(created.Spec.Suspend, false) {
		t.Fatalf("Job created with spec.suspend %v, want true (Kueue's webhook)", created.Spec.Suspend)
	}
	done, err := cp.WaitForJob(ctx, ns, "a", func(j *batchv1.Job) bool { _, ok := framework.JobFinished(j); return ok })
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := framework.JobFinished(done); c != batchv1.JobComplete || ptr.Deref(done.Spec.Suspend, true) {
		t.Fatalf("Job finished %s with suspend %v, want Complete and admitted", c, done.Spec.Suspend)
	}
}
