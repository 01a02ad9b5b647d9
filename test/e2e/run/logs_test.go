package run

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// jobWithContainer is a succeeding Job whose container is named c (the
// fake pod's log is chosen by container name).
func jobWithContainer(d, c string) string {
	return strings.Replace(e2eutil.JobYAML(d, false), "- name: main\n", "- name: "+c+"\n", 1)
}

// `logs -f` started while a three-Job run (one Job per phase) runs prints
// every Job's lines, each prefixed with its phase/job, and ends with the run.
func TestLogsFollow(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	cp.SetContainerLogs(t, ns, map[string][]string{
		"extract":   {"reading s3://bucket/in", "extracted 3 files"},
		"transform": {"transforming 3 files"},
		"load":      {"loading into warehouse", "loaded 1200 rows"},
	})
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", `
  - phase_name: one
    jobs:
      - {name: extract, job_path: extract.yaml}
  - phase_name: two
    jobs:
      - {name: transform, job_path: transform.yaml}
  - phase_name: three
    jobs:
      - {name: load, job_path: load.yaml}
`),
		"extract.yaml":   jobWithContainer("1500ms", "extract"),
		"transform.yaml": jobWithContainer("1500ms", "transform"),
		"load.yaml":      jobWithContainer("1500ms", "load"),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	run := jn.Start(t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", "follow")
	e2eutil.WaitFor(t, 30*time.Second, "the run record", func() bool {
		_, err := cp.Client.CoreV1().ConfigMaps(ns).Get(ctx, "jobernetes-run-follow", metav1.GetOptions{})
		return err == nil
	})
	lctx, lcancel := context.WithTimeout(ctx, time.Minute)
	defer lcancel()
	r := jobernetes(lctx, t, "logs", "-f", "-n", ns, "--run-id", "follow")
	ended := time.Now()
	select {
	case <-run.Done():
		t.Logf("MEASURE logs -f ended %s after the run", ended.Sub(run.ExitedAt()).Round(time.Millisecond))
	default:
		t.Errorf("logs -f ended before the run")
	}
	if rr := run.Wait(); rr.Code != 0 {
		t.Fatalf("run exit %d:\n%s%s", rr.Code, rr.Stdout, rr.Stderr)
	}
	if r.code != 0 {
		t.Fatalf("logs -f exit %d: %s\n%s", r.code, r.stdout, r.stderr)
	}
	want := []string{
		"one/extract reading s3://bucket/in\n", "one/extract extracted 3 files\n",
		"two/transform transforming 3 files\n",
		"three/load loading into warehouse\n", "three/load loaded 1200 rows\n",
	}
	for _, w := range want {
		if strings.Count(r.stdout, w) != 1 {
			t.Errorf("logs -f printed %q %d times, want once", w, strings.Count(r.stdout, w))
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colours when piped:\n%q", r.stdout)
	}
	if t.Failed() {
		t.Logf("logs -f output:\n%s", r.stdout)
	}
}

// After a run with cleanup, its succeeded Jobs (and pods) are gone:
// `logs` (the namespace's newest run) says so for each.
func TestLogsAfterCleanup(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	cp.SetContainerLogs(t, ns, map[string][]string{"main": {"hello"}})
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(true, 2, `
  - phase_name: one
    jobs:
      - {name: a, job_path: job.yaml}
      - {name: b, job_path: job.yaml}
`),
		"job.yaml": e2eutil.JobYAML("0s", false),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", "cleaned"); r.code != 0 {
		t.Fatalf("run exit %d: %s", r.code, r.stderr)
	}
	e2eutil.WaitFor(t, 30*time.Second, "cleanup to delete the Jobs", func() bool {
		jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: labelRun + "=cleaned"})
		return err == nil && len(jobs.Items) == 0
	})
	r := jobernetes(ctx, t, "logs", "-n", ns)
	if r.code != 0 {
		t.Fatalf("logs exit %d: %s", r.code, r.stderr)
	}
	for _, w := range []string{"one/a: logs gone: deleted by cleanup\n", "one/b: logs gone: deleted by cleanup\n"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("logs lacks %q:\n%s", w, r.stdout)
		}
	}
}
