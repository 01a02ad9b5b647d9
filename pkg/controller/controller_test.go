package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// testModel builds a model from phases of "name<-dep1,dep2" strings; a job
// named "dir:NAME:N" is a directory job with N manifests; a "!" after the
// name (and deps) gives it a revert Job, "?rule" a trigger rule.
func testModel(t testing.TB, parallelization int, cleanup bool, phases ...[]string) *config.Model {
	t.Helper()
	m := &config.Model{Path: "jobermodel.yaml", Options: config.Options{Parallelization: parallelization, Cleanup: cleanup}}
	idx := 0
	for pi, p := range phases {
		ph := config.Phase{Name: "p" + string(rune('0'+pi))}
		for _, s := range p {
			s, rule, _ := strings.Cut(s, "?")
			revert := strings.Contains(s, "!")
			s = strings.ReplaceAll(s, "!", "")
			name, deps, _ := strings.Cut(s, "<-")
			typ, n := "file", 1
			if strings.HasPrefix(name, "dir:") {
				parts := strings.Split(name, ":")
				name, typ = parts[1], "directory"
				n = int(parts[2][0] - '0')
			}
			j := &config.Job{Name: name, Phase: ph.Name, PhaseIndex: pi, Index: idx, Type: typ, Path: name + ".yaml", TriggerRule: rule}
			if revert {
				j.Revert = &config.Manifest{Path: name + "-revert.yaml", RelPath: name + "-revert.yaml", Job: manifest()}
			}
			idx++
			if deps != "" {
				j.DependsOn = strings.Split(deps, ",")
			}
			for i := 0; i < n; i++ {
				rel := name + ".yaml"
				if typ == "directory" {
					rel = name + "/m" + string(rune('0'+i)) + ".yaml"
				}
				j.Manifests = append(j.Manifests, &config.Manifest{Path: rel, RelPath: rel, Job: manifest()})
			}
			ph.Jobs = append(ph.Jobs, j)
		}
		m.Phases = append(m.Phases, ph)
	}
	buildGraph(t, m)
	return m
}

// buildGraph (re)builds m's graph from its phases and options, as
// config.Load does.
func buildGraph(t testing.TB, m *config.Model) {
	t.Helper()
	g, err := graph.Build(config.GraphSpecs(m.Phases, m.Options.FinallyPhase))
	if err != nil {
		t.Fatal(err)
	}
	m.Graph = g
}

func manifest() *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "data"}},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
		}}},
	}
}

type fixture struct {
	t       *testing.T
	ctx     context.Context
	client  *fake.Clientset
	factory informers.SharedInformerFactory
	c       *Controller
	now     time.Time
	uids    int
}

func newFixture(t *testing.T, m *config.Model, with ...func(*Options)) *fixture {
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{t: t, ctx: ctx, client: fake.NewClientset(), now: time.Unix(1_800_000_000, 0)}
	// The fake clientset sets no UIDs; the controller relies on them.
	f.client.PrependReactor("create", "*", func(a core.Action) (bool, runtime.Object, error) {
		obj := a.(core.CreateAction).GetObject().(metav1.Object)
		f.uids++
		obj.SetUID(types.UID("uid-" + obj.GetName()))
		obj.SetCreationTimestamp(metav1.NewTime(f.now))
		return false, nil, nil
	})
	f.factory = informers.NewSharedInformerFactory(f.client, 0)
	opts := Options{Namespace: "ns", RunID: "r1", Model: m, Now: func() time.Time { return f.now }}
	for _, w := range with {
		w(&opts)
	}
	if opts.LogLines > 0 {
		opts.Pods = f.factory.Core().V1().Pods()
	}
	c, err := NewController(ctx, f.client, f.factory.Batch().V1().Jobs(), opts)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	if res, err := c.Prepare(ctx); err != nil || res != nil {
		t.Fatalf("Prepare: %v %v", res, err)
	}
	f.client.ClearActions()
	return f
}

// sync runs one sync after copying the fake server's Jobs into the lister,
// as the informer would, and waits for what it left running in the
// background (the next sync joins the log tails it read).
func (f *fixture) sync() {
	f.t.Helper()
	f.syncOnly()
	f.c.deletes.wg.Wait() // cleanup's deletes run in the background
	f.c.tails.wg.Wait()   // and so do log tail reads
}

// syncOnly runs one sync and waits for nothing it started.
func (f *fixture) syncOnly() {
	f.t.Helper()
	idx := f.factory.Batch().V1().Jobs().Informer().GetIndexer()
	for _, o := range idx.List() {
		_ = idx.Delete(o)
	}
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	for i := range jobs.Items {
		j := jobs.Items[i]
		_ = idx.Add(&j)
		f.c.tracker.observed(j.Name)
	}
	f.client.ClearActions()
	if err := f.c.sync(f.ctx); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

// finish marks the Job of a node Complete (or Failed) on the fake server.
func (f *fixture) finish(node string, ok bool) {
	f.t.Helper()
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	found := false
	for i := range jobs.Items {
		j := &jobs.Items[i]
		if j.Labels[runmeta.LabelJob] != node {
			continue
		}
		found = true
		typ, reason := batchv1.JobComplete, ""
		if !ok {
			typ, reason = batchv1.JobFailed, "BackoffLimitExceeded"
		}
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason, LastTransitionTime: metav1.NewTime(f.now)})
		if _, err := f.client.BatchV1().Jobs("ns").UpdateStatus(f.ctx, j, metav1.UpdateOptions{}); err != nil {
			f.t.Fatal(err)
		}
	}
	if !found {
		f.t.Fatalf("no Job for node %s", node)
	}
}

// created lists the model jobs whose Jobs the last sync created.
func (f *fixture) actions(verb, resource string) []string {
	var out []string
	for _, a := range f.client.Actions() {
		if a.GetVerb() != verb || a.GetResource().Resource != resource {
			continue
		}
		switch a := a.(type) {
		case core.CreateAction:
			out = append(out, a.GetObject().(metav1.Object).GetLabels()[runmeta.LabelJob])
		case core.DeleteAction:
			out = append(out, a.GetName())
		default:
			out = append(out, resource)
		}
	}
	return out
}

// eq compares as sets: the Jobs one sync creates are created concurrently.
func eq(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// The DAG:
//
//	phase p0:   a --> b
//	            a --> c
//	phase p1:   d        (waits for all of p0)
func TestSyncAdvancesTheDAG(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a", "c<-a"}, []string{"d"}))
	steps := []struct {
		finish []string
		want   []string
	}{
		{nil, []string{"a"}},
		{nil, nil}, // nothing changed: nothing created (idempotent)
		{[]string{"a"}, []string{"b", "c"}},
		{[]string{"b"}, nil}, // phase p1 waits for all of p0
		{[]string{"c"}, []string{"d"}},
	}
	for i, s := range steps {
		for _, n := range s.finish {
			f.finish(n, true)
		}
		f.sync()
		if got := f.actions("create", "jobs"); !eq(got, s.want) {
			t.Errorf("step %d: created %v, want %v", i, got, s.want)
		}
	}
	f.finish("d", true)
	f.now = f.now.Add(2 * time.Second)
	f.sync()
	if f.c.end.result == nil || !f.c.end.result.Succeeded {
		t.Fatalf("run not finished successfully: %+v", f.c.end.result)
	}
}

func TestCreatedJobCarriesLabelsAndOwner(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a"}))
	f.sync()
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	if len(jobs.Items) != 1 {
		t.Fatalf("%d Jobs", len(jobs.Items))
	}
	j := jobs.Items[0]
	if j.Labels["team"] != "data" {
		t.Errorf("manifest label lost: %v", j.Labels)
	}
	for k, v := range map[string]string{runmeta.LabelRun: "r1", runmeta.LabelJob: "a", runmeta.LabelPhase: "p0", runmeta.LabelManagedBy: runmeta.ManagedBy} {
		if j.Labels[k] != v || j.Spec.Template.Labels[k] != v {
			t.Errorf("label %s: Job %q, pod template %q, want %q", k, j.Labels[k], j.Spec.Template.Labels[k], v)
		}
	}
	ref := metav1.GetControllerOf(&j)
	if ref == nil || ref.Kind != "ConfigMap" || ref.Name != record.Name("r1") {
		t.Errorf("controller reference %+v, want the run's ConfigMap", ref)
	}
	if j.Name != runmeta.JobName("r1", f.c.model.Jobs()[0], f.c.model.Jobs()[0].Manifests[0]) {
		t.Errorf("name %s is not the deterministic name", j.Name)
	}
}

// parallelization 2 over a fan-out of 5 plus a directory job of 3.
func TestSyncParallelizationCap(t *testing.T) {
	f := newFixture(t, testModel(t, 2, false, []string{"a", "b", "c", "dir:d:3", "e"}))
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"a", "b"}) {
		t.Fatalf("created %v, want [a b]", got)
	}
	f.finish("a", true)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"c"}) {
		t.Fatalf("created %v, want [c]", got)
	}
	f.finish("b", true)
	f.finish("c", true)
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, []string{"d", "d"}) {
		t.Fatalf("created %v, want two of d's three Jobs", got)
	}
	f.finish("d", true)
	f.sync()
	// The rest of the started directory job comes before e.
	if got := f.actions("create", "jobs"); !eq(got, []string{"d", "e"}) {
		t.Fatalf("created %v, want [d e]", got)
	}
}

func TestSyncFailureStopsLaunching(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b", "c<-a"}, []string{"d"}))
	f.sync()
	f.finish("a", false)
	f.sync()
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Fatalf("created %v after a failure", got)
	}
	if f.c.end.result != nil {
		t.Fatalf("run ended while b is still running")
	}
	f.finish("b", true)
	f.sync()
	r := f.c.end.result
	if r == nil || r.Succeeded || r.Failure == nil || r.Failure.Job != "a" || r.Failure.Reason != "BackoffLimitExceeded" {
		t.Fatalf("result %+v, want a failure of a", r)
	}
	if !eq(r.NeverRan, []string{"c", "d"}) {
		t.Errorf("never ran %v, want [c d]", r.NeverRan)
	}
}

// cleanup records a success before deleting the Job, with Background
// propagation and a UID precondition; failed Jobs are kept.
func TestSyncCleanupRecordsThenDeletes(t *testing.T) {
	f := newFixture(t, testModel(t, 0, true, []string{"a", "b"}))
	f.sync()
	f.finish("a", true)
	f.now = f.now.Add(5 * time.Second)
	f.sync()
	var sawUpdate, sawDelete bool
	for _, a := range f.client.Actions() {
		if a.GetVerb() == "update" && a.GetResource().Resource == "configmaps" {
			if sawDelete {
				t.Errorf("record written after the delete")
			}
			sawUpdate = true
			rec, err := record.FromObjects("ns", "r1", []*corev1.ConfigMap{a.(core.UpdateAction).GetObject().(*corev1.ConfigMap)})
			if err != nil {
				t.Fatal(err)
			}
			finished := 0
			for _, jr := range rec.Jobs {
				if jr.Result == record.JobSucceeded {
					finished++
				}
			}
			if finished != 1 {
				t.Errorf("record holds %d succeeded Jobs, want 1", finished)
			}
		}
		if a.GetVerb() == "delete" && a.GetResource().Resource == "jobs" {
			sawDelete = true
			opts := a.(core.DeleteActionImpl).DeleteOptions
			if opts.PropagationPolicy == nil || *opts.PropagationPolicy != metav1.DeletePropagationBackground {
				t.Errorf("delete without Background propagation")
			}
			if opts.Preconditions == nil || opts.Preconditions.UID == nil {
				t.Errorf("delete without UID precondition")
			}
		}
	}
	if !sawUpdate || !sawDelete {
		t.Fatalf("update %v delete %v, want both", sawUpdate, sawDelete)
	}
	f.finish("b", false)
	f.now = f.now.Add(5 * time.Second)
	f.sync()
	if got := f.actions("delete", "jobs"); len(got) != 0 {
		t.Errorf("failed Job deleted: %v", got)
	}
}

// A resumed run trusts its record: recorded Jobs are not created again,
// even when cleanup deleted them.
func TestResumeFromRecord(t *testing.T) {
	m := testModel(t, 0, true, []string{"a", "b<-a"})
	f := newFixture(t, m)
	f.sync()
	f.finish("a", true)
	f.now = f.now.Add(5 * time.Second)
	f.sync() // records a, deletes it

	// A new orchestrator process with the same run ID.
	client := f.client
	factory := informers.NewSharedInformerFactory(client, 0)
	c2, err := NewController(f.ctx, client, factory.Batch().V1().Jobs(), Options{Namespace: "ns", RunID: "r1", Model: m, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c2.Prepare(f.ctx); err != nil || res != nil {
		t.Fatalf("Prepare: %v %v", res, err)
	}
	f.c, f.factory = c2, factory
	f.sync()
	if got := f.actions("create", "jobs"); !eq(got, nil) {
		// b was created by the first process already and is in the lister.
		t.Errorf("resume created %v, want nothing", got)
	}
	if f.c.units[0].state != unitSucceeded {
		t.Errorf("a is %v after resume, want succeeded", f.c.units[0].state)
	}
}

// A Job that holds our deterministic name but was not created by the run is
// never adopted: the job fails with a message that says so.
func TestForeignJobIsNotAdopted(t *testing.T) {
	m := testModel(t, 0, false, []string{"a"})
	f := newFixture(t, m)
	name := runmeta.JobName("r1", m.Jobs()[0], m.Jobs()[0].Manifests[0])
	foreign := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{runmeta.LabelRun: "r1"}}}
	if _, err := f.client.BatchV1().Jobs("ns").Create(f.ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync()
	f.sync()
	r := f.c.end.result
	if r == nil || r.Failure == nil || r.Failure.Reason != "NameTaken" {
		t.Fatalf("result %+v, want NameTaken failure", r)
	}
}

// A Job deleted by someone else before it finished fails the run.
func TestDeletedJobFailsTheRun(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a"}))
	f.sync()
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	f.c.tracker.deleted(&jobs.Items[0])
	_ = f.client.BatchV1().Jobs("ns").Delete(f.ctx, jobs.Items[0].Name, metav1.DeleteOptions{})
	f.sync()
	r := f.c.end.result
	if r == nil || r.Failure == nil || r.Failure.Reason != "Deleted" || !strings.Contains(r.Failure.Message, "deleted before it finished") {
		t.Fatalf("result %+v, want a Deleted failure", r)
	}
}

type runtimeObject = runtime.Object

// finishName marks one Job, by name, Complete or Failed.
func (f *fixture) finishName(name string, ok bool) {
	f.t.Helper()
	j, err := f.client.BatchV1().Jobs("ns").Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	typ, reason := batchv1.JobComplete, ""
	if !ok {
		typ, reason = batchv1.JobFailed, "BackoffLimitExceeded"
	}
	j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason, LastTransitionTime: metav1.NewTime(f.now)})
	if _, err := f.client.BatchV1().Jobs("ns").UpdateStatus(f.ctx, j, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// A Job this run created but the informer never showed, and that is gone
// from the API server, fails the run instead of keeping it waiting forever.
func TestUnseenCreationExpires(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a"}))
	if err := f.c.sync(f.ctx); err != nil { // created, never copied into the lister
		t.Fatal(err)
	}
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	_ = f.client.BatchV1().Jobs("ns").Delete(f.ctx, jobs.Items[0].Name, metav1.DeleteOptions{})
	f.now = f.now.Add(10 * time.Second)
	if err := f.c.sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	if f.c.end.result != nil {
		t.Fatalf("gave up after 10s: %+v", f.c.end.result)
	}
	f.now = f.now.Add(time.Minute)
	if err := f.c.sync(f.ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.c.end.result; r == nil || r.Failure == nil || r.Failure.Reason != "Deleted" {
		t.Fatalf("result %+v, want a Deleted failure", r)
	}
}

// A long run does not keep the last state of every Job it deleted: the
// tombstone of a recorded Job goes at the next sync, that of a Job the run
// still has to judge stays.
func TestTombstonesOfRecordedJobsAreDropped(t *testing.T) {
	f := newFixture(t, testModel(t, 0, true, []string{"a", "b"}))
	f.sync()
	f.finish("a", true)
	f.now = f.now.Add(5 * time.Second)
	f.sync() // records a, then deletes it
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	var a, b *batchv1.Job
	for i := range jobs.Items {
		switch jobs.Items[i].Labels[runmeta.LabelJob] {
		case "a":
			a = &jobs.Items[i]
		case "b":
			b = &jobs.Items[i]
		}
	}
	if a != nil || b == nil {
		t.Fatalf("after cleanup: a=%v b=%v, want a deleted and b running", a != nil, b != nil)
	}
	nameA := runmeta.JobName("r1", f.c.nodes[0].job, f.c.nodes[0].job.Manifests[0])
	f.c.tracker.deleted(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: nameA, Namespace: "ns"}})
	f.c.tracker.deleted(b) // deleted by someone else, not yet judged
	_ = f.client.BatchV1().Jobs("ns").Delete(f.ctx, b.Name, metav1.DeleteOptions{})
	f.sync()
	if f.c.tracker.lastState(nameA) != nil {
		t.Errorf("tombstone of recorded Job %s kept", nameA)
	}
	if f.c.tracker.lastState(b.Name) == nil {
		t.Errorf("tombstone of %s dropped before the run judged it", b.Name)
	}
	if r := f.c.end.result; r == nil || r.Failure == nil || r.Failure.Reason != "Deleted" {
		t.Errorf("result %+v, want b's deletion to fail the run", r)
	}
}

// Cleanup's deletes run behind the sync; one that fails is issued again by
// a later sync, until the Job is gone.
func TestFailedCleanupDeleteIsRetried(t *testing.T) {
	f := newFixture(t, testModel(t, 0, true, []string{"a", "b"}))
	fails := 1
	f.client.PrependReactor("delete", "jobs", func(core.Action) (bool, runtime.Object, error) {
		if fails > 0 {
			fails--
			return true, nil, apierrors.NewInternalError(fmt.Errorf("etcd hiccup"))
		}
		return false, nil, nil
	})
	f.sync()
	f.finish("a", true)
	f.now = f.now.Add(5 * time.Second)
	var deletes int
	count := func() {
		for _, a := range f.client.Actions() {
			if a.GetVerb() == "delete" && a.GetResource().Resource == "jobs" {
				deletes++
			}
		}
	}
	f.sync() // records a; its delete fails in the background
	count()
	f.sync() // issues it again
	count()
	if deletes != 2 || fails != 0 {
		t.Fatalf("%d deletes (%d failures left), want the failed delete issued again", deletes, fails)
	}
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	if len(jobs.Items) != 1 || jobs.Items[0].Labels[runmeta.LabelJob] != "b" {
		t.Errorf("Jobs left: %d, want only b", len(jobs.Items))
	}
}

// A record write the API server refuses for good (too large) ends the run
// with ErrRecordRefused instead of being retried forever.
func TestRefusedRecordEndsTheRun(t *testing.T) {
	f := newFixture(t, testModel(t, 0, false, []string{"a"}))
	f.sync()
	f.client.PrependReactor("update", "configmaps", func(core.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewRequestEntityTooLargeError("limit is 3145728")
	})
	f.finish("a", true)
	f.c.work.lastWrite = time.Time{}
	idx := f.factory.Batch().V1().Jobs().Informer().GetIndexer()
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	for i := range jobs.Items {
		_ = idx.Update(&jobs.Items[i])
	}
	err := f.c.sync(f.ctx)
	var fe *fatalError
	if !errors.As(err, &fe) || !errors.Is(fe.err, ErrRecordRefused) || !strings.Contains(fe.err.Error(), "--run-id r1") {
		t.Fatalf("sync: %v, want a fatal ErrRecordRefused", err)
	}
}
