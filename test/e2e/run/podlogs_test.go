package run

import (
	"context"
	"io"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// The framework gives fake pods logs (kwok's kubelet server behind the API
// server's pods/log): what the other log tests build on.
func TestFakePodLogs(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	cp.SetContainerLogs(t, ns, map[string][]string{"main": {"first line", "second line", "third line"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job := framework.NewJob(ns, "talker", framework.PodScript{Duration: 0, Fail: true, ExitCode: 3})
	job.Spec.BackoffLimit = ptr(int32(0))
	if _, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.WaitForJob(ctx, ns, "talker", func(j *batchv1.Job) bool { _, done := framework.JobFinished(j); return done }); err != nil {
		t.Fatal(err)
	}
	pods, err := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=talker"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("pods of talker: %v (%d)", err, len(pods.Items))
	}
	for _, tc := range []struct {
		tail *int64
		want string
	}{
		{nil, "first line\nsecond line\nthird line\n"},
		{ptr(int64(2)), "second line\nthird line\n"},
	} {
		rc, err := cp.Client.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{Container: "main", TailLines: tc.tail}).Stream(ctx)
		if err != nil {
			t.Fatalf("logs of %s: %v", pods.Items[0].Name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != tc.want {
			t.Errorf("logs (tail %v) = %q, %v; want %q", tc.tail, got, err, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
