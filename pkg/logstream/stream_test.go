package logstream

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// syncBuffer is a strings.Builder safe for the streams' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// followCluster holds a run (its head says result) with one started pod.
func followCluster(t *testing.T, result string) *fake.Clientset {
	t.Helper()
	const ns, runID = "data", "r-1"
	rec := &record.Record{Version: 1, RunID: runID, Fingerprint: "f", StartedAt: 1, Result: result,
		Plan: []record.PlanJob{{Phase: "p", Job: "a", KubernetesJobs: []string{"a-1"}}}}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: record.Name(runID), Namespace: ns,
		Labels: map[string]string{record.LabelRun: runID}}}
	if err := record.Encode(cm, rec); err != nil {
		t.Fatal(err)
	}
	yes := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "a-1-x", Namespace: ns, Labels: map[string]string{record.LabelRun: runID},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "a-1", Controller: &yes}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}}}},
	}
	return fake.NewClientset(cm, pod)
}

// Follow asks the record's head (one GET) whether the run ended, never
// LISTs the record or the Jobs, and returns once every log is read.
func TestFollowEndsWithTheRun(t *testing.T) {
	client := followCluster(t, record.ResultSucceeded)
	var out syncBuffer
	p := NewPrinter(&out, []report.JobStatus{{JobInModel: report.JobInModel{Phase: "p", Job: "a"}, KubernetesJob: "a-1"}}, false)
	s := NewStreamer(client, "data", "r-1", p, Options{Tail: -1}, io.Discard)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "p/a fake logs\n" {
		t.Errorf("output %q", got)
	}
	for _, a := range client.Actions() {
		if a.GetVerb() == "list" && a.GetResource().Resource != "pods" {
			t.Errorf("follow listed %s: the head's GET tells whether the run ended", a.GetResource().Resource)
		}
	}
}
