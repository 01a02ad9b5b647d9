package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

func envList(env []corev1.EnvVar) string {
	var out []string
	for _, e := range env {
		out = append(out, e.Name+"="+e.Value)
	}
	return strings.Join(out, " ")
}

// Every container and init container gets the JOBERNETES_* variables, then
// the parameters (model < job < run -e) sorted by name, then its own env;
// a parameter the container sets itself is not injected (the manifest wins).
func TestJobEnvInjection(t *testing.T) {
	m := testModel(t, 0, false, []string{"a"}, []string{"b!"})
	m.Options.Env = map[string]string{"DAY": "model", "REGION": "eu", "ZONE": "z1"}
	b := m.Phases[1].Jobs[0]
	b.Env = map[string]string{"REGION": "us"}
	mf := manifest()
	mf.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox",
		Env: []corev1.EnvVar{{Name: "ZONE", Value: "own"}, {Name: "OUT", Value: "/data/$(DAY)"}}}}
	b.Manifests[0].Job = mf

	jobs, err := PlanJobs(Options{Namespace: "ns", RunID: "r1", Model: m, Params: map[string]string{"DAY": "2026-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range jobs {
		if len(p.Object.OwnerReferences) != 0 {
			t.Errorf("%s: a planned Job has owner references %v", p.Object.Name, p.Object.OwnerReferences)
		}
		pod := p.Object.Spec.Template.Spec
		key := p.Job
		if p.Revert {
			key += " (revert)"
		}
		got[key] = envList(pod.Containers[0].Env)
		for _, c := range pod.InitContainers {
			got[key+" init"] = envList(c.Env)
		}
	}
	want := map[string]string{
		"a":          "JOBERNETES_RUN_ID=r1 JOBERNETES_PHASE=p0 JOBERNETES_JOB=a JOBERNETES_ATTEMPT=1 DAY=2026-01-01 REGION=eu ZONE=z1",
		"b":          "JOBERNETES_RUN_ID=r1 JOBERNETES_PHASE=p1 JOBERNETES_JOB=b JOBERNETES_ATTEMPT=1 DAY=2026-01-01 REGION=us ZONE=z1",
		"b init":     "JOBERNETES_RUN_ID=r1 JOBERNETES_PHASE=p1 JOBERNETES_JOB=b JOBERNETES_ATTEMPT=1 DAY=2026-01-01 REGION=us ZONE=own OUT=/data/$(DAY)",
		"b (revert)": "JOBERNETES_RUN_ID=r1 JOBERNETES_PHASE=p1 JOBERNETES_JOB=b JOBERNETES_ATTEMPT=1 DAY=2026-01-01 REGION=us ZONE=z1",
	}
	if len(got) != len(want) {
		t.Errorf("got %d env lists, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s env:\n  %s\nwant\n  %s", k, got[k], w)
		}
	}
	// The model's manifests are shared and read-only: untouched.
	if n := len(mf.Spec.Template.Spec.InitContainers[0].Env); n != 2 {
		t.Errorf("the manifest itself was changed: %d env vars", n)
	}
}

// A retry's Jobs say which attempt they are.
func TestJobEnvAttempt(t *testing.T) {
	m := testModel(t, 0, false, []string{"a"})
	c := &Controller{ns: "ns", runID: "r1", model: m, workerState: workerState{jobTmpl: jobTemplate{dryRun: true}}}
	c.buildUnits()
	c.units[0].attempt = 3
	env := envList(c.newJob(c.units[0]).Spec.Template.Spec.Containers[0].Env)
	if !strings.Contains(env, "JOBERNETES_ATTEMPT=3") {
		t.Errorf("env %s, want JOBERNETES_ATTEMPT=3", env)
	}
}

func TestCheckParams(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name     string
		was, now map[string]string
		key      string
		old, new *string
	}{
		{name: "same", was: map[string]string{"A": "1"}, now: map[string]string{"A": "1"}},
		{name: "none (a record from before params)", was: nil, now: map[string]string{}},
		{name: "changed", was: map[string]string{"A": "1", "B": "x"}, now: map[string]string{"A": "1", "B": "y"}, key: "B", old: s("x"), new: s("y")},
		{name: "added", was: nil, now: map[string]string{"DAY": "d"}, key: "DAY", new: s("d")},
		{name: "removed", was: map[string]string{"DAY": "d", "Z": "1"}, now: map[string]string{"Z": "1"}, key: "DAY", old: s("d")},
		{name: "first key in order", was: map[string]string{"B": "1", "A": "1"}, now: map[string]string{"B": "2", "A": "2"}, key: "A", old: s("1"), new: s("2")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkParams("r1", tc.was, tc.now)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var pm *ParamsMismatchError
			if !errors.As(err, &pm) {
				t.Fatalf("error %v, want a ParamsMismatchError", err)
			}
			if pm.Key != tc.key || fmt.Sprint(deref(pm.Was)) != fmt.Sprint(deref(tc.old)) || fmt.Sprint(deref(pm.Now)) != fmt.Sprint(deref(tc.new)) {
				t.Errorf("mismatch %s %v -> %v, want %s %v -> %v", pm.Key, deref(pm.Was), deref(pm.Now), tc.key, deref(tc.old), deref(tc.new))
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Errorf("message %q does not name %s", err, tc.key)
			}
		})
	}
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// The run record keeps the run's parameters; a resume with another value
// is refused before anything is done, one with the same values goes on.
func TestPrepareParams(t *testing.T) {
	m := testModel(t, 0, false, []string{"a"})
	m.Options.Env = map[string]string{"REGION": "eu"}
	_, ctx := ktesting.NewTestContext(t)
	client := fake.NewClientset()
	prepare := func(params map[string]string) error {
		c, err := NewController(ctx, client, informers.NewSharedInformerFactory(client, 0).Batch().V1().Jobs(), Options{
			Namespace: "ns", RunID: "r1", Model: m, Params: params, Now: func() time.Time { return time.Unix(1_800_000_000, 0) },
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Prepare(ctx)
		return err
	}
	if err := prepare(map[string]string{"DAY": "1"}); err != nil {
		t.Fatal(err)
	}
	rec, err := record.Get(ctx, client, "ns", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rec.Params) != "map[DAY:1 REGION:eu]" {
		t.Errorf("recorded params %v", rec.Params)
	}
	var pm *ParamsMismatchError
	if err := prepare(map[string]string{"DAY": "2"}); !errors.As(err, &pm) || pm.Key != "DAY" {
		t.Errorf("resume with DAY=2: %v, want a mismatch on DAY", err)
	}
	if err := prepare(map[string]string{"DAY": "1"}); err != nil {
		t.Errorf("resume with the same params: %v", err)
	}
}

// A server dry run reports every refusal with its Job, and nothing else.
func TestDryRunCreate(t *testing.T) {
	m := testModel(t, 0, false, []string{"a", "b", "c"})
	jobs, err := PlanJobs(Options{Namespace: "ns", RunID: "r1", Model: m})
	if err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset()
	var dryRuns int
	client.PrependReactor("create", "jobs", func(a core.Action) (bool, runtime.Object, error) {
		ca := a.(core.CreateActionImpl)
		if len(ca.CreateOptions.DryRun) == 1 && ca.CreateOptions.DryRun[0] == metav1.DryRunAll {
			dryRuns++
		}
		job := ca.GetObject().(metav1.Object)
		if job.GetLabels()[runmeta.LabelJob] == "b" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "batch", Resource: "jobs"}, job.GetName(),
				errors.New("exceeded quota: no-jobs"))
		}
		return true, ca.GetObject(), nil // a dry run persists nothing
	})
	refusals := DryRunCreate(context.Background(), client, jobs, 2)
	if dryRuns != 3 {
		t.Errorf("%d creates with dryRun=All, want 3", dryRuns)
	}
	if len(refusals) != 1 || refusals[0].Job != "b" || refusals[0].Manifest != "b.yaml" ||
		!strings.Contains(refusals[0].Err.Error(), "exceeded quota: no-jobs") {
		t.Errorf("refusals %+v, want b's quota refusal", refusals)
	}
}
