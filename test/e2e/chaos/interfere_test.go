package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// (Someone deleting a running Job of the run is TestJobDeletedByHand in
// test/e2e/run.)

// Someone removes the run's label from a running Job, or changes it, while
// the orchestrator runs or while none does: the Job has left the run, which
// fails (exit 1) saying so, soon, without creating the Job's successors and
// without touching the Job but to release the run's finalizer.
func TestRunLabelEditedByHand(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, tc := range []struct {
		name      string
		value     any  // nil removes the label
		whileDown bool // edit it between a SIGKILL and the restart
	}{
		{"removed", nil, false},
		{"changed", "someone-elses-run", false},
		{"removed-while-down", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := cp.NewNamespace(t)
			dir := e2eutil.WriteFiles(t, map[string]string{
				"jobermodel.yaml": e2eutil.Model(false, 0, `
  - phase_name: one
    jobs:
      - {name: victim, job_path: long.yaml}
      - {name: bystander, job_path: ok.yaml}
      - {name: next, job_path: ok.yaml, depends_on: [victim]}
  - phase_name: two
    jobs:
      - {name: later, job_path: ok.yaml}
`),
				"long.yaml": e2eutil.JobYAML("60s", false),
				"ok.yaml":   e2eutil.JobYAML("3s", false),
			})
			rec := e2eutil.WatchJobs(t, cp.Client, ns)
			runID := newRunID("relabel")
			args := []string{"run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", runID, "--lease-duration", "2s"}
			victim := func() string {
				var name string
				e2eutil.WaitFor(t, time.Minute, "Job victim", func() bool {
					if es := e2eutil.ByNode(rec.Snapshot())["victim"]; len(es) > 0 {
						name = es[0].Name
					}
					return name != ""
				})
				return name
			}
			edit := func(name string) {
				patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{labelRun: tc.value}}})
				if _, err := cp.Client.BatchV1().Jobs(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
					t.Errorf("patch Job %s: %v", name, err)
				}
			}
			var name string
			if tc.whileDown {
				p := jobernetes().Start(t, args...)
				name = victim()
				p.Kill()
				p.Wait()
				edit(name)
			} else {
				p := jobernetes().Start(t, args...)
				name = victim()
				time.Sleep(time.Second)
				edit(name)
				<-p.Done()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := jobernetes().Run(ctx, t, args...) // resumes, or finds the run finished
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1", r.Code)
			}
			if !strings.Contains(r.Stdout, "left the run") || !strings.Contains(r.Stdout, "failed: job victim") {
				t.Errorf("the report does not say that Job victim left the run")
			}
			if r.Duration > 45*time.Second {
				t.Errorf("the run took %s: it waited for the Job that left it", r.Duration)
			}
			nodes := e2eutil.ByNode(rec.Snapshot())
			if len(nodes["next"]) != 0 || len(nodes["later"]) != 0 {
				t.Errorf("successors of the Job that left the run were created")
			}
			if len(nodes["victim"]) != 1 {
				t.Errorf("victim: %d Jobs created, want 1", len(nodes["victim"]))
			}
			// The Job is left alone: not deleted, not relabelled back.
			j, err := cp.Client.BatchV1().Jobs(ns).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("the Job that left the run: %v", err)
			}
			if v, ok := j.Labels[labelRun]; tc.value == nil && ok || tc.value != nil && v != tc.value {
				t.Errorf("the Job's run label is %q again", v)
			}
			// Its one write from jobernetes: the release of the run's
			// finalizer (a patch), once the record holds the Job; the
			// audit log (Metadata level) shows no body, the Job does.
			if runmeta.HasFinalizer(j) {
				t.Errorf("the Job that left the run still carries the finalizer %s", runmeta.FinalizerUnrecorded)
			}
			var others []string
			for _, w := range writesTo(t, ns, name) {
				if !strings.HasPrefix(w, "patch ") {
					others = append(others, w)
				}
			}
			if len(others) > 0 {
				t.Errorf("jobernetes wrote to the Job that left the run: %v", others)
			}
		})
	}
}

// Someone deletes a running Job of the run while no orchestrator runs: the
// resumed run must not create it again (docs/cluster.md, "In the cluster": a Job of
// the run that disappears before finishing fails the run).
//
// The run record remembers created Jobs (written right behind each create),
// so the resumed orchestrator tells "deleted while no orchestrator ran"
// from "never created" and fails the run instead of creating it again.
func TestJobDeletedWhileOrchestratorDown(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns, rec, runID, args := victimRun(t, cp, "20s", "deldown")
	p := jobernetes().Start(t, args...)
	var name string
	e2eutil.WaitFor(t, time.Minute, "Job victim", func() bool {
		if es := e2eutil.ByNode(rec.Snapshot())["victim"]; len(es) > 0 {
			name = es[0].Name
		}
		return name != ""
	})
	// The record learns of a create right behind it (one update, ms later):
	// kill once it has, as the promise goes. A kill inside that window,
	// followed by a deletion while no orchestrator runs, is the one case
	// the record cannot tell from "never created" (docs/architecture.md).
	e2eutil.WaitFor(t, 30*time.Second, "the record to know victim was created", func() bool {
		jr, ok := readRecord(t, ns, runID).Jobs[name]
		return ok && jr.Result == record.JobCreated
	})
	p.Kill()
	p.Wait()
	bg := metav1.DeletePropagationBackground
	if err := cp.Client.BatchV1().Jobs(ns).Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes().Run(ctx, t, args...)
	if n := len(e2eutil.ByNode(rec.Snapshot())["victim"]); n != 1 {
		t.Errorf("victim: %d Jobs created, want 1: the resumed run created the deleted Job again", n)
	}
	if r.Code != 1 {
		t.Errorf("exit %d, want 1: a Job of the run deleted before it finished fails the run", r.Code)
	}
}

// writesTo lists jobernetes's requests on Job ns/name other than its
// create, get and the collection's list and watch.
func writesTo(t *testing.T, ns, name string) []string {
	t.Helper()
	entries, err := e2eutil.ReadAudit(framework.Current.AuditLogPath, userAgent)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Resource == "jobs" && e.Namespace == ns && e.Name == name && e.Verb != "create" && e.Verb != "get" {
			out = append(out, fmt.Sprintf("%s %s/%s -> %d", e.Verb, e.Resource, e.Subresource, e.Code))
		}
	}
	return out
}

// handMadeJob creates a Job that looks like one of the run's, without the
// run's controller reference.
func handMadeJob(t *testing.T, ns, name string, labels map[string]string, d time.Duration) *batchv1.Job {
	t.Helper()
	j := framework.NewJob(ns, name, framework.PodScript{Duration: d})
	j.Labels = labels
	backoff := int32(0)
	j.Spec.BackoffLimit = &backoff
	created, err := framework.Current.Client.BatchV1().Jobs(ns).Create(context.Background(), j, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create hand-made Job %s: %v", name, err)
	}
	return created
}

// checkUntouched asserts that a hand-made Job still exists as it was made:
// same UID, no owner, the same labels, and that jobernetes never wrote to it.
func checkUntouched(t *testing.T, made *batchv1.Job) {
	t.Helper()
	j, err := framework.Current.Client.BatchV1().Jobs(made.Namespace).Get(context.Background(), made.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("hand-made Job %s: %v", made.Name, err)
	}
	if j.UID != made.UID || len(j.OwnerReferences) > 0 || fmt.Sprint(j.Labels) != fmt.Sprint(made.Labels) {
		t.Errorf("hand-made Job %s was changed: uid %s (was %s), owners %v, labels %v (were %v)",
			made.Name, j.UID, made.UID, j.OwnerReferences, j.Labels, made.Labels)
	}
	if w := writesTo(t, made.Namespace, made.Name); len(w) > 0 {
		t.Errorf("jobernetes wrote to hand-made Job %s: %v", made.Name, w)
	}
}

// Someone makes Jobs by hand that carry the run's labels, before the run
// and during it: they are reported as not adopted (output and an Event),
// ignored, and left alone, cleanup included; the run completes normally.
func TestForeignJobsWithRunLabels(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(true, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
      - {name: b, job_path: ok.yaml, depends_on: [a]}
  - phase_name: two
    jobs:
      - {name: c, job_path: ok.yaml}
`),
		"ok.yaml": e2eutil.JobYAML("1s", false),
	})
	runID := newRunID("foreign")
	labels := func(job string) map[string]string {
		return map[string]string{labelRun: runID, "jobernetes.io/job": job, "jobernetes.io/phase": "one",
			"app.kubernetes.io/managed-by": "jobernetes"}
	}
	rec := e2eutil.WatchJobs(t, cp.Client, ns)
	before := handMadeJob(t, ns, "impostor-before", labels("a"), time.Second)
	var during *batchv1.Job
	made := make(chan struct{})
	go func() {
		defer close(made)
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if len(e2eutil.ByNode(rec.Snapshot())["b"]) > 0 {
				break
			}
		}
		during = handMadeJob(t, ns, "impostor-during", labels("b"), 5*time.Second)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes().Run(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", runID)
	<-made
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0", r.Code)
	}
	for _, name := range []string{"impostor-before", "impostor-during"} {
		if !strings.Contains(r.Stdout, "Job "+ns+"/"+name+" carries the label") || !strings.Contains(r.Stdout, "not created by this run: ignored") {
			t.Errorf("output does not report %s as not adopted", name)
		}
	}
	got := readRecord(t, ns, runID)
	if len(got.Jobs) != 3 || got.Result != record.ResultSucceeded {
		t.Errorf("run record: %s with %d Jobs, want Succeeded with 3", got.Result, len(got.Jobs))
	}
	// Cleanup removed the run's 3 Jobs, and only them.
	e2eutil.WaitFor(t, time.Minute, "cleanup of the run's own Jobs", func() bool {
		jobs, err := cp.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
		return err == nil && len(jobs.Items) == 2
	})
	checkUntouched(t, before)
	if during != nil {
		checkUntouched(t, during)
	}
	events, err := cp.Client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=NotAdopted"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events.Items {
		if e.Type == corev1.EventTypeWarning {
			seen[e.InvolvedObject.Name] = true
		}
	}
	if !seen["impostor-before"] || !seen["impostor-during"] {
		t.Errorf("NotAdopted Events for %v, want both hand-made Jobs", seen)
	}
	var own []e2eutil.JobEvent
	for _, e := range rec.Snapshot() {
		if !strings.HasPrefix(e.Name, "impostor-") {
			own = append(own, e)
		}
	}
	nodes := e2eutil.ByNode(own)
	for _, n := range []string{"a", "b", "c"} {
		if len(nodes[n]) != 1 {
			t.Errorf("node %s: %d Jobs of the run, want 1", n, len(nodes[n]))
		}
	}
}

// A hand-made Job holds the deterministic name of a Job the run has not
// created yet: the run fails with NameTaken (exit 1) when it gets there,
// never creates what comes after, and leaves the Job alone.
func TestNameTakenByHand(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, withLabels := range []bool{false, true} {
		t.Run(fmt.Sprintf("runLabels=%v", withLabels), func(t *testing.T) {
			ns := cp.NewNamespace(t)
			dir := e2eutil.WriteFiles(t, map[string]string{
				"jobermodel.yaml": e2eutil.Model(true, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
      - {name: b, job_path: ok.yaml, depends_on: [a]}
      - {name: c, job_path: ok.yaml, depends_on: [b]}
  - phase_name: two
    jobs:
      - {name: d, job_path: ok.yaml}
`),
				"ok.yaml": e2eutil.JobYAML("1s", false),
			})
			model := filepath.Join(dir, "jobermodel.yaml")
			runID := newRunID("taken")
			m, err := config.Load(model, config.LoadOptions{Namespace: ns})
			if err != nil {
				t.Fatal(err)
			}
			jb := m.Jobs()[1]
			name := runmeta.JobName(runID, jb, jb.Manifests[0])
			var labels map[string]string
			if withLabels {
				labels = map[string]string{labelRun: runID, "jobernetes.io/job": "b", "jobernetes.io/phase": "one"}
			}
			rec := e2eutil.WatchJobs(t, cp.Client, ns)
			squatter := handMadeJob(t, ns, name, labels, 30*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := jobernetes().Run(ctx, t, "run", "-f", model, "-n", ns, "--run-id", runID)
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1", r.Code)
			}
			for _, want := range []string{"failed: job b", "NameTaken", "already exists and was not created by this run"} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if r.Duration > 30*time.Second {
				t.Errorf("the run took %s: it waited for the squatter", r.Duration)
			}
			nodes := e2eutil.ByNode(rec.Snapshot())
			if len(nodes["c"]) != 0 || len(nodes["d"]) != 0 {
				t.Errorf("successors of the taken name were created")
			}
			checkUntouched(t, squatter)
			if got := readRecord(t, ns, runID); got.Result != record.ResultFailed || !strings.Contains(got.Message, "NameTaken") {
				t.Errorf("run record: %s %q, want Failed with NameTaken", got.Result, got.Message)
			}
		})
	}
}
