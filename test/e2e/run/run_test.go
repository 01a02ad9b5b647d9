package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

var runIDLine = regexp.MustCompile(`run ID: (\S+)`)

func runIDOf(t *testing.T, out string) string {
	t.Helper()
	m := runIDLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no run ID printed in:\n%s", out)
	}
	return m[1]
}

// Both seed examples, as shipped: every Job starts only after its
// predecessors completed, and independent Jobs overlap.
func TestSeedExamples(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, ex := range []string{"simple", "advanced"} {
		t.Run(ex, func(t *testing.T) {
			ns := cp.NewNamespace(t)
			rec := watchJobs(t, ns)
			model, _ := filepath.Abs(filepath.Join("..", "..", "..", "examples", ex, "jobermodel.yaml"))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			r := jobernetes(ctx, t, "run", "-f", model, "-n", ns)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0", r.code)
			}
			if !strings.Contains(r.stdout, "SUCCEEDED") || !strings.Contains(r.stdout, "critical path") {
				t.Errorf("summary missing from output")
			}
			time.Sleep(200 * time.Millisecond)
			nodes := byNode(rec.snapshot())
			phase1 := []string{"sleep_one"}
			var phase2 []string
			if ex == "simple" {
				phase2 = []string{"dream_a", "dream_b"}
			} else {
				phase2 = []string{"dream_a", "sleep_hickup_a", "dream_b", "sleep_hickup_b"}
				assertOrder(t, nodes, "sleep_hickup_a", append(phase1, "dream_a")...)
				assertOrder(t, nodes, "sleep_hickup_b", append(phase1, "dream_b")...)
			}
			assertOrder(t, nodes, "dream_a", phase1...)
			assertOrder(t, nodes, "dream_b", phase1...)
			assertOrder(t, nodes, "wakeup", append(phase1, phase2...)...)
			if !overlapped(nodes, "dream_a", "dream_b") {
				t.Errorf("dream_a and dream_b did not run in parallel")
			}
			if len(nodes["wakeup"]) < 2 {
				t.Errorf("directory job wakeup made %d Jobs, want every manifest of its folder", len(nodes["wakeup"]))
			}
			// cleanup: true in the examples: succeeded Jobs are gone.
			e2eutil.WaitFor(t, 30*time.Second, "cleanup", func() bool {
				jobs, err := cp.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
				return err == nil && len(jobs.Items) == 0
			})
		})
	}
}

func model(cleanup bool, parallelization int, body string) string {
	return fmt.Sprintf("jobernetes_config:\n  cleanup: %v\n  parallelization: %d\njobernetes:\n%s", cleanup, parallelization, body)
}

// A Job fails mid-phase: its successors never start, its running sibling is
// allowed to finish, and the run exits 1 naming the failed job.
func TestFailureMidPhase(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(false, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok0.yaml}
  - phase_name: two
    jobs:
      - {name: broken, job_path: fail1.yaml}
      - {name: slow_sibling, job_path: ok4.yaml}
      - {name: after_broken, job_path: ok0.yaml, depends_on: [broken]}
  - phase_name: three
    jobs:
      - {name: never, job_path: ok0.yaml}
`),
		"ok0.yaml":   e2eutil.JobYAML("0s", false),
		"ok4.yaml":   e2eutil.JobYAML("4s", false),
		"fail1.yaml": e2eutil.JobYAML("1s", true),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	out := r.stdout + r.stderr
	for _, want := range []string{"failed: job broken", "BackoffLimitExceeded", "never ran: after_broken, never"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	nodes := byNode(rec.snapshot())
	if len(nodes["after_broken"]) != 0 || len(nodes["never"]) != 0 {
		t.Errorf("successors of the failed Job were created: %v", nodes)
	}
	if s := nodes["slow_sibling"]; len(s) != 1 || s[0].completed.IsZero() {
		t.Errorf("running sibling was not allowed to complete: %+v", s)
	}
}

// parallelization: 2 on a 10-Job fan-out: never more than 2 Jobs active, as
// the test's own watch sees it.
func TestParallelization(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	var b strings.Builder
	b.WriteString("  - phase_name: fan\n    jobs:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "      - {name: j%d, job_path: ok.yaml}\n", i)
	}
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(true, 2, b.String()),
		"ok.yaml":         e2eutil.JobYAML("1s", false),
	})
	rec := watchJobs(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	evs := rec.snapshot()
	if len(evs) != 10 {
		t.Errorf("%d Jobs created, want 10", len(evs))
	}
	rec.mu.Lock()
	peak := rec.peak
	rec.mu.Unlock()
	t.Logf("MEASURE peak active Jobs with parallelization 2: %d", peak)
	if peak > 2 {
		t.Errorf("peak active Jobs %d > 2", peak)
	}
	if peak < 2 {
		t.Errorf("peak active Jobs %d: the cap was never used", peak)
	}
}

// cleanup: true leaves no Job and no Pod of the run; cleanup: false leaves all.
func TestCleanup(t *testing.T) {
	cp := framework.RequireCluster(t)
	for _, cleanup := range []bool{true, false} {
		t.Run(fmt.Sprintf("cleanup=%v", cleanup), func(t *testing.T) {
			ns := cp.NewNamespace(t)
			dir := e2eutil.WriteFiles(t, map[string]string{
				"jobermodel.yaml": model(cleanup, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
      - {name: b, job_path: ok.yaml, depends_on: [a]}
  - phase_name: two
    jobs:
      - {name: c, job_path: ok.yaml}
`),
				"ok.yaml": e2eutil.JobYAML("0s", false),
			})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0", r.code)
			}
			sel := metav1.ListOptions{LabelSelector: labelRun + "=" + runIDOf(t, r.stdout)}
			count := func() (int, int) {
				jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, sel)
				if err != nil {
					t.Fatal(err)
				}
				pods, err := cp.Client.CoreV1().Pods(ns).List(ctx, sel)
				if err != nil {
					t.Fatal(err)
				}
				return len(jobs.Items), len(pods.Items)
			}
			if cleanup {
				e2eutil.WaitFor(t, 60*time.Second, "Jobs and Pods of the run to be deleted", func() bool {
					j, p := count()
					return j == 0 && p == 0
				})
			} else {
				time.Sleep(2 * time.Second)
				if j, p := count(); j != 3 || p != 3 {
					t.Errorf("cleanup: false left %d Jobs and %d Pods, want 3 and 3", j, p)
				}
			}
		})
	}
}

// An invalid model creates nothing and exits 2; an unreachable server exits 3.
func TestBadInputAndUnreachable(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(true, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml, depends_on: [b]}
      - {name: b, job_path: ok.yaml, depends_on: [a]}
      - {name: c, job_path: missing.yaml}
`),
		"ok.yaml": e2eutil.JobYAML("0s", false),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 2 {
		t.Errorf("invalid model: exit %d, want 2", r.code)
	}
	for _, want := range []string{"a -> b -> a", "missing.yaml"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	jobs, _ := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	cms, _ := cp.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=jobernetes"})
	if len(jobs.Items) != 0 || len(cms.Items) != 0 {
		t.Errorf("invalid model created %d Jobs and %d ConfigMaps", len(jobs.Items), len(cms.Items))
	}

	good := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(true, 0, "  - phase_name: one\n    jobs:\n      - {name: a, job_path: ok.yaml}\n"),
		"ok.yaml":         e2eutil.JobYAML("0s", false),
		"kubeconfig": `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
	})
	start := time.Now()
	r = jobernetes(ctx, t, "run", "-f", filepath.Join(good, "jobermodel.yaml"), "-n", ns, "--kubeconfig", filepath.Join(good, "kubeconfig"))
	if r.code != 3 {
		t.Errorf("unreachable server: exit %d, want 3", r.code)
	}
	t.Logf("MEASURE unreachable server reported in %s", time.Since(start).Round(time.Millisecond))
}

// Someone deletes a running Job of the run: the run fails with exit 1 and
// says so.
func TestJobDeletedByHand(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": model(false, 0, `
  - phase_name: one
    jobs:
      - {name: victim, job_path: long.yaml}
      - {name: next, job_path: ok.yaml, depends_on: [victim]}
`),
		"long.yaml": e2eutil.JobYAML("60s", false),
		"ok.yaml":   e2eutil.JobYAML("0s", false),
	})
	rec := watchJobs(t, ns)
	go func() {
		var name string
		e2eutil.WaitFor(t, 30*time.Second, "victim Job", func() bool {
			for _, e := range rec.snapshot() {
				if e.node == "victim" {
					name = e.name
					return true
				}
			}
			return false
		})
		time.Sleep(500 * time.Millisecond)
		bg := metav1.DeletePropagationBackground
		_ = cp.Client.BatchV1().Jobs(ns).Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &bg})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stdout, "deleted before it finished") {
		t.Errorf("output does not say the Job was deleted")
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("run took %s: it waited for the deleted Job", time.Since(start))
	}
	if len(byNode(rec.snapshot())["next"]) != 0 {
		t.Errorf("successor of the deleted Job was created")
	}
}

var _ = os.Getenv
