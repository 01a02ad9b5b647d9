package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// cell is the medians of one configuration's successful runs.
type cell struct {
	shape, pods, orch      string
	jobs, runs, failed     int
	makespan, floor, wall  time.Duration
	ratio                  float64
	xLowest                float64    // median makespan / lowestFloor
	xLowestRange           [2]float64 // the runs' makespans over lowestFloor: lowest, highest
	lowestFloor            time.Duration
	p50, p99               time.Duration
	lastCreate, lastWorst  time.Duration // the runs' largest reaction: median, worst
	jobTime, toPod         [2]time.Duration
	podRun, toComplete     [2]time.Duration
	slowJobs               int
	requests               map[string]int // median per key
	total, writes          int            // median per run
	jobWrites, eventWrites int            // median per run: writes to jobs, to events
	stateWrites            int            // median per run: writes to configmaps and leases (run record, Lease)
	rssKiB                 int64
	cpu                    time.Duration
	parallel               int
}

func isWrite(key string) bool {
	verb, _, _ := strings.Cut(key, " ")
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// writeKind sorts a write by what it touches: "jobs", "events" or "state"
// (the run record ConfigMap and the Lease); "" for anything else.
func writeKind(key string) string {
	if !isWrite(key) {
		return ""
	}
	_, resource, _ := strings.Cut(key, " ")
	switch resource {
	case "jobs", "events":
		return resource
	case "configmaps", "leases":
		return "state"
	}
	return ""
}

// lowestFloors is, per shape and pod duration, the lowest floor of any
// successful run in the session, whoever ran it: the Job controller's pace
// when it was least loaded.
func lowestFloors(results []runResult) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, r := range results {
		k := r.Shape + "|" + r.Pods
		if r.Err != "" || r.Floor <= 0 {
			continue
		}
		if f, ok := out[k]; !ok || r.Floor < f {
			out[k] = r.Floor
		}
	}
	return out
}

// medianPair is the element-wise median of [p50, p90] pairs.
func medianPair(xs [][2]time.Duration) [2]time.Duration {
	var a, b []time.Duration
	for _, x := range xs {
		a, b = append(a, x[0]), append(b, x[1])
	}
	return [2]time.Duration{median(a), median(b)}
}

func aggregate(results []runResult) []cell {
	lowest := lowestFloors(results)
	var order []string
	byKey := map[string][]runResult{}
	for _, r := range results {
		k := r.Shape + "|" + r.Pods + "|" + r.Orch
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	var cells []cell
	for _, k := range order {
		rs := byKey[k]
		c := cell{shape: rs[0].Shape, pods: rs[0].Pods, orch: rs[0].Orch, jobs: rs[0].Jobs, requests: map[string]int{}}
		var mk, fl, wl, p50, p99, cpu, last []time.Duration
		var jt, tp, pr, tc [][2]time.Duration
		var slow []int
		var ratio []float64
		var rss []int64
		var total, writes, jw, ew, sw []int
		keys := map[string][]int{}
		for _, r := range rs {
			c.parallel = max(c.parallel, r.Parallel)
			if r.Err != "" {
				c.failed++
				continue
			}
			c.runs++
			mk, fl, wl = append(mk, r.Makespan), append(fl, r.Floor), append(wl, r.Wall)
			ratio = append(ratio, r.Ratio)
			p50, p99 = append(p50, r.ReactP50), append(p99, r.ReactP99)
			last = append(last, r.LastCreate)
			c.lastWorst = max(c.lastWorst, r.LastCreate)
			jt, tp, pr, tc = append(jt, r.JobTime), append(tp, r.ToPod), append(pr, r.PodRun), append(tc, r.ToComplete)
			slow = append(slow, r.SlowJobs)
			rss, cpu = append(rss, r.MaxRSSKiB), append(cpu, r.CPU)
			t, w := 0, 0
			kinds := map[string]int{}
			for key, n := range r.Requests {
				t += n
				if isWrite(key) {
					w += n
				}
				kinds[writeKind(key)] += n
			}
			total, writes = append(total, t), append(writes, w)
			jw, ew, sw = append(jw, kinds["jobs"]), append(ew, kinds["events"]), append(sw, kinds["state"])
			for key := range r.Requests {
				keys[key] = nil
			}
		}
		for key := range keys {
			var ns []int
			for _, r := range rs {
				if r.Err == "" {
					ns = append(ns, r.Requests[key])
				}
			}
			c.requests[key] = median(ns)
		}
		c.makespan, c.floor, c.wall, c.ratio = median(mk), median(fl), median(wl), median(ratio)
		c.p50, c.p99, c.rssKiB, c.cpu = median(p50), median(p99), median(rss), median(cpu)
		c.lastCreate, c.slowJobs = median(last), median(slow)
		c.jobTime, c.toPod, c.podRun, c.toComplete = medianPair(jt), medianPair(tp), medianPair(pr), medianPair(tc)
		c.lowestFloor = lowest[c.shape+"|"+c.pods]
		if c.lowestFloor > 0 {
			c.xLowest = float64(c.makespan) / float64(c.lowestFloor)
			c.xLowestRange = [2]float64{float64(slices.Min(mk)) / float64(c.lowestFloor), float64(slices.Max(mk)) / float64(c.lowestFloor)}
		}
		c.total, c.writes = median(total), median(writes)
		c.jobWrites, c.eventWrites, c.stateWrites = median(jw), median(ew), median(sw)
		cells = append(cells, c)
	}
	return cells
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 100*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func renderReport(cond condition, results []runResult) string {
	cells := aggregate(results)
	base := map[string]cell{} // jobernetes, per shape and pods
	for _, c := range cells {
		if c.orch == orchJobernetes && c.runs > 0 {
			base[c.shape+"|"+c.pods] = c
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# jobernetes benchmark results\n\n")
	fmt.Fprintf(&b, "%s on %s (%s CPUs), load average %s at the start, %s at the end; %s in all. "+
		"Commit %s; kubectl %s. Medians of the successful runs of each configuration.\n\n",
		cond.date, cond.host, cond.cpus, cond.loadStart, cond.loadEnd, cond.elapsed.Round(time.Second), cond.commit, cond.kubectl)
	b.WriteString("| shape | pods | orchestrator | runs | wall | wall × jobernetes | makespan | floor | makespan / floor | × lowest floor | reaction p50 | reaction p99 | last create after trigger | requests / Job | Job writes / Job | Event writes / Job | state writes / run | peak RSS | CPU |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cells {
		runs := fmt.Sprintf("%d", c.runs)
		if c.failed > 0 {
			runs += fmt.Sprintf(" (+%d failed)", c.failed)
		}
		if c.parallel > 1 {
			runs += "*"
		}
		if c.runs == 0 {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | | | | | | | | | | | | | | | |\n", c.shape, c.pods, c.orch, runs)
			continue
		}
		vs := ""
		if j, ok := base[c.shape+"|"+c.pods]; ok && j.wall > 0 {
			vs = fmt.Sprintf("%.2f", float64(c.wall)/float64(j.wall))
		}
		perJob := func(n int) string { return fmt.Sprintf("%.2f", float64(n)/float64(c.jobs)) }
		x := fmt.Sprintf("%.3f", c.xLowest)
		if c.runs > 1 {
			x += fmt.Sprintf(" (%.2f-%.2f)", c.xLowestRange[0], c.xLowestRange[1])
		}
		last := fmtDur(c.lastCreate)
		if c.runs > 1 {
			last += " (worst " + fmtDur(c.lastWorst) + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s | %d | %d MiB | %.1f s |\n",
			c.shape, c.pods, c.orch, runs, fmtDur(c.wall), vs, fmtDur(c.makespan), fmtDur(c.floor), c.ratio, x,
			fmtDur(c.p50), fmtDur(c.p99), last, perJob(c.total), perJob(c.jobWrites), perJob(c.eventWrites), c.stateWrites, c.rssKiB/1024, c.cpu.Seconds())
	}
	b.WriteString(`
- wall: orchestrator process start -> exit; × jobernetes: this wall over jobernetes' for the same shape and pods.
- makespan: first Job created -> last Job Complete, both as seen by the benchmark's own watch.
- floor: the DAG's critical path, each Job weighted by its own create -> Complete time in the same run.
- × lowest floor: makespan over the lowest floor that any run of any orchestrator reached on this shape
  and pods in this session (median; in brackets the lowest and highest run). The floor rises when the Job controller is slowed (by a burst of creates,
  by the orchestrator's other writes, by CPU); this ratio charges that to the orchestrator.
- reaction: a Job's creation seen on the watch minus the completion of the last of its dependencies.
- last create after trigger: the largest reaction of a run (on wave-N: the wave's last Job created
  after the root completed); median of the runs, and the worst run.
- requests: the orchestrator's API requests in the run's namespace (audit log, by user agent);
  writes are create, update, patch and delete: to Jobs, to Events (jobernetes' Created and Deleted
  Events, off with --job-events=false), and to the run's state (record ConfigMap and Lease), per run.
  Peak RSS and CPU are rusage of the orchestrator's
  process and its children (the kubectl script: CPU of every kubectl, RSS of the largest).
- ` + "`*`" + ` the runs of this light shape (one Job in flight per run) ran at the same time, each in its own namespace.
`)
	b.WriteString("\n## Where a Job's time goes (p50 / p90 over a run's Jobs, median of the runs)\n\n")
	b.WriteString("| shape | pods | orchestrator | lowest floor | Job create -> Complete | Jobs >= 1.5 s | create -> pod | pod -> Succeeded | Succeeded -> Complete |\n|---|---|---|---|---|---|---|---|---|\n")
	ms := func(d time.Duration) string { return fmt.Sprintf("%d", d.Milliseconds()) }
	pair := func(p [2]time.Duration) string { return ms(p[0]) + " / " + ms(p[1]) + " ms" }
	for _, c := range cells {
		if c.runs == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d of %d | %s | %s | %s |\n", c.shape, c.pods, c.orch, fmtDur(c.lowestFloor),
			pair(c.jobTime), c.slowJobs, c.jobs, pair(c.toPod), pair(c.podRun), pair(c.toComplete))
	}
	b.WriteString(`
- Times from the benchmark's own watches of the run's Jobs and pods: create -> pod is the Job
  controller creating the pod, pod -> Succeeded the scheduler and kwok, Succeeded -> Complete the
  Job controller's sync that counts the pod (it runs 1 s after a pod event: syncJobBatchPeriod).
`)
	b.WriteString("\n## API requests by verb and resource (median per run, in the run's namespace)\n\n")
	b.WriteString("| shape | pods | orchestrator | requests |\n|---|---|---|---|\n")
	for _, c := range cells {
		if c.runs == 0 {
			continue
		}
		keys := make([]string, 0, len(c.requests))
		for k := range c.requests {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, c.requests[k]))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.shape, c.pods, c.orch, strings.Join(parts, ", "))
	}
	var failed []string
	for _, r := range results {
		if r.Err != "" {
			failed = append(failed, fmt.Sprintf("- %s/%s/%s rep %d (namespace %s): %s", r.Shape, r.Pods, r.Orch, r.Rep, r.Namespace, r.Err))
		}
	}
	if len(failed) > 0 {
		b.WriteString("\n## Failed runs\n\n" + strings.Join(failed, "\n") + "\n")
	}
	return b.String()
}

// writeReport writes the table and, next to it, every run as JSON.
func writeReport(path, report string, results []runResult) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(strings.TrimSuffix(path, filepath.Ext(path))+".json", raw, 0o644)
}
