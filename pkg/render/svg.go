package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// The SVG timeline's geometry, in pixels.
const (
	svgWidth     = 1000
	svgLabelW    = 340 // the job names' column
	svgChartX    = svgLabelW + 10
	svgChartW    = svgWidth - svgChartX - 64 // room for the last bar's duration
	svgRowH      = 22
	svgBarH      = 14
	svgWaitH     = 4
	svgHeaderH   = 78 // title, subtitle and the time axis
	svgPhaseH    = 24
	svgFooterH   = 44
	svgFont      = "font-family=\"-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif\""
	svgCritColor = "#8250df"
)

// svgColors are the fill and stroke of each state's bar (GitHub's palette,
// as the Mermaid classes of `status -o mermaid`).
var svgColors = map[string][2]string{
	report.StateWaiting:   {"#f6f8fa", "#8c959f"},
	report.StateQueued:    {"#fbefff", "#8250df"},
	report.StateRunning:   {"#ddf4ff", "#0969da"},
	report.StateSucceeded: {"#dafbe1", "#1a7f37"},
	report.StateFailed:    {"#ffebe9", "#cf222e"},
	report.StateSkipped:   {"#fff8c5", "#9a6700"},
}

func svgColor(state string) [2]string {
	if c, ok := svgColors[state]; ok {
		return c
	}
	return [2]string{"#eaeef2", "#57606a"} // a state this version does not know, such as deleted
}

// GanttSVG draws the run as a self-contained SVG Gantt chart: one row
// per Kubernetes Job grouped by phase, its wait (run start -> created) as a
// thin grey line and its run (created -> finished, or now) as a bar coloured
// by state, the critical path outlined, a time axis on top. It needs nothing
// but the status the cluster gives, so it works during and after a run, and
// after cleanup.
func GanttSVG(w io.Writer, st *report.RunStatus, now time.Time) error {
	t0, t1 := svgSpan(st, now)
	total := t1.Sub(t0)
	x := func(t time.Time) float64 {
		return svgChartX + float64(svgChartW)*float64(t.Sub(t0))/float64(total)
	}
	critical := criticalJobs(st, now)

	// Rows, grouped by phase in the order phases first appear.
	var phases []string
	rows := map[string][]report.JobStatus{}
	for _, j := range st.Jobs {
		if _, ok := rows[j.Phase]; !ok {
			phases = append(phases, j.Phase)
		}
		rows[j.Phase] = append(rows[j.Phase], j)
	}
	height := svgHeaderH + len(phases)*svgPhaseH + len(st.Jobs)*svgRowH + svgFooterH

	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n",
		svgWidth, height, svgWidth, height, svgFont)
	p(`<title>jobernetes run %s</title>`+"\n", esc(st.RunID))
	p(`<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)

	svgTitle(&b, st, now)

	// Time axis: ticks and grid lines.
	top, bottom := svgHeaderH-6, height-svgFooterH
	step := tickStep(total)
	p(`<g stroke="#d0d7de" stroke-width="1">` + "\n")
	for t := time.Duration(0); t <= total; t += step {
		tx := x(t0.Add(t))
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`+"\n", tx, top, tx, bottom)
	}
	p("</g>\n")
	p(`<g fill="#57606a" text-anchor="middle">` + "\n")
	for t := time.Duration(0); t <= total; t += step {
		p(`<text x="%.1f" y="%d">%s</text>`+"\n", x(t0.Add(t)), top-6, tickLabel(t))
	}
	p("</g>\n")

	y := svgHeaderH
	for _, ph := range phases {
		p(`<rect x="0" y="%d" width="%d" height="%d" fill="#f6f8fa" fill-opacity="0.8"/>`+"\n", y, svgWidth, svgPhaseH)
		p(`<text x="16" y="%d" font-weight="600" fill="#1f2328">phase %s</text>`+"\n", y+16, esc(ph))
		y += svgPhaseH
		for _, j := range rows[ph] {
			svgRow(&b, j, y, x, t0, now, critical[j.KubernetesJob])
			y += svgRowH
		}
	}

	svgLegend(&b, height)
	p("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// svgTitle draws the run's title and a subtitle: namespace, start, duration
// and parameters.
func svgTitle(b *bytes.Buffer, st *report.RunStatus, now time.Time) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	title := fmt.Sprintf("run %s: %s", st.RunID, st.Result)
	sub := []string{"namespace " + st.Namespace}
	if st.StartedAt != nil {
		sub = append(sub, "started "+st.StartedAt.UTC().Format(time.RFC3339))
		if st.FinishedAt != nil {
			sub = append(sub, "took "+Duration(st.FinishedAt.Sub(*st.StartedAt)))
		} else {
			sub = append(sub, "running for "+Duration(now.Sub(*st.StartedAt)))
		}
	}
	if len(st.Params) > 0 {
		kv := make([]string, 0, len(st.Params))
		for _, k := range slices.Sorted(maps.Keys(st.Params)) {
			kv = append(kv, k+"="+st.Params[k])
		}
		sub = append(sub, "params "+strings.Join(kv, " "))
	}
	p(`<text x="16" y="24" font-size="16" font-weight="600" fill="#1f2328">%s</text>`+"\n", esc(title))
	p(`<text x="16" y="42" fill="#57606a">%s</text>`+"\n", esc(strings.Join(sub, ", ")))
}

// svgLegend draws the states' colours, the critical path's outline and the
// wait line at the foot of a chart height pixels high.
func svgLegend(b *bytes.Buffer, height int) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	ly := height - svgFooterH + 26
	lx := 16
	for _, s := range []string{report.StateWaiting, report.StateRunning, report.StateSucceeded, report.StateFailed, report.StateSkipped} {
		c := svgColor(s)
		p(`<rect x="%d" y="%d" width="14" height="10" rx="2" fill="%s" stroke="%s"/>`+"\n", lx, ly-9, c[0], c[1])
		p(`<text x="%d" y="%d" fill="#57606a">%s</text>`+"\n", lx+20, ly, s)
		lx += 100
	}
	p(`<rect x="%d" y="%d" width="14" height="10" rx="2" fill="none" stroke="%s" stroke-width="2.5"/>`+"\n", lx, ly-9, svgCritColor)
	p(`<text x="%d" y="%d" fill="#57606a">critical path</text>`+"\n", lx+20, ly)
	lx += 120
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#afb8c1" stroke-width="%d"/>`+"\n", lx, ly-4, lx+14, ly-4, svgWaitH)
	p(`<text x="%d" y="%d" fill="#57606a">waiting for dependencies</text>`+"\n", lx+20, ly)
}

// svgRow draws one Kubernetes Job: its label, wait line and run bar.
func svgRow(b *bytes.Buffer, j report.JobStatus, y int, x func(time.Time) float64, t0, now time.Time, critical bool) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	c := svgColor(j.State)
	mid := y + svgRowH/2
	tip := []string{j.Phase + "/" + j.Job, "Job " + j.KubernetesJob, j.State}
	if j.CreatedAt != nil {
		tip = append(tip, "created +"+Duration(j.CreatedAt.Sub(t0)), "ran "+Duration(time.Duration(j.DurationSeconds*float64(time.Second))))
	}
	if j.Reason != "" && j.State != report.StateSucceeded {
		tip = append(tip, j.Reason)
	}
	if critical {
		tip = append(tip, "on the critical path")
	}
	p(`<g><title>%s</title>`+"\n", esc(strings.Join(tip, "\n")))
	label := j.Job
	if len(label) > 24 {
		label = label[:23] + "…"
	}
	// The end of a Kubernetes Job's name (its file and hash) tells Jobs of
	// a directory job apart: shorten it in the middle.
	name := j.KubernetesJob
	if len(name) > 34 {
		name = name[:14] + "…" + name[len(name)-19:]
	}
	p(`<text x="28" y="%d" fill="#1f2328">%s</text>`+"\n", mid+4, esc(label))
	p(`<text x="%d" y="%d" fill="#8c959f" font-size="10" text-anchor="end">%s</text>`+"\n", svgLabelW, mid+4, esc(name))
	end := now
	if j.FinishedAt != nil {
		end = *j.FinishedAt
	}
	switch {
	case j.CreatedAt != nil:
		if wx := x(*j.CreatedAt) - x(t0); wx > 0.5 {
			p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#afb8c1" stroke-width="%d"/>`+"\n", x(t0), mid, x(*j.CreatedAt), mid, svgWaitH)
		}
		bx, bw := x(*j.CreatedAt), max(x(end)-x(*j.CreatedAt), 2)
		stroke, sw := c[1], 1.0
		if critical {
			stroke, sw = svgCritColor, 2.5
		}
		p(`<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s" stroke="%s" stroke-width="%.1f"/>`+"\n",
			bx, mid-svgBarH/2, bw, svgBarH, c[0], stroke, sw)
		p(`<text x="%.1f" y="%d" fill="#57606a" font-size="10">%s</text>`+"\n", bx+bw+4, mid+4,
			esc(Duration(time.Duration(j.DurationSeconds*float64(time.Second)))))
	case j.State == report.StateWaiting:
		// Not created yet: waiting since the run started.
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#afb8c1" stroke-width="%d" stroke-dasharray="4 3"/>`+"\n",
			x(t0), mid, x(now), mid, svgWaitH)
	default:
		// Never ran (skipped): its state stands where its bar would be.
		p(`<text x="%d" y="%d" fill="%s" font-size="10">%s</text>`+"\n", svgChartX+4, mid+4, c[1], esc(j.State))
	}
	p("</g>\n")
}

// svgSpan is the chart's time range: the run's start (else its first Job's
// creation) to its end (else now); at least a second.
func svgSpan(st *report.RunStatus, now time.Time) (time.Time, time.Time) {
	var t0, t1 time.Time
	if st.StartedAt != nil {
		t0 = *st.StartedAt
	}
	end := now
	if st.FinishedAt != nil {
		end = *st.FinishedAt
	}
	t1 = end
	for _, j := range st.Jobs {
		if j.CreatedAt != nil && (t0.IsZero() || j.CreatedAt.Before(t0)) {
			t0 = *j.CreatedAt
		}
		if j.FinishedAt != nil && j.FinishedAt.After(t1) {
			t1 = *j.FinishedAt
		}
	}
	if t0.IsZero() {
		t0 = t1
	}
	if t1.Sub(t0) < time.Second {
		t1 = t0.Add(time.Second)
	}
	return t0, t1
}

// criticalJobs are the Kubernetes Jobs on the run's critical path, computed
// by pkg/graph from the plan (as the run's summary does) with each model
// job lasting as long as its longest Job. Reverts are not in the plan.
func criticalJobs(st *report.RunStatus, now time.Time) map[string]bool {
	var specs []graph.PhaseSpec
	phaseIdx := map[string]int{}
	type key struct{ phase, job string }
	seen := map[key]bool{}
	for _, j := range st.Jobs {
		if strings.HasSuffix(j.Job, " (revert)") {
			continue
		}
		k := key{j.Phase, j.Job}
		if seen[k] {
			continue
		}
		seen[k] = true
		pi, ok := phaseIdx[j.Phase]
		if !ok {
			pi = len(specs)
			phaseIdx[j.Phase] = pi
			specs = append(specs, graph.PhaseSpec{Name: j.Phase})
		}
		specs[pi].Nodes = append(specs[pi].Nodes, graph.NodeSpec{Name: j.Job, DependsOn: j.DependsOn})
	}
	g, err := graph.Build(specs)
	if err != nil {
		return nil // a plan pkg/graph refuses (it never should): no path drawn
	}
	// A model job lasts as long as its longest Job, which alone is marked:
	// a directory job's shorter Jobs are not what the run waited for.
	dur := make([]time.Duration, g.Len())
	longest := make([]string, g.Len())
	for _, j := range st.Jobs {
		i, ok := g.Index(j.Job)
		if !ok || g.Phases()[g.Node(i).Phase].Name != j.Phase || j.CreatedAt == nil {
			continue
		}
		end := now
		if j.FinishedAt != nil {
			end = *j.FinishedAt
		}
		if d := end.Sub(*j.CreatedAt); d > dur[i] || longest[i] == "" {
			dur[i], longest[i] = max(d, dur[i]), j.KubernetesJob
		}
	}
	path, total := g.CriticalPath(func(i int) time.Duration { return dur[i] })
	if total <= 0 {
		return nil
	}
	out := map[string]bool{}
	for _, i := range path {
		if longest[i] != "" {
			out[longest[i]] = true
		}
	}
	return out
}

// tickStep picks a round step giving at most 10 ticks over total.
func tickStep(total time.Duration) time.Duration {
	for _, s := range []time.Duration{
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	} {
		if total/s <= 10 {
			return s
		}
	}
	return 24 * time.Hour
}

// tickLabel is "0s", "30s", "1m", "1m30s", "2h".
func tickLabel(d time.Duration) string {
	s := strings.Replace(d.String(), "m0s", "m", 1)
	return strings.Replace(s, "h0m", "h", 1)
}

// esc escapes text for XML.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
