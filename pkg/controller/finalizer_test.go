package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	core "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// jobOnServer is the named Job as the fake API server holds it.
func (f *fixture) jobOnServer(name string) *batchv1.Job {
	f.t.Helper()
	j, err := f.client.BatchV1().Jobs("ns").Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("Job %s: %v", name, err)
	}
	return j
}

// verbs lists the sync's requests on jobs and configmaps, in order.
func (f *fixture) verbs() []string {
	var out []string
	for _, a := range f.client.Actions() {
		if r := a.GetResource().Resource; r == "jobs" || r == "configmaps" {
			out = append(out, a.GetVerb()+" "+r)
		}
	}
	return out
}

// A Job is created with the run's finalizer, which is released by a patch
// only after the record write that holds the Job.
func TestFinalizerReleasedAfterTheRecordWrite(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a"}))
	f.sync()
	var created *batchv1.Job
	for _, a := range f.client.Actions() {
		if a.GetVerb() == "create" && a.GetResource().Resource == "jobs" {
			created = a.(core.CreateAction).GetObject().(*batchv1.Job)
		}
	}
	if created == nil || !slices.Equal(created.Finalizers, []string{runmeta.FinalizerUnrecorded}) {
		t.Fatalf("created Job %v, want it created with finalizer %s", created, runmeta.FinalizerUnrecorded)
	}
	if got, want := strings.Join(f.verbs(), ", "), "create jobs, update configmaps, patch jobs"; got != want {
		t.Errorf("requests %q, want %q: the release follows the record write", got, want)
	}
	name := f.c.units[0].name
	if j := f.jobOnServer(name); len(j.Finalizers) != 0 {
		t.Errorf("finalizers %v left after the record holds the Job", j.Finalizers)
	}
	if jr := f.c.rec().Jobs[name]; jr == nil || jr.Result != record.JobCreated {
		t.Errorf("record entry %+v, want Created", jr)
	}
	f.sync()
	if got := f.actions("patch", "jobs"); len(got) != 0 {
		t.Errorf("released again: %v", got)
	}
}

// A release that fails is issued again by a later sync.
func TestFailedReleaseIsRetried(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a"}))
	fails := 1
	f.client.PrependReactor("patch", "jobs", func(core.Action) (bool, runtime.Object, error) {
		if fails > 0 {
			fails--
			return true, nil, apierrors.NewInternalError(fmt.Errorf("etcd hiccup"))
		}
		return false, nil, nil
	})
	f.sync() // creates a, records it; the release fails in the background
	if j := f.jobOnServer(f.c.units[0].name); len(j.Finalizers) != 1 {
		t.Fatalf("finalizers %v, want the failed release to leave it", j.Finalizers)
	}
	f.sync()
	if got := f.actions("patch", "jobs"); len(got) != 1 {
		t.Errorf("%d patches on the next sync, want the release issued again", len(got))
	}
	if j := f.jobOnServer(f.c.units[0].name); len(j.Finalizers) != 0 {
		t.Errorf("finalizers %v left", j.Finalizers)
	}
}

// A resume after a kill between a create and the record write that follows
// it tells every case apart by the Job the kill left: none (create it),
// there (adopt it), being deleted (someone deleted it while no orchestrator
// ran: fail the job, never create it again), being deleted but complete
// (it succeeded), and a Job of an earlier version without the finalizer.
//
//	phase p0:   a --> b
func TestResumeAfterKillInTheWindow(t *testing.T) {
	for _, tc := range []struct {
		name        string
		left        string // the Job a's process left: "", "running", "deleting", "complete-deleting", "old"
		wantCreates []string
		wantA       unitState
		wantPatch   bool
	}{
		{"killed before the create", "", []string{"a"}, unitActive, true},
		{"killed after the create", "running", nil, unitActive, true},
		{"deleted while no orchestrator ran", "deleting", nil, unitFailed, true},
		{"complete, then deleted", "complete-deleting", []string{"b"}, unitSucceeded, true},
		{"an earlier version's Job", "old", nil, unitActive, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a"}))
			a := f.c.units[0]
			if tc.left != "" {
				j := f.c.newJob(a)
				now := metav1.NewTime(f.now)
				switch tc.left {
				case "complete-deleting":
					j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now}}
					fallthrough
				case "deleting":
					j.DeletionTimestamp = &now
				case "old":
					j.Finalizers = nil
				}
				if _, err := f.client.BatchV1().Jobs("ns").Create(f.ctx, j, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			f.restart(f.c.model, false) // a new process: nothing of a in its record
			f.sync()
			if got := f.actions("create", "jobs"); !eq(got, tc.wantCreates) {
				t.Errorf("created %v, want %v", got, tc.wantCreates)
			}
			a = f.c.units[0]
			if a.state != tc.wantA {
				t.Fatalf("a is %v, want %v", a.state, tc.wantA)
			}
			if tc.wantA == unitFailed && (a.reason != "Deleted" || !strings.Contains(a.message, "was deleted while no orchestrator of the run was running")) {
				t.Errorf("a failed with %s: %s, want Deleted while no orchestrator ran", a.reason, a.message)
			}
			if jr := f.c.rec().Jobs[a.name]; jr == nil {
				t.Errorf("the record does not hold a")
			}
			if got := f.actions("patch", "jobs"); len(got) > 0 != tc.wantPatch {
				t.Errorf("patches %v, want a release: %v", got, tc.wantPatch)
			}
			if j, err := f.client.BatchV1().Jobs("ns").Get(f.ctx, a.name, metav1.GetOptions{}); err == nil && runmeta.HasFinalizer(j) {
				t.Errorf("a's Job still carries the finalizer once recorded")
			}
			if tc.wantA == unitFailed {
				f.sync()
				if r := f.c.end.result; r == nil || r.Failure == nil || r.Failure.Name != a.name {
					t.Errorf("result %+v, want the run failed naming %s", r, a.name)
				}
			}
		})
	}
}

// A resume releases what an earlier process recorded but was killed
// before releasing: a unit's Job (final in the record, so never observed
// again) and a recorded Job that is no unit of this attempt.
func TestResumeReleasesRecordedJobs(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b"}))
	a := f.c.units[0]
	owned := f.c.newJob(a)
	other := owned.DeepCopy()
	other.Name = "a-of-an-earlier-attempt"
	for _, j := range []*batchv1.Job{owned, other} {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(f.now)}}
		if _, err := f.client.BatchV1().Jobs("ns").Create(f.ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	err := f.c.store.Update(f.ctx, record.Change{Jobs: map[string]*record.JobRecord{
		a.name:     {Job: "a", Phase: "p0", Result: record.JobSucceeded, UID: "uid-" + a.name},
		other.Name: {Job: "a", Phase: "p0", Result: record.JobFailed, UID: "uid-" + other.Name},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.restart(f.c.model, false)
	f.sync()
	for _, name := range []string{a.name, other.Name} {
		if j := f.jobOnServer(name); runmeta.HasFinalizer(j) {
			t.Errorf("Job %s still carries the finalizer", name)
		}
	}
	if got := f.actions("create", "jobs"); !eq(got, []string{"b"}) {
		t.Errorf("created %v, want only b", got)
	}
}

// A Job deleted by someone while the orchestrator runs, before the record
// knew it, is held by the finalizer: the run sees it being deleted and
// fails it at once (it does not wait for it to go), then releases it.
func TestJobDeletedBeforeItWasRecorded(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a"}))
	f.c.opts.RecordInterval = time.Hour
	f.c.work.lastWrite = f.now // the next write is an hour away
	f.sync()
	a := f.c.units[0]
	if a.inRecord.created || !runmeta.HasFinalizer(f.jobOnServer(a.name)) {
		t.Fatalf("a recorded %v, want not yet (the test needs the window)", a.inRecord.created)
	}
	j := f.jobOnServer(a.name)
	now := metav1.NewTime(f.now)
	j.DeletionTimestamp = &now
	if _, err := f.client.BatchV1().Jobs("ns").Update(f.ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync()
	if a.state != unitFailed || a.reason != "Deleted" || !strings.Contains(a.message, "deleted before it finished") {
		t.Errorf("a is %v (%s: %s), want failed as Deleted", a.state, a.reason, a.message)
	}
	if !a.inRecord.final || runmeta.HasFinalizer(f.jobOnServer(a.name)) {
		t.Errorf("a recorded %v, finalizer %v: want recorded, then released", a.inRecord.final, f.jobOnServer(a.name).Finalizers)
	}
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Errorf("created %v after a's deletion", got)
	}
}

// A process told to stop (SIGINT, SIGTERM) records the Jobs it created and
// releases them, also when the run's record is gone (the run was deleted
// with its wrapper Job: nothing can resume it).
func TestStopRecordsAndReleases(t *testing.T) {
	for _, recordGone := range []bool{false, true} {
		t.Run(fmt.Sprintf("recordGone=%v", recordGone), func(t *testing.T) {
			f := newFixture(t, testModel(t, 0, false, []string{"a"}))
			f.c.opts.RecordInterval = time.Hour
			f.c.work.lastWrite = f.now // no record write during the run
			f.sync()
			a := f.c.units[0]
			if a.inRecord.created || !runmeta.HasFinalizer(f.jobOnServer(a.name)) {
				t.Fatalf("a recorded %v, want not yet (the test needs the window)", a.inRecord.created)
			}
			if recordGone {
				if err := f.client.CoreV1().ConfigMaps("ns").Delete(f.ctx, f.c.store.Meta().Name, metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.c.Stop(f.ctx); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if !recordGone && !a.inRecord.created {
				t.Errorf("a not recorded by Stop")
			}
			if runmeta.HasFinalizer(f.jobOnServer(a.name)) {
				t.Errorf("a's Job still carries the finalizer after Stop")
			}
		})
	}
}

// A Job whose run label was removed while no orchestrator ran, after the
// record held it (Created) but before its process released the finalizer
// (killed in between): the filtered informer never shows it again, so the
// resume fails its job from the record and releases the finalizer by the
// recorded UID; it is not created again.
func TestResumeReleasesAJobThatLeftTheRun(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a"}))
	a := f.c.units[0]
	j := f.c.newJob(a)
	j.UID = "uid-a"
	delete(j.Labels, runmeta.LabelRun) // it left the run
	if _, err := f.client.BatchV1().Jobs("ns").Create(f.ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := f.c.store.Update(f.ctx, record.Change{Jobs: map[string]*record.JobRecord{
		a.name: {Job: "a", Phase: "p0", Result: record.JobCreated, UID: "uid-a"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The resumed process's informer is filtered by the run's label: it
	// lists and watches no Job.
	f.client.PrependReactor("list", "jobs", func(core.Action) (bool, runtime.Object, error) {
		return true, &batchv1.JobList{}, nil
	})
	f.client.PrependWatchReactor("jobs", core.DefaultWatchReactor(watch.NewFake(), nil))
	f.restart(f.c.model, false)
	f.sync()
	a = f.c.units[0]
	if a.state != unitFailed || a.reason != "Deleted" || !strings.Contains(a.message, "left the run") {
		t.Fatalf("a is %v (%s: %s), want failed: deleted or left the run", a.state, a.reason, a.message)
	}
	if runmeta.HasFinalizer(f.jobOnServer(a.name)) {
		t.Errorf("the Job that left the run still carries the finalizer")
	}
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Errorf("created %v, want nothing", got)
	}
}
