package smoke

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// TestControlPlaneFootprint runs first (tests below it are parallel) and logs
// the start-up time and each component's memory while the cluster is idle.
func TestControlPlaneFootprint(t *testing.T) {
	cp := framework.RequireCluster(t)
	t.Logf("MEASURE start-up: %s", cp.StartupTime.Round(time.Millisecond))
	logRSS(t, "idle", cp)
	// Bounds for the CI machine (2 cores, 24 GiB), with room for a noisy
	// neighbour: a control plane that misses them makes every e2e package
	// slow or starves the benchmark.
	if cp.StartupTime > 2*time.Minute {
		t.Errorf("start-up took %s, want under 2m", cp.StartupTime)
	}
	var total int64
	for _, name := range []string{framework.Etcd, framework.KubeAPIServer, framework.KubeControllerManager, framework.KubeScheduler, framework.Kwok} {
		n, ok := cp.RSS()[name]
		if !ok || n <= 0 {
			t.Errorf("%s: no RSS measured: is it running?", name)
		}
		total += n
	}
	if total > 3<<30 {
		t.Errorf("idle control plane holds %d MiB, want under 3 GiB", total>>20)
	}
}

// TestThroughputZeroSecondJobs creates 100 Jobs of 0 s pods at once
// ($JOBERNETES_E2E_THROUGHPUT_JOBS to change) and measures how fast the bed
// completes them. Not parallel: it measures.
func TestThroughputZeroSecondJobs(t *testing.T) {
	cp := framework.RequireCluster(t)
	n := 100
	if v := os.Getenv("JOBERNETES_E2E_THROUGHPUT_JOBS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("JOBERNETES_E2E_THROUGHPUT_JOBS=%q: want a positive number", v)
		}
	}
	ns := cp.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+time.Duration(n)*100*time.Millisecond)
	defer cancel()

	type result struct {
		done map[string]*batchv1.Job
		err  error
	}
	watching := make(chan result, 1)
	go func() {
		done, _, err := cp.WaitForJobsFinished(ctx, ns, n)
		watching <- result{done, err}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			job := framework.NewJob(ns, jobName("zero", i), framework.PodScript{})
			if _, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	created := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatalf("create job: %v", err)
	}

	r := <-watching
	elapsed := time.Since(start)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for name, j := range r.done {
		if c, _ := framework.JobFinished(j); c != batchv1.JobComplete {
			t.Errorf("job %s finished %s, want Complete", name, c)
		}
	}
	t.Logf("MEASURE %d Jobs with 0s pods: created in %s, all Complete after %s: %.1f Jobs/s",
		n, created.Round(time.Millisecond), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	logRSS(t, fmt.Sprintf("after %d Jobs", n), cp)
}

func TestJobWithTwoSecondPodCompletes(t *testing.T) {
	t.Parallel()
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	job := framework.NewJob(ns, "two-seconds", framework.PodScript{Duration: 2 * time.Second})
	start := time.Now()
	if _, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create job: %v", err)
	}
	j, err := cp.WaitForJob(ctx, ns, job.Name, func(j *batchv1.Job) bool { _, done := framework.JobFinished(j); return done })
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if c, _ := framework.JobFinished(j); c != batchv1.JobComplete {
		t.Fatalf("job finished %s, want Complete", c)
	}
	t.Logf("MEASURE Job with a 2s pod: Complete %s after creation", elapsed.Round(time.Millisecond))
	if elapsed < 2*time.Second {
		t.Errorf("Complete after %s: the pod's 2s script was not honoured", elapsed)
	}
	if elapsed > 10*time.Second {
		t.Errorf("Complete after %s, want about 2-3s (< 10s)", elapsed)
	}
}

func TestJobWithFailingPodRespectsBackoffLimit(t *testing.T) {
	t.Parallel()
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	// The Job controller waits 10 s before replacing the first failed pod.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	job := framework.NewJob(ns, "fails", framework.PodScript{Fail: true, ExitCode: 3})
	job.Spec.BackoffLimit = ptr.To[int32](1)
	start := time.Now()
	if _, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create job: %v", err)
	}
	j, err := cp.WaitForJob(ctx, ns, job.Name, func(j *batchv1.Job) bool { _, done := framework.JobFinished(j); return done })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Job Failed after %s", time.Since(start).Round(time.Millisecond))
	c := framework.JobCondition(j, batchv1.JobFailed)
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != batchv1.JobReasonBackoffLimitExceeded {
		t.Fatalf("Failed condition = %+v, want True with reason %s", c, batchv1.JobReasonBackoffLimitExceeded)
	}
	if j.Status.Failed != 2 {
		t.Errorf("status.failed = %d, want 2 (backoffLimit 1)", j.Status.Failed)
	}
	pods, err := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + job.Name})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Errorf("%d pods, want 2", len(pods.Items))
	}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodFailed {
			t.Errorf("pod %s phase %s, want Failed", p.Name, p.Status.Phase)
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 3 {
				t.Errorf("pod %s container %s state %+v, want terminated with exit code 3", p.Name, cs.Name, cs.State)
			}
		}
	}
}

// TestJobDeletionRemovesRunningPods: a background delete of a Job with a
// running pod removes the pod (kwok plays the kubelet's part).
func TestJobDeletionRemovesRunningPods(t *testing.T) {
	t.Parallel()
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	job := framework.NewJob(ns, "long", framework.PodScript{Duration: time.Hour})
	if _, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create job: %v", err)
	}
	if _, err := cp.WaitForJob(ctx, ns, job.Name, func(j *batchv1.Job) bool { return ptr.Deref(j.Status.Ready, 0) == 1 }); err != nil {
		t.Fatal(err)
	}
	policy := metav1.DeletePropagationBackground
	if err := cp.Client.BatchV1().Jobs(ns).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		t.Fatalf("delete job: %v", err)
	}
	start := time.Now()
	sel := metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + job.Name}
	for {
		pods, err := cp.Client.CoreV1().Pods(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d pods left after deleting their Job", len(pods.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("pods gone %s after the Job's deletion", time.Since(start).Round(time.Millisecond))
}

func TestCronJobCreatesJob(t *testing.T) {
	t.Parallel()
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	// The first run is at the next full minute.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "every-minute"},
		Spec: batchv1.CronJobSpec{
			Schedule:          "* * * * *",
			ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				Template: framework.PodTemplate(framework.PodScript{}),
			}},
		},
	}
	start := time.Now()
	if _, err := cp.Client.BatchV1().CronJobs(ns).Create(ctx, cj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create cronjob: %v", err)
	}
	done, _, err := cp.WaitForJobsFinished(ctx, ns, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, j := range done {
		if !metav1.IsControlledBy(j, mustGetCronJob(ctx, t, cp, ns, cj.Name)) {
			t.Errorf("job %s is not controlled by the CronJob", name)
		}
		if c, _ := framework.JobFinished(j); c != batchv1.JobComplete {
			t.Errorf("job %s finished %s, want Complete", name, c)
		}
		t.Logf("CronJob's Job %s Complete %s after the CronJob's creation", name, time.Since(start).Round(time.Millisecond))
	}
	if elapsed := time.Since(start); elapsed > 75*time.Second {
		t.Errorf("first Job finished after %s, want within 75s", elapsed)
	}
}

func mustGetCronJob(ctx context.Context, t *testing.T, cp *framework.ControlPlane, ns, name string) *batchv1.CronJob {
	t.Helper()
	cj, err := cp.Client.BatchV1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get cronjob: %v", err)
	}
	return cj
}

func jobName(prefix string, i int) string {
	return fmt.Sprintf("%s-%03d", prefix, i)
}

func logRSS(t *testing.T, when string, cp *framework.ControlPlane) {
	t.Helper()
	rss := cp.RSS()
	names := make([]string, 0, len(rss))
	var total int64
	for name, n := range rss {
		names = append(names, name)
		total += n
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, " %s=%dMiB", name, rss[name]>>20)
	}
	t.Logf("MEASURE RSS %s:%s total=%dMiB", when, b.String(), total>>20)
}
