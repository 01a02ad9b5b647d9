package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// Orchestrators, as named in the report.
const (
	orchJobernetes = "jobernetes"
	orchKubectl    = "kubectl"
	orchPoll5      = "poll-5s"
	orchPoll1      = "poll-1s"
)

var allOrchestrators = []string{orchJobernetes, orchKubectl, orchPoll5, orchPoll1}

// isJobernetes says whether orch is jobernetes or one of its variants
// (jobernetes+NAME, JOBERNETES_BENCH_VARIANTS).
func isJobernetes(orch string) bool {
	return orch == orchJobernetes || strings.HasPrefix(orch, orchJobernetes+"+")
}

// variant is jobernetes with other flags or environment, run as an
// orchestrator of its own (jobernetes+NAME), so that A/B runs alternate in
// one session instead of one session per configuration.
type variant struct {
	args, env []string
}

// parseVariants reads NAME:ARGS;NAME:ARGS. ARGS are flags of `jobernetes
// run`; words of the form KEY=VALUE with an upper-case KEY are environment
// variables (GOMAXPROCS=1).
func parseVariants(v string) (map[string]variant, []string, error) {
	out := map[string]variant{}
	var names []string
	for _, part := range strings.Split(v, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		name, rest, ok := strings.Cut(part, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " +|/") {
			return nil, nil, fmt.Errorf("variant %q: want NAME:FLAGS, e.g. noevents:--job-events=false", part)
		}
		var vr variant
		for _, w := range strings.Fields(rest) {
			if k, _, isEnv := strings.Cut(w, "="); isEnv && k != "" && !strings.HasPrefix(k, "-") && strings.ToUpper(k) == k {
				vr.env = append(vr.env, w)
			} else {
				vr.args = append(vr.args, w)
			}
		}
		orch := orchJobernetes + "+" + name
		if _, dup := out[orch]; dup {
			return nil, nil, fmt.Errorf("variant %q twice", name)
		}
		out[orch] = vr
		names = append(names, orch)
	}
	return out, names, nil
}

// userAgentPrefix picks an orchestrator's requests out of the audit log.
func userAgentPrefix(orch string) string {
	if isJobernetes(orch) {
		return "jobernetes/"
	}
	switch orch {
	case orchKubectl:
		return "kubectl" // kubectl/v1.x, or kubectl-dispatcher/... where gcloud's wrapper is installed
	default:
		return "jobernetes-bench-poller/"
	}
}

// settings are the knobs, from the environment (see BENCHMARKS.md).
type settings struct {
	shapes        []shape
	pods          []time.Duration
	orchestrators []string
	repeat        int  // runs per configuration up to 1,000 Jobs (jobernetes; every orchestrator on light shapes)
	baseRepeat    int  // runs per baseline configuration on heavy shapes up to 1,000 Jobs
	repeatLarge   int  // runs per configuration above 1,000 Jobs
	kubectlAll    bool // kubectl on heavy shapes with every pod duration, not only the first
	kubectlLarge  bool // kubectl above 1,000 Jobs
	parallelLight bool
	cleanup       bool // the model's cleanup (jobernetes and the poller delete succeeded Jobs)
	jobernetesArg []string
	jobernetesEnv []string
	variants      map[string]variant // by orchestrator name, jobernetes+NAME
	out           string
}

func envList(name string, def []string) []string {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func loadSettings(t *testing.T, root string) settings {
	ci, full := os.Getenv("JOBERNETES_BENCH_CI") == "1", os.Getenv("JOBERNETES_BENCH_FULL") == "1"
	// layered-20x10 and wave-100 are issue 17's: the Job controller's floor
	// under a DAG of short layers, and a wave's last create.
	shapes := []shape{chain(50), fanOut(1000), layered(10, 100), layeredLxW(20, 10), wave(100)}
	repeat, kubectlAll := 3, os.Getenv("JOBERNETES_BENCH_KUBECTL_ALL") == "1"
	if ci {
		shapes = []shape{chain(20), fanOut(200), layered(5, 40)}
		repeat = 1
	}
	if full {
		shapes = append(shapes, layered(20, 500))
	}
	s := settings{
		pods:          []time.Duration{0, 2 * time.Second},
		orchestrators: envList("JOBERNETES_BENCH_ORCHESTRATORS", allOrchestrators),
		repeat:        envInt(t, "JOBERNETES_BENCH_REPEAT", repeat),
		baseRepeat:    envInt(t, "JOBERNETES_BENCH_BASELINE_REPEAT", 1),
		repeatLarge:   envInt(t, "JOBERNETES_BENCH_REPEAT_LARGE", 1),
		kubectlAll:    kubectlAll,
		kubectlLarge:  os.Getenv("JOBERNETES_BENCH_KUBECTL_LARGE") == "1",
		parallelLight: os.Getenv("JOBERNETES_BENCH_PARALLEL_LIGHT") != "0",
		cleanup:       os.Getenv("JOBERNETES_BENCH_CLEANUP") != "0",
		jobernetesArg: strings.Fields(os.Getenv("JOBERNETES_BENCH_JOBERNETES_ARGS")),
		jobernetesEnv: strings.Fields(os.Getenv("JOBERNETES_BENCH_JOBERNETES_ENV")),
		out:           os.Getenv("JOBERNETES_BENCH_OUT"),
	}
	if s.out == "" {
		s.out = filepath.Join(root, "_output", "bench", "results.md")
	}
	if names := envList("JOBERNETES_BENCH_SHAPES", nil); names != nil {
		shapes = nil
		for _, n := range names {
			sh, err := parseShape(n)
			if err != nil {
				t.Fatal(err)
			}
			shapes = append(shapes, sh)
		}
	}
	s.shapes = shapes
	if ds := envList("JOBERNETES_BENCH_PODS", nil); ds != nil {
		s.pods = nil
		for _, v := range ds {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("JOBERNETES_BENCH_PODS: %v", err)
			}
			s.pods = append(s.pods, d)
		}
	}
	for _, o := range s.orchestrators {
		if !contains(allOrchestrators, o) {
			t.Fatalf("JOBERNETES_BENCH_ORCHESTRATORS: unknown %q (want some of %v)", o, allOrchestrators)
		}
	}
	vs, names, err := parseVariants(os.Getenv("JOBERNETES_BENCH_VARIANTS"))
	if err != nil {
		t.Fatalf("JOBERNETES_BENCH_VARIANTS: %v", err)
	}
	s.variants = vs
	s.orchestrators = append(s.orchestrators, names...)
	return s
}

// parseShape reads chain-N, fanout-N, wave-N or layered-LxW. A layered
// shape keeps the name it was asked by (layered-20x10), so that two layered
// shapes of the same size stay apart in the report.
func parseShape(s string) (shape, error) {
	kind, size, _ := strings.Cut(s, "-")
	if kind == "layered" {
		l, w, ok := strings.Cut(size, "x")
		layers, err1 := strconv.Atoi(l)
		width, err2 := strconv.Atoi(w)
		if !ok || err1 != nil || err2 != nil || layers < 1 || width < 1 {
			return shape{}, fmt.Errorf("shape %q: want layered-LAYERSxWIDTH, e.g. layered-10x100", s)
		}
		return layeredLxW(layers, width), nil
	}
	n, err := strconv.Atoi(size)
	if err != nil || n < 2 {
		return shape{}, fmt.Errorf("shape %q: want chain-N, fanout-N, wave-N or layered-LxW", s)
	}
	switch kind {
	case "chain":
		return chain(n), nil
	case "fanout":
		return fanOut(n), nil
	case "wave":
		return wave(n), nil
	}
	return shape{}, fmt.Errorf("shape %q: want chain-N, fanout-N, wave-N or layered-LxW", s)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// config is one cell of the report.
type config struct {
	shape shape
	pods  time.Duration
	orch  string
}

// runResult is one run of one configuration.
type runResult struct {
	Shape     string        `json:"shape"`
	Pods      string        `json:"pods"`
	Orch      string        `json:"orchestrator"`
	Rep       int           `json:"rep"`
	Jobs      int           `json:"jobs"`
	Namespace string        `json:"namespace"`
	Err       string        `json:"error,omitempty"`
	Started   time.Time     `json:"started"`
	Wall      time.Duration `json:"wall"`     // process start -> exit
	Makespan  time.Duration `json:"makespan"` // first Job created -> last completed (watch)
	Floor     time.Duration `json:"floor"`
	Ratio     float64       `json:"ratio"`
	ReactP50  time.Duration `json:"reactionP50"`
	ReactP99  time.Duration `json:"reactionP99"`
	// LastCreate is the largest reaction of the run: on wave-N, the wave's
	// last create after the root completed.
	LastCreate time.Duration `json:"lastCreate"`
	// Where a Job's time goes (see timing): create -> Complete, and its
	// parts, p50 and p90 over the run's Jobs; SlowJobs counts Jobs that
	// took 1.5 s or more (a second pass of the Job controller's 1 s batching).
	JobTime    [2]time.Duration `json:"jobTime"`
	ToPod      [2]time.Duration `json:"toPod"`
	PodRun     [2]time.Duration `json:"podRun"`
	ToComplete [2]time.Duration `json:"toComplete"`
	SlowJobs   int              `json:"slowJobs"`
	Requests   map[string]int   `json:"requests"`
	MaxRSSKiB  int64            `json:"maxRSSKiB"`
	CPU        time.Duration    `json:"cpu"`
	Load       [2]string        `json:"loadavg"` // /proc/loadavg before and after
	Parallel   int              `json:"parallel"`
}

type bench struct {
	t      *testing.T
	cp     *framework.ControlPlane
	s      settings
	logDir string
	cache  string // kubectl's discovery cache, kept out of $HOME
}

// TestBench runs every configuration and writes the report.
func TestBench(t *testing.T) {
	cp := framework.RequireCluster(t)
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	s := loadSettings(t, root)
	b := &bench{t: t, cp: cp, s: s, logDir: filepath.Join(filepath.Dir(s.out), "logs"), cache: t.TempDir()}
	if err := os.MkdirAll(b.logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	cond := conditions(cp)
	plan := b.plan()
	total := 0
	for _, g := range plan {
		total += len(g)
	}
	t.Logf("%d runs in %d groups; logs in %s", total, len(plan), b.logDir)

	var results []runResult
	for gi, g := range plan {
		out := make([]runResult, len(g))
		var wg sync.WaitGroup
		for i, r := range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = b.run(r.cfg, r.rep, len(g))
			}()
		}
		wg.Wait()
		for _, r := range out {
			status := "ok"
			if r.Err != "" {
				status = "FAILED: " + r.Err
				t.Errorf("%s/%s/%s rep %d: %s", r.Shape, r.Pods, r.Orch, r.Rep, r.Err)
			}
			t.Logf("[%d/%d] %-14s %-4s %-10s rep %d  makespan %8s floor %8s ratio %5.2f  react p50 %7s p99 %7s last %7s  job p50 %s p90 %s slow %d  wall %8s  RSS %3d MiB  CPU %6.2fs  %s",
				gi+1, len(plan), r.Shape, r.Pods, r.Orch, r.Rep, r.Makespan.Round(time.Millisecond), r.Floor.Round(time.Millisecond),
				r.Ratio, r.ReactP50.Round(time.Millisecond), r.ReactP99.Round(time.Millisecond), r.LastCreate.Round(time.Millisecond),
				r.JobTime[0].Round(time.Millisecond), r.JobTime[1].Round(time.Millisecond), r.SlowJobs, r.Wall.Round(time.Millisecond),
				r.MaxRSSKiB/1024, r.CPU.Seconds(), status)
		}
		results = append(results, out...)
	}
	cond.elapsed = time.Since(started)
	cond.loadEnd = loadavg()
	report := renderReport(cond, results)
	fmt.Println(report)
	if err := writeReport(s.out, report, results); err != nil {
		t.Error(err)
	}
	t.Logf("report written to %s (%s)", s.out, cond.elapsed.Round(time.Second))
}

type planned struct {
	cfg config
	rep int
}

// plan orders the runs into groups; a group's runs go at once, groups one
// after the other. Heavy shapes run alone, one run at a time, so that no run
// shares the Job controller with another; the runs of a light shape (a
// chain keeps one Job in flight) form one group, or the suite would spend
// most of its time waiting on chains (see BENCHMARKS.md for the budget).
func (b *bench) plan() [][]planned {
	var out [][]planned
	for _, sh := range b.s.shapes {
		large := len(sh.nodes) > 1000
		batch := sh.light && b.s.parallelLight
		var light []planned
		for di, d := range b.s.pods {
			var orchs []string
			for _, o := range b.s.orchestrators {
				switch {
				case o == orchKubectl && large && !b.s.kubectlLarge:
					continue // ~40 min by itself at 10,000 Jobs
				case o == orchKubectl && !sh.light && di > 0 && !b.s.kubectlAll:
					continue // ~4 min per run at 1,000 Jobs, bound by its serial waits, not by the pods
				}
				orchs = append(orchs, o)
			}
			reps := func(o string) int {
				switch {
				case large:
					return b.s.repeatLarge
				case batch || isJobernetes(o):
					return b.s.repeat
				}
				return b.s.baseRepeat
			}
			maxReps := 0
			for _, o := range orchs {
				maxReps = max(maxReps, reps(o))
			}
			for rep := 1; rep <= maxReps; rep++ {
				for i := range orchs {
					// Rotate the order so that no orchestrator always runs first.
					o := orchs[(i+rep-1)%len(orchs)]
					if rep > reps(o) {
						continue
					}
					p := planned{config{sh, d, o}, rep}
					if batch {
						light = append(light, p)
					} else {
						out = append(out, []planned{p})
					}
				}
			}
		}
		if len(light) > 0 {
			out = append(out, light)
		}
	}
	return out
}

// timeout bounds one run generously: a run that takes longer has failed.
func timeout(c config) time.Duration {
	levels := len(c.shape.levels())
	return 5*time.Minute + time.Duration(len(c.shape.nodes))*200*time.Millisecond + time.Duration(levels)*(c.pods+10*time.Second)
}

// run runs one configuration once in a fresh namespace and measures it.
func (b *bench) run(c config, rep, parallel int) (res runResult) {
	res = runResult{Shape: c.shape.name, Pods: c.pods.String(), Orch: c.orch, Rep: rep, Jobs: len(c.shape.nodes), Parallel: parallel}
	fail := func(format string, args ...interface{}) runResult {
		res.Err = fmt.Sprintf(format, args...)
		return res
	}
	g, err := c.shape.graph()
	if err != nil {
		return fail("graph: %v", err)
	}
	ns, err := b.namespace(c, rep)
	if err != nil {
		return fail("%v", err)
	}
	res.Namespace = ns
	defer b.deleteNamespace(ns)
	dir, err := os.MkdirTemp("", "jobernetes-bench-run-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(dir)

	limit := timeout(c)
	cmd, err := b.command(c, dir, ns, limit)
	if err != nil {
		return fail("%v", err)
	}
	rec, err := watchNamespace(b.cp.Client, ns)
	if err != nil {
		return fail("watch Jobs: %v", err)
	}
	defer rec.stop()
	stdout, err := os.Create(filepath.Join(b.logDir, ns+".log"))
	if err != nil {
		return fail("%v", err)
	}
	defer stdout.Close()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr

	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	res.Load[0] = loadavg()
	res.Started = time.Now()
	runErr := runCommand(ctx, cmd)
	res.Wall = time.Since(res.Started)
	res.Load[1] = loadavg()
	_, _ = stdout.Write(append([]byte("\n--- stderr\n"), stderr.Bytes()...))
	if st := cmd.ProcessState; st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			// RUSAGE of the child and its waited-for descendants: for the
			// kubectl script, CPU sums every kubectl, RSS is the largest one.
			res.MaxRSSKiB = ru.Maxrss
			res.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	if runErr != nil {
		return fail("%s exited: %v: %s", c.orch, runErr, lastLine(stderr.String()))
	}

	// The orchestrator saw every completion on its own watch or list; give
	// ours a moment to see the last ones too.
	deadline := time.Now().Add(10 * time.Second)
	for rec.completedCount() < len(c.shape.nodes) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tm, err := measure(c.shape, g, rec.byNode())
	if err != nil {
		return fail("%v", err)
	}
	res.Makespan, res.Floor = tm.makespan, tm.floor
	if tm.floor > 0 {
		res.Ratio = float64(tm.makespan) / float64(tm.floor)
	}
	res.ReactP50, res.ReactP99 = e2eutil.Percentile(tm.reactions, 0.50), e2eutil.Percentile(tm.reactions, 0.99)
	res.LastCreate = tm.lastCreate
	p5090 := func(ds []time.Duration) [2]time.Duration {
		return [2]time.Duration{e2eutil.Percentile(ds, 0.5), e2eutil.Percentile(ds, 0.9)}
	}
	res.JobTime, res.ToPod, res.PodRun, res.ToComplete = p5090(tm.jobTimes), p5090(tm.toPod), p5090(tm.podRun), p5090(tm.toComplete)
	for _, d := range tm.jobTimes {
		if d >= 1500*time.Millisecond {
			res.SlowJobs++
		}
	}
	if res.Requests, err = b.requests(ns, userAgentPrefix(c.orch)); err != nil {
		return fail("count requests: %v", err)
	}
	return res
}

// command builds the orchestrator's process for one run.
func (b *bench) command(c config, dir, ns string, limit time.Duration) (*exec.Cmd, error) {
	env := append(os.Environ(), "KUBECONFIG="+b.cp.AdminKubeconfig)
	var cmd *exec.Cmd
	switch {
	case isJobernetes(c.orch), c.orch == orchPoll5, c.orch == orchPoll1:
		model, err := writeModel(dir, c.shape, c.pods, b.s.cleanup)
		if err != nil {
			return nil, err
		}
		switch {
		case isJobernetes(c.orch):
			vr := b.s.variants[c.orch]
			args := append([]string{"run", "-f", model, "-n", ns}, b.s.jobernetesArg...)
			cmd = exec.Command(jobernetesBin, append(args, vr.args...)...)
			env = append(append(env, b.s.jobernetesEnv...), vr.env...)
		case c.orch == orchPoll5:
			cmd = exec.Command(pollerBin, "-f", model, "-n", ns, "--interval", "5s")
		default:
			cmd = exec.Command(pollerBin, "-f", model, "-n", ns, "--interval", "1s")
		}
	case c.orch == orchKubectl:
		script, err := writeKubectlScript(dir, c.shape, c.pods)
		if err != nil {
			return nil, err
		}
		cmd = exec.Command("bash", script)
		env = append(env, "NS="+ns, fmt.Sprintf("TIMEOUT=%ds", int(limit.Seconds())), "KUBECACHEDIR="+b.cache)
	default:
		return nil, fmt.Errorf("unknown orchestrator %q", c.orch)
	}
	cmd.Env = env
	cmd.Dir = dir
	return cmd, nil
}

// runCommand runs cmd in its own process group, so that a timeout kills the
// kubectl processes of the script too, and so that nothing outlives the test
// binary (Pdeathsig).
func runCommand(ctx context.Context, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done //nolint:errcheck // killed on purpose: Wait reports the kill
		return fmt.Errorf("timed out: %w", ctx.Err())
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// namespace creates the run's namespace and waits for its default
// ServiceAccount (pods are refused without it).
func (b *bench) namespace(c config, rep int) (string, error) {
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	name := fmt.Sprintf("b-%s-%s-%s-%d-%s", c.shape.name, strings.ReplaceAll(c.pods.String(), ".", ""), strings.ReplaceAll(c.orch, "+", "-"), rep, hex.EncodeToString(suffix))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"test.jobernetes.io/bench": "true"}}}
	if _, err := b.cp.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("create namespace %s: %w", name, err)
	}
	for {
		_, err := b.cp.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return name, nil
		}
		if !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("wait for %s/default: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for %s/default: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// deleteNamespace removes what a run left (Jobs, pods) and waits until they
// are gone, so that the next run does not share the control plane with the
// cleanup of this one; the namespace itself goes in the background (an
// empty namespace costs the namespace controller next to nothing).
func (b *bench) deleteNamespace(ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	cs := b.cp.Client
	_ = cs.BatchV1().Jobs(ns).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg}, metav1.ListOptions{})
	for {
		_ = cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{})
		jobs, err1 := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{Limit: 1})
		pods, err2 := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{Limit: 1})
		if err1 == nil && err2 == nil && len(jobs.Items) == 0 && len(pods.Items) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			b.t.Logf("namespace %s: Jobs or pods still there after 5 min; going on", ns)
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		b.t.Logf("delete namespace %s: %v", ns, err)
	}
}

// requests counts the orchestrator's requests in ns from the audit log; the
// last ones (Events in particular) are written just after their response,
// so it reads until two counts a second apart agree.
func (b *bench) requests(ns, prefix string) (map[string]int, error) {
	var last map[string]int
	for i := 0; i < 10; i++ {
		counts, err := b.cp.CountRequestsIn(ns, prefix)
		if err != nil {
			return nil, err
		}
		if last != nil && maps.Equal(last, counts) {
			return counts, nil
		}
		last = counts
		time.Sleep(time.Second)
	}
	return last, nil
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// conditions describes the machine and the software the numbers come from.
type condition struct {
	date, host, cpus, kubectl, commit, loadStart, loadEnd string
	elapsed                                               time.Duration
}

func conditions(cp *framework.ControlPlane) condition {
	c := condition{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), loadStart: loadavg()}
	c.host, _ = os.Hostname()
	if out, err := exec.Command("nproc").Output(); err == nil {
		c.cpus = strings.TrimSpace(string(out))
	}
	kv := exec.Command("kubectl", "version", "--client")
	kv.Env = append(os.Environ(), "KUBECONFIG="+cp.AdminKubeconfig)
	if out, err := kv.Output(); err == nil {
		c.kubectl = strings.TrimPrefix(strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0], "Client Version: ")
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		c.commit = strings.TrimSpace(string(out))
	}
	return c
}
