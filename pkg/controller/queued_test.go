package controller

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	core "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// A Job that a queue (Kueue) holds suspended: the label is set, spec.suspend
// is never written by the run, the Job is queued (not running) until
// admitted, its successor waits, and the report splits its time.
func TestQueuedJob(t *testing.T) {
	m := testModel(t, 0, false, []string{"a", "b<-a"})
	m.Options.Queue = "team"
	f := newFixture(t, m)
	// Kueue's webhook: a Job with a queue is created suspended.
	f.client.PrependReactor("create", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		if j := a.(core.CreateAction).GetObject().(*batchv1.Job); j.Labels[runmeta.QueueLabel] != "" {
			j.Spec.Suspend = ptr.To(true)
		}
		return false, nil, nil
	})
	var states []string
	f.c.opts.OnTransition = func(tr runmeta.Transition) {
		if tr.Job == "a" {
			states = append(states, tr.State+":"+tr.Reason)
		}
	}
	f.sync()
	a, err := f.client.BatchV1().Jobs("ns").Get(f.ctx, f.c.units[0].name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Labels[runmeta.QueueLabel] != "team" || a.Spec.Template.Labels[runmeta.QueueLabel] != "" {
		t.Fatalf("Job labels %v, pod labels %v: want the queue on the Job only", a.Labels, a.Spec.Template.Labels)
	}
	for _, act := range f.client.Actions() {
		if act.GetResource().Resource != "jobs" {
			continue
		}
		// The one patch allowed releases the run's finalizer (finalizer.go).
		if p, ok := act.(core.PatchAction); ok && !strings.Contains(string(p.GetPatch()), "suspend") {
			continue
		}
		if act.GetVerb() == "update" || act.GetVerb() == "patch" {
			t.Fatalf("the run wrote %s %s: spec.suspend is Kueue's", act.GetVerb(), act.GetResource().Resource)
		}
	}
	created := a.CreationTimestamp.Time
	f.sync()
	if got := f.c.units[0].stateName(); got != runmeta.StateQueued {
		t.Fatalf("state %s, want queued", got)
	}

	f.now = f.now.Add(5 * time.Second) // admitted 5 s after its creation
	a.Spec.Suspend = ptr.To(false)
	a.Status.StartTime = ptr.To(metav1.NewTime(f.now))
	if _, err = f.client.BatchV1().Jobs("ns").Update(f.ctx, a, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync()
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Fatalf("created %v while a runs, want nothing", got)
	}
	f.now = f.now.Add(3 * time.Second)
	f.finish("a", true)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"b"}) {
		t.Fatalf("created %v, want b", got)
	}
	// created (running), held (queued), admitted (running), done
	want := []string{"running:", "queued:Suspended", "running:", "succeeded:"}
	if strings.Join(states, " ") != strings.Join(want, " ") {
		t.Errorf("transitions of a %v, want %v", states, want)
	}
	jr, _ := f.c.jobReport(f.c.units[0])
	if jr.Queued != 5*time.Second || jr.Run != f.now.Sub(created) {
		t.Errorf("report: queued %s of run %s, want 5s of %s", jr.Queued, jr.Run, f.now.Sub(created))
	}
}
