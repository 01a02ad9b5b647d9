package incluster

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/bundle"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// wrapperModel: two phases, four Kubernetes Jobs of 0-2 s pods. Its
// kubernetes_namespace is "default", where the wrapper's ServiceAccount has
// no rights: the Pod's -n (its own namespace) must win.
var wrapperModel = map[string]string{
	"jobermodel.yaml": `jobernetes_config:
  cleanup: false
  jobname: nightly
  kubernetes_namespace: default
jobernetes:
  - phase_name: extract
    jobs:
      - name: extract
        job_path: jobs/extract.yaml
  - phase_name: transform
    jobs:
      - name: transform
        type: directory
        job_path: jobs/transform
      - name: load
        job_path: jobs/load.yaml
        depends_on: [transform]
`,
	"jobs/extract.yaml":     jobYAML("2s"),
	"jobs/transform/a.yaml": jobYAML("1s"),
	"jobs/transform/b.yaml": jobYAML("1s"),
	"jobs/load.yaml":        jobYAML("0s"),
}

// The CronJob wrapper end to end: `jobernetes cronjob` output applied as is;
// the real CronJob controller creates the wrapper Job, the Job controller its
// Pod; the test plays that Pod's container (see podRun). The first container
// crashes mid-run; the Pod run again resumes the same run (the run ID is the
// wrapper Job's name) and completes it under the bundle's RBAC alone; once
// more creates nothing; deleting the wrapper Job removes the run's Jobs and
// Pods through the garbage collector.
func TestCronJobWrapper(t *testing.T) {
	cp := framework.RequireCluster(t)
	requirePrivateMounts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ns := cp.NewNamespace(t)
	dir := writeFiles(t, wrapperModel)

	objs := generate(t, "cronjob", "--schedule", "* * * * *", "-f", dir+"/jobermodel.yaml", "-n", ns,
		"--name", "nightly", "--image", "jobernetes:e2e")
	cj := find[*batchv1.CronJob](t, objs)
	// kwok plays the wrapper Pod: keep it Running while the test plays its
	// container (a real Pod runs as long as its container).
	cj.Spec.JobTemplate.Spec.Template.Annotations = map[string]string{framework.AnnotationDuration: "10m"}
	jobs := watchJobs(t, ns)
	applied := time.Now()
	apply(ctx, t, ns, objs)

	// 1. The CronJob controller creates the wrapper Job at the next minute.
	var wrapper *batchv1.Job
	took := waitFor(t, 150*time.Second, "the CronJob controller to create the wrapper Job", func() bool {
		for _, j := range jobs.jobs(nil) {
			if ref := metav1.GetControllerOf(j); ref != nil && ref.Kind == "CronJob" && ref.Name == cj.Name {
				wrapper = j
				return true
			}
		}
		return false
	})
	t.Logf("MEASURE cronjob: wrapper Job %s created %s after apply", wrapper.Name, took.Round(time.Millisecond))
	// One wrapper is enough: no second one at the next minute.
	if _, err := cp.Client.BatchV1().CronJobs(ns).Patch(ctx, cj.Name, types.MergePatchType,
		[]byte(`{"spec":{"suspend":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	took = waitFor(t, 60*time.Second, "the wrapper Pod to run", func() bool {
		pods, err := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + wrapper.Name})
		if err != nil || len(pods.Items) == 0 || pods.Items[0].Status.Phase != corev1.PodRunning {
			return false
		}
		pod = &pods.Items[0]
		return true
	})
	t.Logf("MEASURE cronjob: wrapper Pod %s running %s after its Job (%s after apply)", pod.Name, took.Round(time.Millisecond), time.Since(applied).Round(time.Millisecond))
	runID := wrapper.Name
	container := newPodRun(ctx, t, cp, pod)
	if got := strings.Join(container.args, " "); !strings.Contains(got, "-n "+ns+" --run-id "+runID) {
		t.Fatalf("wrapper args %q: want the Pod's namespace and its Job's name as run ID", got)
	}

	// 2. The container crashes once the run's first Job exists.
	first := container.start(t)
	took = waitFor(t, 60*time.Second, "the run's first Job", func() bool {
		if first.exited() {
			first.kill() // logs its output
			t.Fatalf("the wrapper's container ended before creating a Job: %v", first.err)
		}
		return len(jobs.jobs(ofRun(runID))) > 0
	})
	first.kill()
	t.Logf("MEASURE cronjob: first run Job %s after the container started; container killed", took.Round(time.Millisecond))

	// 3. The Pod's container again: the same run resumes and succeeds.
	res := container.run(ctx, t)
	if res.code != 0 {
		t.Fatalf("resumed wrapper: %s, want exit 0", res)
	}
	if !strings.Contains(res.stdout, "run ID: "+runID+" (namespace "+ns+")") {
		t.Errorf("resumed wrapper did not run %s in %s", runID, ns)
	}
	t.Logf("MEASURE cronjob: resumed run finished in %s (includes waiting out the killed container's Lease)", res.took.Round(time.Millisecond))
	runJobs := jobs.jobs(ofRun(runID))
	perJob := map[string]int{}
	for _, j := range runJobs {
		perJob[j.Labels["jobernetes.io/job"]]++
	}
	if len(runJobs) != 4 || perJob["extract"] != 1 || perJob["transform"] != 2 || perJob["load"] != 1 {
		t.Errorf("run %s created %d Jobs %v: want each of the model's 4 Jobs exactly once", runID, len(runJobs), perJob)
	}
	record, err := cp.Client.CoreV1().ConfigMaps(ns).Get(ctx, "jobernetes-run-"+runID, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("run record: %v", err)
	}
	if refs := record.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Job" || refs[0].Name != wrapper.Name || refs[0].UID != wrapper.UID {
		t.Errorf("run record owners %+v: want the wrapper Job %s (%s)", refs, wrapper.Name, wrapper.UID)
	}
	for _, j := range runJobs {
		if ref := metav1.GetControllerOf(j); ref == nil || ref.UID != record.UID {
			t.Errorf("Job %s is controlled by %+v, not by the run record", j.Name, ref)
		}
	}

	// Under the bundle's RBAC alone: every request of the binary came from
	// the wrapper's ServiceAccount, and none was refused.
	sa := "system:serviceaccount:" + ns + ":" + pod.Spec.ServiceAccountName
	// This test's requests: on its namespace, or by one of its ServiceAccounts
	// (an attached control plane's audit log holds earlier tests' too).
	ours := func() []auditEntry {
		var out []auditEntry
		for _, e := range readAudit(t, "jobernetes/") {
			if e.Namespace == ns || strings.HasPrefix(e.User, "system:serviceaccount:"+ns+":") {
				out = append(out, e)
			}
		}
		return out
	}
	entries := ours()
	creates := 0
	for _, e := range entries {
		if e.User != sa {
			t.Errorf("a request of the binary came from %s, not %s: %+v", e.User, sa, e)
		}
		if e.Code == 403 || e.Code == 401 {
			t.Errorf("a request of the binary was refused: %+v", e)
		}
		if e.Verb == "create" && e.Resource == "jobs" && e.Namespace == ns {
			creates++
		}
	}
	t.Logf("MEASURE cronjob: %d API requests by %s, %d creates of Jobs", len(entries), sa, creates)

	// 4. Once more: the run is finished; nothing is created.
	createsSoFar := func() int {
		n := 0
		for _, e := range ours() {
			if e.Verb == "create" && e.Resource != "events" && e.Resource != "leases" {
				n++
			}
		}
		return n
	}
	before, beforeAudit := len(jobs.jobs(nil)), createsSoFar()
	res = container.run(ctx, t)
	if res.code != 0 || !strings.Contains(res.stdout, "already finished") {
		t.Errorf("wrapper run again: %s, output %q; want exit 0 and 'already finished'", res, res.stdout)
	}
	time.Sleep(time.Second) // a stray create would show in the watch and the audit log by now
	if after := len(jobs.jobs(nil)); after != before {
		t.Errorf("running the finished wrapper again created %d Jobs", after-before)
	}
	if after := createsSoFar(); after != beforeAudit {
		t.Errorf("running the finished wrapper again made %d creates (other than Events and its Lease)", after-beforeAudit)
	}
	if leases, err := cp.Client.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{}); err != nil || len(leases.Items) != 0 {
		t.Errorf("Leases left after the run: %v %v", leases, err)
	}
	container.homeIsEmpty(t)

	// 5. Deleting the wrapper Job removes the run: record, Jobs, Pods.
	sel := metav1.ListOptions{LabelSelector: labelRun + "=" + runID}
	if js, err := cp.Client.BatchV1().Jobs(ns).List(ctx, sel); err != nil || len(js.Items) != 4 {
		t.Fatalf("before deleting the wrapper Job: %d Jobs of the run (%v), want 4", len(js.Items), err)
	}
	if ps, err := cp.Client.CoreV1().Pods(ns).List(ctx, sel); err != nil || len(ps.Items) < 4 {
		t.Fatalf("before deleting the wrapper Job: %d Pods of the run (%v), want 4 or more", len(ps.Items), err)
	}
	background := metav1.DeletePropagationBackground
	if err := cp.Client.BatchV1().Jobs(ns).Delete(ctx, wrapper.Name, metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	var left string
	defer func() {
		if t.Failed() && left != "" {
			t.Logf("left after deleting the wrapper Job:%s", left)
		}
	}()
	took = waitFor(t, 2*time.Minute, "the garbage collector to remove the run", func() bool {
		js, err1 := cp.Client.BatchV1().Jobs(ns).List(ctx, sel)
		ps, err2 := cp.Client.CoreV1().Pods(ns).List(ctx, sel)
		_, err3 := cp.Client.CoreV1().ConfigMaps(ns).Get(ctx, record.Name, metav1.GetOptions{})
		wp, err4 := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + wrapper.Name})
		if err1 != nil || err2 != nil || err4 != nil {
			return false
		}
		left = ""
		if n := len(js.Items); n > 0 {
			left += " Jobs:" + strconv.Itoa(n)
		}
		if n := len(ps.Items); n > 0 {
			left += " Pods:" + strconv.Itoa(n)
		}
		if !apierrors.IsNotFound(err3) {
			left += " record"
		}
		if n := len(wp.Items); n > 0 {
			left += " wrapper-Pods:" + strconv.Itoa(n)
		}
		return left == ""
	})
	t.Logf("MEASURE cronjob: the run's record, %d Jobs and their Pods garbage-collected %s after deleting the wrapper Job",
		len(runJobs), took.Round(time.Millisecond))
	if _, err := cp.Client.CoreV1().ConfigMaps(ns).Get(ctx, bundle.ModelConfigMapName(cj.Name), metav1.GetOptions{}); err != nil {
		t.Errorf("the bundle's model ConfigMap must survive the run: %v", err)
	}
	// The container's token was bound to its Pod: gone with it.
	saClient, err := kubernetes.NewForConfig(cp.ConfigForToken(container.token(t)))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the Pod-bound token to stop working", func() bool {
		_, err := saClient.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		return apierrors.IsUnauthorized(err)
	})
}
