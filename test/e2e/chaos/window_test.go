package chaos

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// envCrashAt is pkg/controller's EnvCrashAt (hooks_e2e.go): the e2e build
// of the binary kills itself at POINT:JOB.
const envCrashAt = "JOBERNETES_E2E_CRASH_AT"

// The orchestrator dies between a Job's create and the record write that
// follows it (the test hook kills it there, not a timed kill), and a resume
// must tell the three cases apart: killed before the create (no Job: it is
// created), after it (the Job is there: adopted), and after it with the Job
// deleted by hand while no orchestrator ran (docs/architecture.md, the
// invariants: the Job is never created again, the run fails naming it).
// Before the run's Jobs carried the finalizer runmeta.FinalizerUnrecorded,
// the last case re-created the Job: the record could not tell it from
// "never created".
func TestKilledBetweenCreateAndRecord(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, tc := range []struct {
		name, crashAt string
		deleteVictim  bool
		wantCode      int
	}{
		{"killed-before-create", "before-create:victim", false, 0},
		{"killed-after-create", "after-create:victim", false, 0},
		{"killed-after-create-then-deleted", "after-create:victim", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, rec, runID, args := victimRun(t, cp, "3s", "window")
			crashing := jobernetes()
			crashing.Env = []string{envCrashAt + "=" + tc.crashAt}
			if r := crashing.Run(context.Background(), t, args...); r.Code != -1 {
				t.Fatalf("exit %d: the test hook did not kill the orchestrator at %s", r.Code, tc.crashAt)
			}
			if _, recorded := readRecord(t, ns, runID).Jobs[victimName(t, rec, tc.crashAt)]; recorded {
				t.Fatalf("the record knows victim: the kill came after the record write, not inside the window")
			}
			if tc.deleteVictim {
				name := victimName(t, rec, tc.crashAt)
				if err := cp.Client.BatchV1().Jobs(ns).Delete(context.Background(), name, runmeta.BackgroundDelete("")); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := jobernetes().Run(ctx, t, args...)
			nodes := e2eutil.ByNode(rec.Snapshot())
			if n := len(nodes["victim"]); n != 1 {
				t.Errorf("victim: %d Jobs created, want exactly 1", n)
			}
			if r.Code != tc.wantCode {
				t.Errorf("exit %d, want %d", r.Code, tc.wantCode)
			}
			if !tc.deleteVictim {
				if n := len(nodes["next"]); n != 1 {
					t.Errorf("next: %d Jobs created, want 1", n)
				}
				checkNoFinalizers(t, ns, runID)
				return
			}
			name := victimName(t, rec, tc.crashAt)
			for _, want := range []string{"failed: job victim", "Job " + ns + "/" + name + " was deleted while no orchestrator"} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("the report lacks %q", want)
				}
			}
			if len(nodes["next"]) != 0 {
				t.Errorf("next was created after its dependency was deleted")
			}
			// The finalizer is released once the record knows: the Job
			// does not hang in Terminating.
			e2eutil.WaitFor(t, 30*time.Second, "the deleted Job to be gone", func() bool {
				_, err := cp.Client.BatchV1().Jobs(ns).Get(context.Background(), name, metav1.GetOptions{})
				return apierrors.IsNotFound(err)
			})
		})
	}
}

// victimRun writes a run of two jobs, victim (pods of the duration given)
// and next after it, in a namespace of its own watched from the start; args
// run it (and resume it) under one run ID with a short Lease.
func victimRun(t *testing.T, cp *framework.ControlPlane, victimPods, prefix string) (ns string, rec *e2eutil.Recorder, runID string, args []string) {
	t.Helper()
	ns = cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(false, 0, `
  - phase_name: one
    jobs:
      - {name: victim, job_path: victim.yaml}
      - {name: next, job_path: ok.yaml, depends_on: [victim]}
`),
		"victim.yaml": e2eutil.JobYAML(victimPods, false),
		"ok.yaml":     e2eutil.JobYAML("0s", false),
	})
	rec = e2eutil.WatchJobs(t, cp.Client, ns)
	runID = newRunID(prefix)
	args = []string{"run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", runID, "--lease-duration", "2s"}
	return ns, rec, runID, args
}

// victimName is the name of the victim's Job, once created (before-create:
// none was, and the test does not need it yet).
func victimName(t *testing.T, rec *e2eutil.Recorder, crashAt string) string {
	t.Helper()
	if strings.HasPrefix(crashAt, "before-create") {
		if es := e2eutil.ByNode(rec.Snapshot())["victim"]; len(es) > 0 {
			t.Fatalf("victim's Job %s was created before the crash", es[0].Name)
		}
		return ""
	}
	var name string
	e2eutil.WaitFor(t, 30*time.Second, "the test's watch to see victim's Job", func() bool {
		if es := e2eutil.ByNode(rec.Snapshot())["victim"]; len(es) > 0 {
			name = es[0].Name
		}
		return name != ""
	})
	return name
}

// checkNoFinalizers: no Job of the run still carries the run's finalizer
// once the run has ended.
func checkNoFinalizers(t *testing.T, ns, runID string) {
	t.Helper()
	jobs, err := framework.Current.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{LabelSelector: labelRun + "=" + runID})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		if len(j.Finalizers) > 0 {
			t.Errorf("Job %s still has finalizers %v after the run ended", j.Name, j.Finalizers)
		}
	}
}

// The orchestrator is told to stop (SIGINT) between a Job's create and its
// record entry: before it exits it records the Job and releases the run's
// finalizer (controller.Stop), so that a Job left behind by an interrupted
// run can be deleted like any other; the resume adopts it.
func TestInterruptedBetweenCreateAndRecord(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns, rec, runID, args := victimRun(t, cp, "3s", "window-int")
	interrupted := jobernetes()
	interrupted.Env = []string{envCrashAt + "=interrupt-after-create:victim"}
	if r := interrupted.Run(context.Background(), t, args...); r.Code != 130 {
		t.Fatalf("exit %d, want 130 (interrupted)", r.Code)
	}
	name := victimName(t, rec, "after-create")
	if jr := readRecord(t, ns, runID).Jobs[name]; jr == nil {
		t.Errorf("the interrupted process did not record victim's Job before it exited")
	}
	checkNoFinalizers(t, ns, runID)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if r := jobernetes().Run(ctx, t, args...); r.Code != 0 {
		t.Errorf("resume: exit %d, want 0", r.Code)
	}
	for node, es := range e2eutil.ByNode(rec.Snapshot()) {
		if len(es) != 1 {
			t.Errorf("%s: %d Jobs created, want exactly 1", node, len(es))
		}
	}
}
