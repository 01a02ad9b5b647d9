package report

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// status is read from the cluster alone: the record for cleaned-up Jobs,
// the Jobs for running ones, the plan for the ones still waiting.
//
//	a ──> b     c     (phase p0)
//	d                 (phase p1)
func TestGetRunStatus(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	client := fake.NewClientset()
	store := record.NewStore(client, "ns", "r1", nil)
	err := store.Create(ctx, &record.Record{
		RunID: "r1", Result: record.ResultRunning, StartedAt: now.Add(-10 * time.Second).UnixMilli(),
		Plan: []record.PlanJob{
			{Phase: "p0", Job: "a", KubernetesJobs: []string{"a-1"}},
			{Phase: "p0", Job: "b", DependsOn: []string{"a"}, KubernetesJobs: []string{"b-1"}},
			{Phase: "p0", Job: "c", KubernetesJobs: []string{"c-1"}},
			{Phase: "p1", Job: "d", KubernetesJobs: []string{"d-1"}},
		},
		// a succeeded and was deleted by cleanup: only the record knows it.
		Jobs: map[string]*record.JobRecord{"a-1": {Job: "a", Phase: "p0", Result: record.JobSucceeded}},
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: record.Name("r1"), UID: "uid-record", Controller: new(bool)}
	*owner.Controller = true
	for _, name := range []string{"b-1", "c-1", "x-1"} {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "ns", Labels: map[string]string{runmeta.LabelRun: "r1"},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Second)),
		}}
		if name != "x-1" { // x-1 carries the label but the run does not control it
			j.OwnerReferences = []metav1.OwnerReference{owner}
		}
		if _, err := client.BatchV1().Jobs("ns").Create(ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cm, err := client.CoreV1().ConfigMaps("ns").Get(ctx, record.Name("r1"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.UID = "uid-record" // the fake clientset sets no UIDs
	if _, err := client.CoreV1().ConfigMaps("ns").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	st, err := GetRunStatus(ctx, client, "ns", "r1", now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "succeeded", "b": "running", "c": "running", "d": "waiting"}
	if len(st.Jobs) != len(want) {
		t.Fatalf("%d jobs in status, want %d: %+v", len(st.Jobs), len(want), st.Jobs)
	}
	for _, js := range st.Jobs {
		if js.State != want[js.Job] {
			t.Errorf("job %s: state %s, want %s", js.Job, js.State, want[js.Job])
		}
	}
	if st.Result != record.ResultRunning || st.APIVersion != StatusAPIVersion {
		t.Errorf("result %s apiVersion %s", st.Result, st.APIVersion)
	}

	runs, err := ListRuns(ctx, client, "ns")
	if err != nil || len(runs) != 1 || runs[0].RunID != "r1" || runs[0].Jobs != 4 || runs[0].Finished != 1 {
		t.Errorf("ListRuns = %+v, %v", runs, err)
	}
	var notFound *record.NotFoundError
	if _, err := GetRunStatus(ctx, client, "ns", "r2", now); !errors.As(err, &notFound) {
		t.Errorf("status of a run with no record: %v, want a NotFoundError", err)
	}
}

// A revert Job the record knows only as created: running while its Job is
// there (it was shown as deleted once), deleted when it is gone or being
// deleted (held by the run's finalizer), and running when the Jobs were not
// read (the run's own output).
func TestRunStatusRunningRevert(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rec := &record.Stored{
		Meta: metav1.ObjectMeta{Name: record.Name("r1"), Namespace: "ns", UID: "uid-record"},
		Record: &record.Record{RunID: "r1", Result: record.ResultRunning,
			Plan: []record.PlanJob{{Phase: "p0", Job: "a", KubernetesJobs: []string{"a-1"}, Revert: "revert-a-1"}},
			Jobs: map[string]*record.JobRecord{
				"a-1":        {Job: "a", Phase: "p0", Result: record.JobFailed},
				"revert-a-1": {Job: "a", Phase: "p0", Result: record.JobCreated, Revert: true, CreatedAt: now.UnixMilli()},
			}},
	}
	isController := true
	revertJob := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
		Name: "revert-a-1", Namespace: "ns", CreationTimestamp: metav1.NewTime(now),
		Labels:          map[string]string{runmeta.LabelRun: "r1", runmeta.LabelRevert: "true"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "ConfigMap", Name: rec.Meta.Name, UID: "uid-record", Controller: &isController}},
	}}
	for _, tc := range []struct {
		name string
		jobs []*batchv1.Job
		want string
	}{
		{"its Job is there", []*batchv1.Job{revertJob}, StateRunning},
		{"its Job is gone", []*batchv1.Job{}, "deleted"},
		{"its Job is being deleted", []*batchv1.Job{terminating(revertJob, now)}, "deleted"},
		{"Jobs not read", nil, StateRunning},
	} {
		st := RunStatusFrom(rec, tc.jobs, now.Add(time.Second))
		var got []string
		for _, js := range st.Jobs {
			got = append(got, js.Job+"="+js.State)
		}
		if want := "a=failed,a (revert)=" + tc.want; strings.Join(got, ",") != want {
			t.Errorf("%s: %q, want %q", tc.name, strings.Join(got, ","), want)
		}
	}
}

// terminating is j being deleted, held by the run's finalizer.
func terminating(j *batchv1.Job, at time.Time) *batchv1.Job {
	j = j.DeepCopy()
	t := metav1.NewTime(at)
	j.DeletionTimestamp = &t
	j.Finalizers = []string{runmeta.FinalizerUnrecorded}
	return j
}

// A Job the record does not know yet, being deleted: deleted, not running;
// finished before the delete: its result.
func TestRunStatusTerminatingJob(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rec := &record.Stored{
		Meta: metav1.ObjectMeta{Name: record.Name("r1"), Namespace: "ns", UID: "uid-record"},
		Record: &record.Record{RunID: "r1", Result: record.ResultRunning,
			Plan: []record.PlanJob{{Phase: "p0", Job: "a", KubernetesJobs: []string{"a-1"}}},
			Jobs: map[string]*record.JobRecord{}},
	}
	isController := true
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
		Name: "a-1", Namespace: "ns", CreationTimestamp: metav1.NewTime(now),
		Labels:          map[string]string{runmeta.LabelRun: "r1"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "ConfigMap", Name: rec.Meta.Name, UID: "uid-record", Controller: &isController}},
	}}
	complete := terminating(job, now)
	complete.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: "True", LastTransitionTime: metav1.NewTime(now)}}
	for _, tc := range []struct {
		name string
		job  *batchv1.Job
		want string
	}{
		{"running", job, StateRunning},
		{"being deleted", terminating(job, now), StateDeleted},
		{"complete, then deleted", complete, StateSucceeded},
	} {
		st := RunStatusFrom(rec, []*batchv1.Job{tc.job}, now.Add(time.Second))
		if len(st.Jobs) != 1 || st.Jobs[0].State != tc.want {
			t.Errorf("%s: %+v, want one Job %s", tc.name, st.Jobs, tc.want)
		}
	}
}
