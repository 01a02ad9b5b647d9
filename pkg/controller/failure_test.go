package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	core "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

func withPolicy(m *config.Model, policy string) *config.Model {
	m.Options.FailurePolicy = policy
	return m
}

// Trigger rules under failure_policy continue:
//
//	phase p0:  a (fails) --> b  all_succeeded: skipped
//	                     --> c  one_failed:    runs
//	           a, b      --> d  all_done:      runs once b is skipped
//	           e                independent:   runs
func TestTriggerRules(t *testing.T) {
	f := newFixture(t, withPolicy(testModel(t, 0, false,
		[]string{"a", "b<-a", "c<-a?one_failed", "d<-a,b?all_done", "e"}), config.PolicyContinue))
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"a", "e"}) {
		t.Fatalf("created %v, want [a e]", got)
	}
	f.finish("a", false)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"c", "d"}) {
		t.Fatalf("created %v, want [c d]", got)
	}
	if s := f.c.units[1].state; s != unitSkipped {
		t.Errorf("b is %v, want skipped", s)
	}
	f.finish("c", true)
	f.finish("d", true)
	f.finish("e", true)
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded || r.Failure == nil || r.Failure.Job != "a" {
		t.Fatalf("result %+v: want the run failed by a", r)
	}
	if !eq(r.Skipped, []string{"b"}) {
		t.Errorf("skipped %v, want [b]", r.Skipped)
	}
}

// failure_policy stop (default) skips what needs success, even when
// independent of the failure; continue runs it.
func TestFailurePolicyStopAndContinue(t *testing.T) {
	for _, tc := range []struct {
		policy string
		want   []string
	}{
		{config.PolicyStop, nil},
		{config.PolicyContinue, []string{"c"}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			f := newFixture(t, withPolicy(testModel(t, 2, false, []string{"a", "b", "c"}), tc.policy))
			f.sync() // a and b (cap 2)
			f.finish("a", false)
			f.sync()
			if got := f.actions("create", "jobs"); !eq(got, tc.want) {
				t.Errorf("created %v after a failed, want %v", got, tc.want)
			}
		})
	}
}

// failure_policy abort deletes the running Jobs with their pods.
func TestFailurePolicyAbort(t *testing.T) {
	f := newFixture(t, withPolicy(testModel(t, 0, false, []string{"a", "b"}, []string{"c"}), config.PolicyAbort))
	f.sync()
	f.finish("a", false)
	f.sync()
	deleted := f.actions("delete", "jobs")
	if len(deleted) != 1 {
		t.Fatalf("deleted %v, want b's Job", deleted)
	}
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	for i := range jobs.Items {
		if jobs.Items[i].Labels[runmeta.LabelJob] == "b" {
			f.c.tracker.deleted(&jobs.Items[i])
			_ = f.client.BatchV1().Jobs("ns").Delete(f.ctx, jobs.Items[i].Name, metav1.DeleteOptions{})
		}
	}
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded {
		t.Fatalf("result %+v, want failed", r)
	}
	if u := f.c.units[1]; u.state != unitFailed || u.reason != "Aborted" {
		t.Errorf("b: %v %s, want failed Aborted", u.state, u.reason)
	}
}

// The finally phase runs after everything else, whatever happened, and its
// failure fails the run.
func TestFinallyPhase(t *testing.T) {
	m := testModel(t, 0, false, []string{"a"}, []string{"b"}, []string{"notify", "report<-notify"})
	m.Options.FinallyPhase = "p2"
	buildGraph(t, m)
	f := newFixture(t, m)
	f.sync()
	f.finish("a", false)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"notify"}) {
		t.Fatalf("created %v after a failed, want the finally phase's notify", got)
	}
	f.finish("notify", true)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"report"}) {
		t.Fatalf("created %v, want report", got)
	}
	f.finish("report", false)
	f.sync()
	if r := f.c.end.result; r == nil || r.Succeeded || !eq(r.Skipped, []string{"b"}) {
		t.Fatalf("result %+v", r)
	}
}

// Reverts run in reverse dependency order once the run failed:
//
//	phase p0:  a! --> b!        (both succeed)
//	phase p1:  c!               (fails: no revert for it)
//
// revert b first, then revert a.
func TestRevertOrder(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a!", "b!<-a"}, []string{"c!"}))
	f.sync()
	f.finish("a", true)
	f.sync()
	f.finish("b", true)
	f.sync()
	f.finish("c", false)
	f.sync()
	created := func() []string {
		var out []string
		for _, a := range f.client.Actions() {
			if a.GetVerb() == "create" && a.GetResource().Resource == "jobs" {
				out = append(out, a.(interface{ GetObject() runtimeObject }).GetObject().(metav1.Object).GetName())
			}
		}
		return out
	}
	got := created()
	if len(got) != 1 || got[0] != f.c.nodes[1].revert.name {
		t.Fatalf("created %v, want only b's revert", got)
	}
	f.finishName(got[0], true)
	f.sync()
	got = created()
	if len(got) != 1 || got[0] != f.c.nodes[0].revert.name {
		t.Fatalf("created %v, want a's revert", got)
	}
	f.finishName(got[0], false) // a failed revert is reported, not fatal to the others
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded || !eq(r.FailedReverts, []string{"a"}) {
		t.Fatalf("result %+v", r)
	}
}

// run_timeout: once passed, the run fails at once and nothing more starts.
func TestRunTimeout(t *testing.T) {
	m := testModel(t, 0, false, []string{"a"}, []string{"b"})
	m.Options.RunTimeout = 5 * time.Second
	f := newFixture(t, m)
	f.sync()
	f.now = f.now.Add(6 * time.Second)
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded || r.Failure == nil || r.Failure.Reason != "DeadlineExceeded" {
		t.Fatalf("result %+v, want DeadlineExceeded", r)
	}
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Errorf("created %v after the deadline", got)
	}
}

// --retry-failed: succeeded Jobs stay done; the failed and never-run ones
// run again under new names; the failed Jobs are kept.
func TestRetryFailed(t *testing.T) {
	m := testModel(t, 0, false, []string{"a", "b"}, []string{"c"})
	f := newFixture(t, m)
	f.sync()
	f.finish("a", true)
	f.finish("b", false)
	f.now = f.now.Add(5 * time.Second)
	f.sync()
	if f.c.end.result == nil || f.c.end.result.Succeeded {
		t.Fatalf("first attempt should fail")
	}
	oldB := f.c.units[1].name

	factory := informers.NewSharedInformerFactory(f.client, 0)
	c2, err := NewController(f.ctx, f.client, factory.Batch().V1().Jobs(), Options{Namespace: "ns", RunID: "r1", Model: m,
		RetryFailed: true, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c2.Prepare(f.ctx); err != nil || res != nil {
		t.Fatalf("Prepare: %v %v", res, err)
	}
	f.c, f.factory = c2, factory
	f.sync()
	got := f.actions("create", "jobs")
	if !eq(got, []string{"b"}) {
		t.Fatalf("retry created %v, want only b", got)
	}
	if f.c.units[1].name == oldB {
		t.Errorf("retried b kept the failed Job's name %s", oldB)
	}
	f.finishName(f.c.units[1].name, true)
	f.sync()
	f.finish("c", true)
	f.sync()
	if r := f.c.end.result; r == nil || !r.Succeeded {
		t.Fatalf("retry result %+v, want success", r)
	}
}

// restart replaces the fixture's controller by a new one on the same fake
// server, as a new orchestrator process would be.
func (f *fixture) restart(m *config.Model, retry bool) {
	f.t.Helper()
	factory := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(f.ctx, f.client, factory.Batch().V1().Jobs(), Options{Namespace: "ns", RunID: "r1", Model: m,
		RetryFailed: retry, Now: func() time.Time { return f.now }})
	if err != nil {
		f.t.Fatal(err)
	}
	if res, err := c.Prepare(f.ctx); err != nil || res != nil {
		f.t.Fatalf("Prepare: %v %v", res, err)
	}
	f.c, f.factory = c, factory
}

// A Job still running when its attempt ended (here by the deadline) is
// kept by the retry: no second Job for it, its successors wait for it, and
// a resume of the interrupted retry acts on the same Jobs.
//
//	phase p0:   a    b (runs past the deadline)
//	phase p1:   c
func TestRetryKeepsRunningJob(t *testing.T) {
	m := testModel(t, 0, false, []string{"a", "b"}, []string{"c"})
	m.Options.RunTimeout = 5 * time.Second
	f := newFixture(t, m)
	f.sync()
	f.finish("a", true)
	f.now = f.now.Add(6 * time.Second)
	f.sync()
	if r := f.c.end.result; r == nil || r.Succeeded || r.Failure.Reason != "DeadlineExceeded" {
		t.Fatalf("first attempt: %+v, want DeadlineExceeded", r)
	}
	oldB := f.c.units[1].name

	f.restart(m, true)
	f.sync()
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Fatalf("retry created %v while b's Job still runs, want nothing", got)
	}
	if f.c.units[1].name != oldB || !f.c.units[1].keptRunning || f.c.units[1].attempt != 1 {
		t.Fatalf("b: name %s attempt %d kept %v, want the running Job %s of attempt 1", f.c.units[1].name, f.c.units[1].attempt, f.c.units[1].keptRunning, oldB)
	}
	stored, err := record.Get(f.ctx, f.client, "ns", "r1") // the retry's plan as written
	if err != nil {
		t.Fatal(err)
	}
	plan := stored.Plan

	// The retry's process dies here; a plain resume takes over.
	f.restart(m, false)
	for i, u := range f.c.units {
		if want := planName(plan, u); u.name != want {
			t.Errorf("unit %d: resumed with name %s, the retry's plan says %s", i, u.name, want)
		}
	}
	f.sync()
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Fatalf("resume created %v, want nothing before b finishes", got)
	}
	f.finishName(oldB, true)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"c"}) {
		t.Fatalf("after b: created %v, want c", got)
	}
	if f.c.units[2].attempt != 2 {
		t.Errorf("c runs as attempt %d, want 2", f.c.units[2].attempt)
	}
	f.finish("c", true)
	f.sync()
	r := f.c.end.result
	if r == nil || !r.Succeeded || r.Attempt != 2 {
		t.Fatalf("retry result %+v, want success in attempt 2", r)
	}
	var kept []string
	for _, j := range r.Jobs {
		if j.Attempt < r.Attempt {
			kept = append(kept, fmt.Sprintf("%s:%v", j.Job, j.KeptRunning))
		}
	}
	if strings.Join(kept, " ") != "a:false b:true" {
		t.Errorf("kept from attempt 1 (job:keptRunning): %q, want a succeeded and b still running", kept)
	}
}

func planName(plan []record.PlanJob, u *unit) string {
	for _, pj := range plan {
		if pj.Job == u.job.Name && !u.revert {
			return pj.KubernetesJobs[0]
		}
	}
	return ""
}

// A directory job held back by the parallelization cap when the run fails
// starts no more of its Jobs, and the run ends once what runs of it is
// done (it used to wait forever for the rest).
func TestHeldDirectoryJobEndsWithTheRun(t *testing.T) {
	f := newFixture(t, testModel(t, 2, false, []string{"a", "dir:e:3"}))
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"a", "e"}) {
		t.Fatalf("created %v, want [a e] (the cap holds e's other two Jobs back)", got)
	}
	f.finish("a", false)
	f.sync()
	if got := f.actions("create", "jobs"); len(got) > 0 {
		t.Fatalf("created %v after the run failed", got)
	}
	if f.c.end.result != nil {
		t.Fatal("the run ended while a Job of e runs")
	}
	f.finish("e", true)
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded || r.Failure == nil || r.Failure.Job != "a" {
		t.Fatalf("result %+v: want the run over, failed by a", r)
	}
	var states []string
	for _, u := range f.c.nodes[1].units {
		states = append(states, u.state.String())
	}
	if !eq(states, []string{"succeeded", "skipped", "skipped"}) {
		t.Errorf("e's Jobs are %v, want [succeeded skipped skipped]", states)
	}
}

// A create refused for good fails its job within the sync that made it;
// when that ends the run, the record says Failed (the failure used to be
// read before the creates and the record said Succeeded).
func TestRefusedLastCreateFailsTheRecord(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a"}))
	f.client.PrependReactor("create", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewInvalid(batchv1.SchemeGroupVersion.WithKind("Job").GroupKind(), "a", nil)
	})
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded || r.Failure == nil || r.Failure.Reason != "CreateRejected" {
		t.Fatalf("result %+v: want the run over, failed by a's refused create", r)
	}
	if got := f.c.rec().Result; got != record.ResultFailed {
		t.Errorf("the record says %q, want %q", got, record.ResultFailed)
	}
}
