package chaos

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

const (
	// EnvSeed replays a test's random choices (kill moments, pod durations).
	envSeed = "JOBERNETES_CHAOS_SEED"
	// EnvFull=1 runs the full sizes (50 kills); the default is CI sizes.
	envFull = "JOBERNETES_CHAOS_FULL"

	labelRun = "jobernetes.io/run"
	// userAgent is the prefix of every request jobernetes makes.
	userAgent = "jobernetes/"
)

func full() bool { return os.Getenv(envFull) == "1" }

// newRand returns the test's seeded source and logs how to replay it. The
// seed is JOBERNETES_CHAOS_SEED, or the clock; each test mixes in its name
// so that tests differ but each one replays alone.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSeed, s, err)
		}
		seed = v
	}
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	t.Logf("MEASURE seed %d (replay: %s=%d go test ./test/e2e/chaos -run '^%s$')", seed, envSeed, seed, strings.SplitN(t.Name(), "/", 2)[0])
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func jobernetes() e2eutil.Jobernetes {
	return e2eutil.Jobernetes{Bin: binary, Kubeconfig: framework.Current.AdminKubeconfig}
}

// durations are the pod run times the DAGs draw from ("pods 0-2 s").
var durations = []string{"0s", "500ms", "1s", "1500ms", "2s"}

// dag is a model built in Go, so that the test knows its edges.
type dag struct {
	phases []string
	nodes  []*dagNode
	byName map[string]*dagNode
	files  map[string]string // manifest files, relative to the model
	// endsAt, if set, is the node the run ends at (a failure): crash
	// loops pace their kills to its depth instead of the DAG's.
	endsAt string
}

type dagNode struct {
	phase string
	name  string
	deps  []string
	path  string
	dir   bool
	jobs  int // Kubernetes Jobs: 1, or the folder's manifests
}

func newDAG() *dag {
	d := &dag{byName: map[string]*dagNode{}, files: map[string]string{}}
	for _, du := range durations {
		d.files["pods/ok-"+du+".yaml"] = e2eutil.JobYAML(du, false)
	}
	d.files["pods/fail-1s.yaml"] = e2eutil.JobYAML("1s", true)
	return d
}

func (d *dag) addNode(n *dagNode) {
	if len(d.phases) == 0 || d.phases[len(d.phases)-1] != n.phase {
		d.phases = append(d.phases, n.phase)
	}
	d.nodes = append(d.nodes, n)
	d.byName[n.name] = n
}

// add adds a file job whose pod runs a random 0-2 s.
func (d *dag) add(rng *rand.Rand, phase, name string, deps ...string) {
	d.addNode(&dagNode{phase: phase, name: name, deps: deps, path: "pods/ok-" + durations[rng.IntN(len(durations))] + ".yaml", jobs: 1})
}

// addFile adds a file job with a given manifest.
func (d *dag) addFile(phase, name, path string, deps ...string) {
	d.addNode(&dagNode{phase: phase, name: name, deps: deps, path: path, jobs: 1})
}

// addDir adds a directory job of n manifests.
func (d *dag) addDir(rng *rand.Rand, phase, name string, n int, deps ...string) {
	folder := "dirs/" + name
	for i := range n {
		d.files[fmt.Sprintf("%s/m%02d.yaml", folder, i)] = e2eutil.JobYAML(durations[rng.IntN(len(durations))], false)
	}
	d.addNode(&dagNode{phase: phase, name: name, deps: deps, path: folder, dir: true, jobs: n})
}

func (d *dag) kubernetesJobs() int {
	n := 0
	for _, x := range d.nodes {
		n += x.jobs
	}
	return n
}

func (d *dag) model(cleanup bool) string {
	var b strings.Builder
	phase := ""
	for _, n := range d.nodes {
		if n.phase != phase {
			phase = n.phase
			fmt.Fprintf(&b, "  - phase_name: %s\n    jobs:\n", phase)
		}
		fmt.Fprintf(&b, "      - {name: %s, job_path: %s", n.name, n.path)
		if n.dir {
			b.WriteString(", type: directory")
		}
		if len(n.deps) > 0 {
			fmt.Fprintf(&b, ", depends_on: [%s]", strings.Join(n.deps, ", "))
		}
		b.WriteString("}\n")
	}
	return e2eutil.Model(cleanup, 0, b.String())
}

// write writes the model and its manifests and returns the model's path.
func (d *dag) write(t *testing.T, cleanup bool) string {
	files := map[string]string{"jobermodel.yaml": d.model(cleanup)}
	for k, v := range d.files {
		files[k] = v
	}
	return e2eutil.WriteFiles(t, files) + "/jobermodel.yaml"
}

// depths returns each node's depth: 1 + the depth of its deepest
// dependency or, for a node without any, of the previous phase's deepest
// node; and the deepest (or endsAt's).
func (d *dag) depths() (map[string]int, int) {
	out := map[string]int{}
	deepest, phaseDeepest, phase := 0, 0, ""
	for _, n := range d.nodes { // model order: dependencies come first
		if n.phase != phase {
			phase, phaseDeepest = n.phase, deepest
		}
		dep := phaseDeepest
		for _, p := range n.deps {
			dep = max(dep, out[p])
		}
		out[n.name] = dep + 1
		deepest = max(deepest, dep+1)
	}
	if d.endsAt != "" {
		deepest = out[d.endsAt]
	}
	return out, deepest
}

// downstream is every node that must never start once name failed: its
// dependents, transitively, and every node of a later phase.
func (d *dag) downstream(name string) map[string]bool {
	out := map[string]bool{}
	failedPhase := slices.Index(d.phases, d.byName[name].phase)
	for changed := true; changed; {
		changed = false
		for _, n := range d.nodes {
			if out[n.name] {
				continue
			}
			later := slices.Index(d.phases, n.phase) > failedPhase
			dep := slices.ContainsFunc(n.deps, func(p string) bool { return p == name || out[p] })
			if later || dep {
				out[n.name] = true
				changed = true
			}
		}
	}
	return out
}

// mixedDAG is 200 Kubernetes Jobs: a fan-out, chains, a diamond lattice, a
// directory job and a fan-in, pods of 0-2 s. chains*chainLen must be 30;
// the DAG is 2+chainLen+8+3 Jobs deep.
func mixedDAG(rng *rand.Rand, chains, chainLen int) *dag {
	d := newDAG()
	d.add(rng, "fan", "root")
	for i := range 39 {
		d.add(rng, "fan", fmt.Sprintf("f%02d", i), "root")
	}
	for c := range chains {
		for i := range chainLen {
			name := fmt.Sprintf("c%d_%d", c, i)
			if i == 0 {
				d.add(rng, "chains", name)
			} else {
				d.add(rng, "chains", name, fmt.Sprintf("c%d_%d", c, i-1))
			}
		}
	}
	for l := range 8 {
		for i := range 10 {
			name := fmt.Sprintf("d%d_%d", l, i)
			if l == 0 {
				d.add(rng, "diamond", name)
			} else {
				d.add(rng, "diamond", name, fmt.Sprintf("d%d_%d", l-1, i), fmt.Sprintf("d%d_%d", l-1, (i+1)%10))
			}
		}
	}
	d.addDir(rng, "mixed", "dir", 5)
	var ms []string
	for i := range 44 {
		name := fmt.Sprintf("m%02d", i)
		ms = append(ms, name)
		if i < 20 {
			d.add(rng, "mixed", name, "dir")
		} else {
			d.add(rng, "mixed", name)
		}
	}
	d.add(rng, "mixed", "join", ms...)
	return d
}

// checkOnce asserts, from the test's watch and from the audit log, that no
// Kubernetes Job name was created twice and that each created node got
// exactly its Jobs; want lists the nodes that must have been created
// (nil: every node of d), never those that must not.
func checkOnce(t *testing.T, ns, runID string, d *dag, rec *e2eutil.Recorder, want map[string]bool, never map[string]bool) {
	t.Helper()
	evs := rec.Snapshot()
	for name, es := range e2eutil.ByName(evs) {
		if len(es) != 1 {
			t.Errorf("Job %s: %d UIDs seen, want exactly 1", name, len(es))
		}
	}
	nodes := e2eutil.ByNode(evs)
	for _, n := range d.nodes {
		got := len(nodes[n.name])
		switch {
		case never[n.name] && got > 0:
			t.Errorf("node %s: %d Jobs created, but it must never run", n.name, got)
		case never[n.name]:
		case (want == nil || want[n.name]) && got != n.jobs:
			t.Errorf("node %s: %d Jobs created, want exactly %d", n.name, got, n.jobs)
		case got > n.jobs:
			t.Errorf("node %s: %d Jobs created, want at most %d", n.name, got, n.jobs)
		}
	}
	// The audit log: no Job name answered "created" twice. Creates whose
	// client was killed mid-request have no clear answer; they are counted
	// apart (their Job, if made, is one of the UIDs the watch saw).
	var created, unknown map[string]int
	var err error
	for i := 0; i < 20; i++ { // the last audit events land just after the response
		if created, unknown, err = e2eutil.JobCreates(framework.Current.AuditLogPath, ns, userAgent); err == nil && len(created) >= len(e2eutil.ByName(evs))-len(unknown) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	total, ambiguous := 0, 0
	for name, n := range created {
		total += n
		if n != 1 {
			t.Errorf("audit log: Job %s created %d times, want exactly once", name, n)
		}
	}
	for name, n := range unknown {
		ambiguous += n
		if len(e2eutil.ByName(evs)[name]) == 0 {
			// Not a duplicate: the request died with its client before the
			// Job was stored, and no later orchestrator needed it (a failure).
			t.Logf("audit log: a create of Job %s was cut off by a kill and never made", name)
		}
	}
	for name := range e2eutil.ByName(evs) {
		if created[name] == 0 && unknown[name] == 0 {
			t.Errorf("the watch saw Job %s, but the audit log has no create of it by jobernetes", name)
		}
	}
	// The run record's UID of each finished Job is the one the watch saw.
	if runID != "" {
		for name, jr := range readRecord(t, ns, runID).Jobs {
			if es := e2eutil.ByName(evs)[name]; jr.UID != "" && (len(es) != 1 || es[0].UID != jr.UID) {
				t.Errorf("run record: Job %s has UID %s, the watch saw %v", name, jr.UID, es)
			}
		}
	}
	t.Logf("MEASURE exactly-once: %d Jobs seen by the watch (gaps %d); audit: %d creates answered 201, %d cut off by a kill",
		len(evs), rec.Gaps(), total, ambiguous)
}

// checkOrder asserts from the watch that every Job started after its
// dependencies and after the whole previous phase completed.
func checkOrder(t *testing.T, d *dag, rec *e2eutil.Recorder) {
	t.Helper()
	nodes := e2eutil.ByNode(rec.Snapshot())
	for _, n := range d.nodes {
		if len(n.deps) > 0 && len(nodes[n.name]) > 0 {
			e2eutil.AssertOrder(t, nodes, n.name, n.deps...)
		}
	}
	for p := 1; p < len(d.phases); p++ {
		var last time.Time
		var lastName string
		for _, n := range d.nodes {
			if n.phase != d.phases[p-1] {
				continue
			}
			for _, e := range nodes[n.name] {
				if e.Completed.After(last) {
					last, lastName = e.Completed, e.Name
				}
			}
		}
		for _, n := range d.nodes {
			if n.phase != d.phases[p] {
				continue
			}
			for _, e := range nodes[n.name] {
				if !e.FromList && !e.Added.After(last) {
					t.Errorf("phase %s: %s (Job %s) created at %s, before phase %s ended (Job %s completed at %s)",
						n.phase, n.name, e.Name, e.Added.Format(time.StampMicro), d.phases[p-1], lastName, last.Format(time.StampMicro))
				}
			}
		}
	}
}

// readRecord reads the run's record from the cluster.
func readRecord(t *testing.T, ns, runID string) *record.Record {
	t.Helper()
	run, err := record.Get(context.Background(), framework.Current.Client, ns, runID)
	if err != nil {
		t.Fatalf("read run record: %v", err)
	}
	return run.Record
}

// runJobsLeft counts the run's Jobs and pods still in the namespace.
func runJobsLeft(t *testing.T, ns, runID string) (int, int) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: labelRun + "=" + runID}
	jobs, err := framework.Current.Client.BatchV1().Jobs(ns).List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	pods, err := framework.Current.Client.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	return len(jobs.Items), len(pods.Items)
}

func newRunID(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000)
}
