package controller

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	core "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// blockingLogs serves the controller's pods/log reads from an HTTP server
// (the fake clientset answers them while holding its lock) where every
// read waits until release is closed (at the test's end at the latest) or
// the reader gives up; asked gets one value per read.
func blockingLogs(t *testing.T, f *fixture) (asked chan string, release chan struct{}) {
	asked, release = make(chan string, 16), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.URL.Path
		select {
		case <-release:
			_, _ = io.WriteString(w, "row 1\nrow 2\nboom\n")
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	rc, err := rest.RESTClientFor(&rest.Config{Host: srv.URL, APIPath: "/api", ContentConfig: rest.ContentConfig{
		GroupVersion: &corev1.SchemeGroupVersion, NegotiatedSerializer: scheme.Codecs.WithoutConversion()}})
	if err != nil {
		t.Fatal(err)
	}
	f.c.client = logsFrom{f.client, rc}
	return asked, release
}

// logsFrom is a clientset whose pods/log reads go to rest.
type logsFrom struct {
	kubernetes.Interface
	rest rest.Interface
}

func (c logsFrom) CoreV1() corev1client.CoreV1Interface {
	return logsCore{c.Interface.CoreV1(), c.rest}
}

type logsCore struct {
	corev1client.CoreV1Interface
	rest rest.Interface
}

func (c logsCore) Pods(ns string) corev1client.PodInterface {
	return logsPods{c.CoreV1Interface.Pods(ns), c.rest, ns}
}

type logsPods struct {
	corev1client.PodInterface
	rest rest.Interface
	ns   string
}

func (p logsPods) GetLogs(name string, opts *corev1.PodLogOptions) *rest.Request {
	return p.rest.Get().Namespace(p.ns).Resource("pods").Name(name).SubResource("log").VersionedParams(opts, scheme.ParameterCodec)
}

// A failed Job's log tail that does not come holds that Job's line, its
// record entry and the run's end, and nothing else: the other Jobs finish
// and their successors are created while the read waits. When it comes,
// the line goes out with its tail, in its place.
//
//	phase p0:   a (fails)    b --> c
func TestLogTailStallsNoOtherJob(t *testing.T) {
	var out bytes.Buffer
	var created []string
	f := newFixture(t, withPolicy(testModel(t, 0, false, []string{"a", "b", "c<-b"}), config.PolicyContinue),
		func(o *Options) { o.LogLines = 2 }, progressTo(&out))
	onTransition := f.c.opts.OnTransition
	f.c.opts.OnTransition = func(tr runmeta.Transition) {
		if tr.State == runmeta.StateRunning {
			created = append(created, tr.Job)
		}
		onTransition(tr)
	}
	asked, release := blockingLogs(t, f)
	f.sync()
	a, b := f.c.nodes[0].units[0], f.c.nodes[1].units[0]
	f.failPod(a.name, 0)
	f.finishName(a.name, false)
	f.syncOnly() // returns while the read waits
	<-asked
	f.now = f.now.Add(2 * time.Second)
	f.finishName(b.name, true)
	f.syncOnly()
	if !eq(created, []string{"a", "b", "c"}) {
		t.Fatalf("created %v while a's tail was read, want c created too", created)
	}
	if strings.Contains(out.String(), "FAILED") || strings.Contains(out.String(), "succeeded") {
		t.Errorf("lines after a's failure went out before its diagnosis:\n%s", out.String())
	}
	if jr := f.c.rec().Jobs[a.name]; jr != nil && jr.Result != record.JobCreated {
		t.Errorf("a was recorded (%s) before its tail came", jr.Result)
	}
	close(release)
	f.c.tails.wg.Wait()
	f.finishName(f.c.nodes[2].units[0].name, true)
	f.now = f.now.Add(2 * time.Second)
	f.sync()
	want := "[     +0s] created   p0/b (Job " + b.name + ")\n" +
		"[     +0s] FAILED    p0/a (Job " + a.name + "): BackoffLimitExceeded: \n" +
		"           pod " + a.name + "-x1 container main: exit code 2 (Error): input is empty\n" +
		"             last log lines:\n             | row 2\n             | boom\n" +
		"[     +2s] succeeded p0/b (Job " + b.name + ") in 2s\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("the progress lacks a's line with its tail, in its place:\n%s\nwant within it:\n%s", out.String(), want)
	}
	r := f.c.end.result
	if r == nil || r.Failure == nil || len(r.Failure.Pods) != 1 || strings.Join(r.Failure.Pods[0].LogTail, ",") != "row 2,boom" {
		t.Fatalf("result %+v, want a's failure with its tail", r)
	}
	if jr := f.c.rec().Jobs[a.name]; jr == nil || len(jr.Pods) != 1 || len(jr.Pods[0].LogTail) != 2 {
		t.Errorf("the record has a as %+v, want its tail", jr)
	}
}

// A tail that does not come within its bound is given up: the diagnosis
// goes out without it and the run ends. Here every reader is busy.
func TestLogTailBound(t *testing.T) {
	var out bytes.Buffer
	f := newFixture(t, testModel(t, 0, false, []string{"a"}), func(o *Options) { o.LogLines = 2 }, progressTo(&out))
	f.c.tails.bound = 50 * time.Millisecond
	for range maxTailReads {
		f.c.tails.slots <- struct{}{}
	}
	f.sync()
	a := f.c.nodes[0].units[0]
	f.failPod(a.name, 0)
	f.finishName(a.name, false)
	start := time.Now()
	f.sync()
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the read was given up after %s, want its 50ms bound", waited)
	}
	f.sync()
	if r := f.c.end.result; r == nil || r.Failure == nil || len(r.Failure.Pods) != 1 || r.Failure.Pods[0].LogTail != nil {
		t.Fatalf("result %+v, want a's failure without a tail", r)
	}
	if !strings.Contains(out.String(), "FAILED    p0/a") || !strings.Contains(out.String(), "exit code 2 (Error): input is empty\n") {
		t.Errorf("the diagnosis did not go out:\n%s", out.String())
	}
}

// pods/log refused: one warning, and no more reads for later failures.
func TestLogTailForbidden(t *testing.T) {
	var out bytes.Buffer
	f := newFixture(t, withPolicy(testModel(t, 0, false, []string{"a", "b"}), config.PolicyContinue),
		func(o *Options) { o.LogLines = 2 }, progressTo(&out))
	asks := 0
	f.client.PrependReactor("get", "pods", func(a core.Action) (bool, k8sruntime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		asks++
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "p", nil)
	})
	f.sync()
	for _, n := range f.c.nodes {
		f.failPod(n.units[0].name, 0)
		f.finishName(n.units[0].name, false)
		f.sync()
	}
	f.sync()
	if asks != 1 {
		t.Errorf("asked for %d logs, want 1", asks)
	}
	if n := strings.Count(out.String(), "warning: cannot read pod logs"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, out.String())
	}
	if f.c.end.result == nil || strings.Count(out.String(), "exit code 2") != 2 {
		t.Errorf("the run did not end with both diagnoses:\n%s", out.String())
	}
}

// Run waits for a log tail read in flight: it returns only once the read
// has stopped, and leaves no goroutine.
func TestRunWaitsForLogTailReads(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a"}), func(o *Options) { o.LogLines = 2 })
	asked, _ := blockingLogs(t, f)
	before := goleak.IgnoreCurrent() // the log server's
	cancel, done := runInBackground(f)
	name := f.c.nodes[0].units[0].name
	var job *metav1.ObjectMeta
	deadline := time.Now().Add(10 * time.Second)
	for job == nil && time.Now().Before(deadline) {
		if j, err := f.client.BatchV1().Jobs("ns").Get(f.ctx, name, metav1.GetOptions{}); err == nil {
			job = &j.ObjectMeta
		}
		time.Sleep(10 * time.Millisecond)
	}
	if job == nil {
		t.Fatal("the run created no Job")
	}
	pod := failedPod(name, job.UID, f.now)
	if _, err := f.client.CoreV1().Pods("ns").Create(f.ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := f.factory.Core().V1().Pods().Informer().GetIndexer()
	for _, ok, _ := pods.GetByKey("ns/" + pod.Name); !ok; _, ok, _ = pods.GetByKey("ns/" + pod.Name) {
		if time.Now().After(deadline) {
			t.Fatal("the pod never reached the run's pod cache")
		}
		time.Sleep(10 * time.Millisecond) // the Job's failure must find its pod there
	}
	j, err := f.client.BatchV1().Jobs("ns").Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	j.ResourceVersion = "2" // the fake keeps none: the handler would take the update for a resync
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}}
	if _, err := f.client.BatchV1().Jobs("ns").UpdateStatus(f.ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the failed Job's log was never asked for")
	}
	// The read ends with the context; its hand-back waits for the lock.
	f.c.tails.mu.Lock()
	cancel()
	select {
	case err := <-done:
		f.c.tails.mu.Unlock()
		t.Fatalf("Run returned (%v) while a log tail read was in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	f.c.tails.mu.Unlock()
	waitRunCancelled(t, done, "after the read ended")
	if len(stillRunning("(*Controller).readTailsOffSync.func")) > 0 {
		t.Errorf("a log tail read is still running after Run returned")
	}
	f.factory.Shutdown()
	goleak.VerifyNone(t, before)
}

// failedPod is a pod of Job name whose container main exited 2.
func failedPod(name string, uid types.UID, now time.Time) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-x1", Namespace: "ns", CreationTimestamp: metav1.NewTime(now),
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: name, UID: uid, Controller: ptrTrue()}}},
		Status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{Name: "main",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}}}}}
}
