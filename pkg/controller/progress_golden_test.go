package controller

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	core "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/runctl"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

var updateGolden = flag.Bool("update", false, "write testdata/progress/*.golden from this run")

// TestProgressGolden holds the run's progress lines byte for byte: random
// runs (failures with their pods and log tails, refused creates, reverts,
// the finally phase, a foreign Job, a cancel) against the lines they
// printed when the controller still formatted them itself.
func TestProgressGolden(t *testing.T) {
	models := []struct {
		name    string
		phases  [][]string
		finally bool
	}{
		{"lattice", [][]string{{"a", "b", "c<-a,b", "d<-b", "e<-c,d", "f<-e?all_done"}, {"g", "h<-g"}}, false},
		{"rules-and-reverts", [][]string{{"a!", "b<-a!", "c<-a?one_failed", "d<-a,b?all_done", "dir:e:3"}, {"f!", "g<-f"}, {"h", "i?all_done"}}, true},
		{"directories", [][]string{{"dir:a:3", "dir:b:2<-a", "c<-b"}, {}, {"d", "dir:e:2<-d"}}, false},
	}
	for seed := int64(0); seed < 12; seed++ {
		rng := rand.New(rand.NewSource(seed))
		mt := models[seed%int64(len(models))]
		policy := []string{config.PolicyStop, config.PolicyAbort, config.PolicyContinue}[seed/3%3]
		par, cleanup := rng.Intn(3), rng.Intn(2) == 0
		name := fmt.Sprintf("%s-seed%d-%s", mt.name, seed, policy)
		t.Run(name, func(t *testing.T) {
			m := withPolicy(testModel(t, par, cleanup, mt.phases...), policy)
			if mt.finally {
				m.Options.FinallyPhase = m.Phases[len(m.Phases)-1].Name
				buildGraph(t, m)
			}
			f, out := newGoldenFixture(t, m, seed)
			cancelAt := -1
			if seed%4 == 3 {
				cancelAt = 3
			}
			for step := 0; f.c.end.result == nil; step++ {
				if step > 200 {
					t.Fatalf("the run does not end:\n%s", out)
				}
				if step == cancelAt {
					if _, err := runctl.CancelRun(f.ctx, f.client, "ns", "r1", "golden", f.now, time.Second); err != nil {
						t.Fatal(err)
					}
				}
				f.sync()
				f.now = f.now.Add(time.Duration(rng.Intn(1500)) * time.Millisecond)
				for _, jn := range unfinished(f) {
					if rng.Intn(2) == 0 {
						ok := rng.Float64() >= 0.25
						if !ok {
							f.failPod(jn, rng.Intn(3))
						}
						f.finishName(jn, ok)
					}
				}
			}
			compareGolden(t, filepath.Join("testdata", "progress", name+".golden"), out.Bytes())
		})
	}
}

// newGoldenFixture is a fixture whose run watches pods and reads 2 log
// lines of each failed container; some creates are refused for good, and a
// foreign Job carries the run's label.
func newGoldenFixture(t *testing.T, m *config.Model, seed int64) (*fixture, *bytes.Buffer) {
	var out bytes.Buffer
	f := newFixture(t, m, func(o *Options) { o.LogLines = 2 }, progressTo(&out))
	f.client.PrependReactor("create", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		name := a.(core.CreateAction).GetObject().(*batchv1.Job).Name
		h := fnv.New32a()
		_, _ = h.Write([]byte(name))
		if h.Sum32()%11 != 0 {
			return false, nil, nil
		}
		return true, nil, apierrors.NewInvalid(batchv1.SchemeGroupVersion.WithKind("Job").GroupKind(), name, nil)
	})
	f.client.PrependReactor("get", "pods", func(a core.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		if a.(core.GenericAction).GetValue().(*corev1.PodLogOptions).Container == "unreachable" {
			return true, nil, fmt.Errorf("kubelet unreachable")
		}
		return true, &runtime.Unknown{Raw: []byte("reading input\nopened " + a.(core.GenericAction).GetValue().(*corev1.PodLogOptions).Container + "\nboom\n")}, nil
	})
	if seed%2 == 1 {
		foreign := manifest()
		foreign.Name, foreign.Namespace = "someone-elses", "ns"
		foreign.Labels = map[string]string{runmeta.LabelRun: "r1"}
		if _, err := f.client.BatchV1().Jobs("ns").Create(f.ctx, foreign, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return f, &out
}

// failPod puts a failed pod of Job name into the pod cache: its container
// exited 2 (kind 0), its container's log cannot be read (kind 1), or it
// never ran a container (kind 2).
func (f *fixture) failPod(name string, kind int) {
	f.t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-x1", Namespace: "ns", UID: "pod-" + typesUID(name),
		CreationTimestamp: metav1.NewTime(f.now),
		OwnerReferences:   []metav1.OwnerReference{{Kind: "Job", Name: name, Controller: ptrTrue()}}},
		Status: corev1.PodStatus{Phase: corev1.PodFailed}}
	switch kind {
	case 0, 1:
		container := []string{"main", "unreachable"}[kind]
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: container,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", Message: "input is empty"}}}}
	default:
		pod.Status.Reason, pod.Status.Message = "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
	}
	if err := f.factory.Core().V1().Pods().Informer().GetIndexer().Add(pod); err != nil {
		f.t.Fatal(err)
	}
}

func ptrTrue() *bool { b := true; return &b }

// progressTo writes a run's progress to w as pkg/cli does: the
// controller's events through render.Progress.
func progressTo(w io.Writer) func(*Options) {
	p := render.NewProgress(w)
	return func(o *Options) { o.OnTransition, o.OnNote, o.OnDiagnosis = p.Transition, p.Note, p.Diagnosis }
}

// compareGolden compares got with the file at path (go test -update writes it).
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the progress differs\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
