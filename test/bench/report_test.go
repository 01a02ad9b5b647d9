package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	p50, p99               time.Duration
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

func aggregate(results []runResult) []cell {
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
		var mk, fl, wl, p50, p99, cpu []time.Duration
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
	b.WriteString("| shape | pods | orchestrator | runs | wall | wall × jobernetes | makespan | floor | makespan / floor | reaction p50 | reaction p99 | requests / Job | Job writes / Job | Event writes / Job | state writes / run | peak RSS | CPU |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cells {
		runs := fmt.Sprintf("%d", c.runs)
		if c.failed > 0 {
			runs += fmt.Sprintf(" (+%d failed)", c.failed)
		}
		if c.parallel > 1 {
			runs += "*"
		}
		if c.runs == 0 {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | | | | | | | | | | | | | |\n", c.shape, c.pods, c.orch, runs)
			continue
		}
		vs := ""
		if j, ok := base[c.shape+"|"+c.pods]; ok && j.wall > 0 {
			vs = fmt.Sprintf("%.2f", float64(c.wall)/float64(j.wall))
		}
		perJob := func(n int) string { return fmt.Sprintf("%.2f", float64(n)/float64(c.jobs)) }
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %d | %d MiB | %.1f s |\n",
			c.shape, c.pods, c.orch, runs, fmtDur(c.wall), vs, fmtDur(c.makespan), fmtDur(c.floor), c.ratio,
			fmtDur(c.p50), fmtDur(c.p99), perJob(c.total), perJob(c.jobWrites), perJob(c.eventWrites), c.stateWrites, c.rssKiB/1024, c.cpu.Seconds())
	}
	b.WriteString(`
- wall: orchestrator process start -> exit; × jobernetes: this wall over jobernetes' for the same shape and pods.
- makespan: first Job created -> last Job Complete, both as seen by the benchmark's own watch.
- floor: the DAG's critical path, each Job weighted by its own create -> Complete time in the same run.
- reaction: a Job's creation seen on the watch minus the completion of the last of its dependencies.
- requests: the orchestrator's API requests in the run's namespace (audit log, by user agent);
  writes are create, update, patch and delete: to Jobs, to Events (jobernetes' Created and Deleted
  Events, off with --job-events=false), and to the run's state (record ConfigMap and Lease), per run.
  Peak RSS and CPU are rusage of the orchestrator's
  process and its children (the kubectl script: CPU of every kubectl, RSS of the largest).
- ` + "`*`" + ` the runs of this light shape (one Job in flight per run) ran at the same time, each in its own namespace.
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
