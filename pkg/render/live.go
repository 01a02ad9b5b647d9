package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// ANSI escape sequences of the live view.
const (
	ansiReset     = "\x1b[0m"
	ansiEraseDown = "\x1b[J" // erase from the cursor to the end of the screen
)

func ansiUp(n int) string { return fmt.Sprintf("\x1b[%dA", n) }

var stateColors = map[string]string{
	report.StateWaiting:   "\x1b[2m",    // dim
	report.StateQueued:    "\x1b[34m",   // blue
	report.StateRunning:   "\x1b[33m",   // yellow
	report.StateSucceeded: "\x1b[32m",   // green
	report.StateFailed:    "\x1b[1;31m", // bold red
	report.StateSkipped:   "\x1b[36m",   // cyan
}

const otherStateColor = "\x1b[35m" // magenta: a state this version does not know

// LiveView is the table `jobernetes run` redraws in place on a terminal:
// one row per model job with its state and elapsed time, above it one line
// for the whole run. It is fed by the controller's transitions and redrawn
// when they come (at most every 100ms) and every second for the clocks.
// Progress lines that are not state changes (warnings) scroll above it.
type LiveView struct {
	mu     sync.Mutex
	w      io.Writer
	size   func() (width, height int)
	now    func() time.Time
	runID  string
	start  time.Time
	rows   []*liveRow
	byName map[string]*liveJob
	byKey  map[[2]string]*liveRow // phase, job

	notes    []string // lines to print above the table at the next draw
	drawn    int      // lines of the frame on screen
	dirty    bool
	lastDraw time.Time

	loop liveLoop
}

// liveLoop is the redraw goroutine of a LiveView: Start starts it, Close
// stops it once.
type liveLoop struct {
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

type liveRow struct {
	phase, job string
	jobs       []*liveJob
}

type liveJob struct {
	state             string
	reason            string
	created, finished time.Time
}

// NewLiveView makes the view of a run of model, every Job waiting under
// its first attempt's name until Seed gives the run's plan.
func NewLiveView(w io.Writer, model *config.Model, runID string, now func() time.Time) *LiveView {
	v := &LiveView{w: w, now: now, runID: runID, start: now(), size: func() (int, int) { return 100, 40 }}
	if f := TerminalFile(w); f != nil {
		fd := int(f.Fd())
		v.size = func() (int, int) {
			wd, h, err := term.GetSize(fd)
			if err != nil || wd <= 0 || h <= 0 {
				return 80, 24
			}
			return wd, h
		}
	}
	v.reset()
	for _, j := range model.Jobs() {
		for _, m := range j.Manifests {
			v.addJob(j.Phase, j.Name, runmeta.JobName(runID, j, m))
		}
	}
	return v
}

func (v *LiveView) reset() {
	v.rows, v.byName, v.byKey = nil, map[string]*liveJob{}, map[[2]string]*liveRow{}
}

// addJob adds a Kubernetes Job to the row of its model job.
func (v *LiveView) addJob(phase, job, name string) *liveJob {
	key := [2]string{phase, job}
	r := v.byKey[key]
	if r == nil {
		r = &liveRow{phase: phase, job: job}
		v.rows = append(v.rows, r)
		v.byKey[key] = r
	}
	lj := &liveJob{state: report.StateWaiting}
	r.jobs = append(r.jobs, lj)
	v.byName[name] = lj
	return lj
}

// Seed replaces the rows with the run's plan as the cluster holds it (Job
// names of a retry differ from the first attempt's) and takes the states a
// resumed run starts from.
func (v *LiveView) Seed(st *report.RunStatus) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if st.StartedAt != nil {
		v.start = *st.StartedAt
	}
	if len(st.Jobs) > 0 {
		v.reset()
	}
	for _, js := range st.Jobs {
		lj := v.addJob(js.Phase, js.Job, js.KubernetesJob)
		lj.state, lj.reason = js.State, js.Reason
		if js.CreatedAt != nil {
			lj.created = *js.CreatedAt
		}
		if js.FinishedAt != nil {
			lj.finished = *js.FinishedAt
		}
	}
	v.dirty = true
}

// Observe takes one transition (controller.Options.OnTransition).
func (v *LiveView) Observe(t runmeta.Transition) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !t.Time.IsZero() {
		v.start = t.Time.Add(-t.Elapsed)
	}
	if t.Name == "" {
		return // a phase: its jobs tell the story
	}
	lj, ok := v.byName[t.Name]
	if !ok {
		// A Job outside the plan: a revert (compensating) Job, or one a
		// later version adds. It gets a row of its own.
		job := t.Job + " (" + t.Name + ")"
		if strings.HasPrefix(t.Name, "revert-") {
			job = t.Job + " (revert)"
		}
		lj = v.addJob(t.Phase, job, t.Name)
	}
	lj.state, lj.reason = t.State, t.Reason
	switch t.State {
	case report.StateWaiting:
	case report.StateRunning, report.StateQueued:
		if lj.created.IsZero() {
			lj.created = t.Time
		}
	default:
		if lj.created.IsZero() {
			lj.created = t.Time
		}
		lj.finished = t.Time
	}
	v.dirty = true
}

// Note takes a progress line that is not a state change (controller.
// Options.OnNote): it is printed above the table at the next draw.
func (v *LiveView) Note(n runmeta.Note) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.notes = append(v.notes, strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")...)
	v.dirty = true
}

// Diagnosis takes why a failed Job's pods failed (controller.Options.
// OnDiagnosis): printed above the table at the next draw, as the progress
// lines say it.
func (v *LiveView) Diagnosis(d runmeta.Diagnosis) {
	if len(d.Pods) == 0 {
		return
	}
	v.Note(runmeta.Note{Time: d.Time, Text: DiagnosisText(d.Pods)})
}

// Start redraws until stopped.
func (v *LiveView) Start(tick time.Duration) {
	v.loop.stop, v.loop.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(v.loop.done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-v.loop.stop:
				return
			case <-t.C:
				v.mu.Lock()
				if v.dirty || v.now().Sub(v.lastDraw) >= time.Second {
					v.drawLocked()
				}
				v.mu.Unlock()
			}
		}
	}()
}

// Close draws the last frame and leaves it on screen, the cursor below it.
func (v *LiveView) Close() {
	v.loop.stopOnce.Do(func() {
		if v.loop.stop != nil {
			close(v.loop.stop)
			<-v.loop.done
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		v.drawLocked()
	})
}

func (v *LiveView) drawLocked() {
	var b strings.Builder
	if v.drawn > 0 {
		b.WriteString("\r" + ansiUp(v.drawn) + ansiEraseDown)
	}
	for _, n := range v.notes {
		b.WriteString(n + "\n")
	}
	v.notes = nil
	frame := v.frameLocked()
	b.WriteString(frame)
	v.drawn = strings.Count(frame, "\n")
	v.dirty = false
	v.lastDraw = v.now()
	_, _ = io.WriteString(v.w, b.String())
}

// frameLocked renders the table, fitted to the terminal: lines are cut to
// its width, and rows that do not fit its height are summed up in a last
// line (the window follows the first job not yet succeeded).
func (v *LiveView) frameLocked() string {
	width, height := v.size()
	now := v.now()
	counts := map[string]int{}
	total := 0
	for _, r := range v.rows {
		for _, j := range r.jobs {
			counts[j.state]++
			total++
		}
	}
	var lines []string
	head := fmt.Sprintf("jobernetes run %s  +%s  %d/%d Jobs succeeded", v.runID, fmtClock(now.Sub(v.start)), counts[report.StateSucceeded], total)
	if n := counts[report.StateRunning]; n > 0 {
		head += fmt.Sprintf(", %d running", n)
	}
	if n := counts[report.StateQueued]; n > 0 {
		head += fmt.Sprintf(", %d queued", n)
	}
	if n := counts[report.StateFailed]; n > 0 {
		head += fmt.Sprintf(", %d failed", n)
	}
	lines = append(lines, fitWidth(head, width))

	stateW, phaseW := len(report.StateSucceeded), len("PHASE") // a steady width: rows change state
	for _, r := range v.rows {
		stateW = max(stateW, len(aggregateState(r.states())))
		phaseW = max(phaseW, min(len(r.phase), 24))
	}
	lines = append(lines, fitWidth(fmt.Sprintf("%-*s  %8s  %-*s  %s", stateW, "STATE", "ELAPSED", phaseW, "PHASE", "JOB"), width))

	rows := v.rows
	first, last := 0, len(rows)
	if avail := height - 3; len(rows) > height-2 && avail > 0 {
		first = len(rows)
		for i, r := range rows {
			if aggregateState(r.states()) != report.StateSucceeded {
				first = i
				break
			}
		}
		first = max(0, min(first, len(rows)-avail))
		last = first + avail
	}
	for _, r := range rows[first:last] {
		lines = append(lines, r.line(now, stateW, phaseW, width))
	}
	if first > 0 || last < len(rows) {
		lines = append(lines, fitWidth(fmt.Sprintf("... %d more above, %d below", first, len(rows)-last), width))
	}
	return strings.Join(lines, "\n") + "\n"
}

// line is the row's line of the table: its state (coloured), elapsed
// time, phase, job with its Jobs done, and why it did not succeed.
func (r *liveRow) line(now time.Time, stateW, phaseW, width int) string {
	state := aggregateState(r.states())
	elapsed := "-"
	if start, end, ok := r.span(now); ok {
		elapsed = fmtClock(end.Sub(start))
	}
	job := r.job
	if len(r.jobs) > 1 {
		done := 0
		for _, j := range r.jobs {
			if !j.finished.IsZero() {
				done++
			}
		}
		job += fmt.Sprintf(" %d/%d", done, len(r.jobs))
	}
	if reason := r.reason(); reason != "" && state != report.StateSucceeded {
		job += "  " + reason
	}
	color, ok := stateColors[state]
	if !ok {
		color = otherStateColor
	}
	tail := fmt.Sprintf("  %8s  %-*s  %s", elapsed, phaseW, truncName(r.phase, phaseW), job)
	cell := fmt.Sprintf("%-*s", stateW, state)
	return color + cell + ansiReset + fitWidth(tail, width-stateW)
}

func (r *liveRow) states() []string {
	s := make([]string, len(r.jobs))
	for i, j := range r.jobs {
		s[i] = j.state
	}
	return s
}

func (r *liveRow) reason() string {
	for _, j := range r.jobs {
		if j.reason != "" && j.state != report.StateSucceeded {
			return j.reason
		}
	}
	return ""
}

// span is from the first Job's creation to the last one's end, or now
// while some Job has not finished.
func (r *liveRow) span(now time.Time) (start, end time.Time, ok bool) {
	end = time.Time{}
	allDone := true
	for _, j := range r.jobs {
		if j.created.IsZero() {
			allDone = false
			continue
		}
		if start.IsZero() || j.created.Before(start) {
			start = j.created
		}
		if j.finished.IsZero() {
			allDone = false
		} else if j.finished.After(end) {
			end = j.finished
		}
	}
	if start.IsZero() {
		return start, end, false
	}
	if !allDone {
		end = now
	}
	return start, end, true
}

// fmtClock is a duration for a clock that ticks every second: tenths under
// a minute would flicker, so whole seconds.
func fmtClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

// fitWidth cuts s (plain text) to leave the last column free: a line that
// fills the terminal's width would wrap and break the redraw.
func fitWidth(s string, width int) string {
	if width <= 1 {
		return ""
	}
	r := []rune(s)
	if len(r) < width {
		return s
	}
	return string(r[:width-1])
}

func truncName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}
