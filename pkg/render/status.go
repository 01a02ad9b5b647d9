package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// WriteJSON prints v as indented JSON and a newline.
func WriteJSON(w io.Writer, v interface{}) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// NewTable is a kubectl-like table: columns separated by at least three
// spaces. Call FlushTable to write it without trailing blanks.
func NewTable() (*tabwriter.Writer, *bytes.Buffer) {
	var buf bytes.Buffer
	return tabwriter.NewWriter(&buf, 0, 8, 3, ' ', 0), &buf
}

// FlushTable writes the table of NewTable to w, without trailing blanks.
func FlushTable(w io.Writer, tw *tabwriter.Writer, buf *bytes.Buffer) {
	_ = tw.Flush()
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// StatusText prints a header with the run's result, then one row per
// Kubernetes Job.
func StatusText(w io.Writer, st *report.RunStatus, now time.Time) {
	statusHeader(w, st, now)
	statusTable(w, st)
	writeResults(w, st)
	writeDiagnosis(w, st)
	if st.Message != "" {
		fmt.Fprintf(w, "\n%s\n", st.Message)
	}
}

// statusHeader is the run's result, counts and times, its model, params and
// attempts, then a blank line.
func statusHeader(w io.Writer, st *report.RunStatus, now time.Time) {
	done, total := JobCounts(st)
	fmt.Fprintf(w, "run %s in namespace %s: %s (%d/%d Jobs done", st.RunID, st.Namespace, st.Result, done, total)
	if st.StartedAt != nil {
		if st.FinishedAt != nil {
			fmt.Fprintf(w, ", took %s", Duration(st.FinishedAt.Sub(*st.StartedAt)))
		} else {
			fmt.Fprintf(w, ", running for %s", Duration(now.Sub(*st.StartedAt)))
		}
	}
	fmt.Fprintln(w, ")")
	var about []string
	if st.Model != "" {
		about = append(about, "model "+st.Model)
	}
	if st.StartedAt != nil {
		about = append(about, "started "+st.StartedAt.UTC().Format(time.RFC3339))
	}
	if st.FinishedAt != nil {
		about = append(about, "finished "+st.FinishedAt.UTC().Format(time.RFC3339))
	}
	if len(about) > 0 {
		fmt.Fprintln(w, strings.Join(about, ", "))
	}
	if len(st.Params) > 0 {
		kv := make([]string, 0, len(st.Params))
		for _, k := range slices.Sorted(maps.Keys(st.Params)) {
			kv = append(kv, k+"="+st.Params[k])
		}
		fmt.Fprintln(w, "params "+strings.Join(kv, " "))
	}
	if st.Attempt > 1 {
		writeAttempts(w, st.Attempts, now)
	}
	fmt.Fprintln(w)
}

// statusTable is one row per Kubernetes Job.
func statusTable(w io.Writer, st *report.RunStatus) {
	tw, buf := NewTable()
	fmt.Fprintln(tw, "PHASE\tJOB\tKUBERNETES-JOB\tSTATE\tSTARTED\tDURATION\tREASON")
	for _, j := range st.Jobs {
		started, dur := "-", "-"
		if j.CreatedAt != nil {
			started = j.CreatedAt.UTC().Format(time.RFC3339)
			if st.StartedAt != nil {
				started = "+" + Duration(j.CreatedAt.Sub(*st.StartedAt))
				if j.Attempt > 0 && j.Attempt < st.Attempt && j.CreatedAt.Before(*st.StartedAt) { // kept from an earlier attempt
					started = "-" + Duration(st.StartedAt.Sub(*j.CreatedAt))
				}
			}
			dur = Duration(time.Duration(j.DurationSeconds * float64(time.Second)))
		}
		reason := j.Reason
		if j.State == report.StateSucceeded {
			reason = "" // the Job controller's "CompletionsReached" says nothing
		}
		job := j.Job
		if j.Replaced {
			job += fmt.Sprintf(" (attempt %d, replaced)", j.Attempt)
		} else if j.Attempt > 0 && j.Attempt < st.Attempt {
			job += fmt.Sprintf(" (attempt %d)", j.Attempt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Phase, job, j.KubernetesJob, j.State, started, dur, reason)
	}
	FlushTable(w, tw, buf)
}

// writeResults lists the results Jobs wrote (docs/dataflow.md), one line
// each, as compact JSON.
func writeResults(w io.Writer, st *report.RunStatus) {
	first := true
	for _, j := range st.Jobs {
		if len(j.Results) == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nresults:")
			first = false
		}
		var b bytes.Buffer
		if json.Compact(&b, j.Results) != nil {
			b.Reset()
			b.Write(j.Results)
		}
		fmt.Fprintf(w, "  %s/%s (Job %s): %s\n", j.Phase, j.Job, j.KubernetesJob, b.String())
	}
}

// writeDiagnosis says why failed Jobs failed and why running ones wait.
func writeDiagnosis(w io.Writer, st *report.RunStatus) {
	first := true
	for _, j := range st.Jobs {
		if len(j.Pods) == 0 && j.Waiting == "" {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		if j.Waiting != "" {
			fmt.Fprintf(w, "%s/%s (Job %s) waits: %s\n", j.Phase, j.Job, j.KubernetesJob, j.Waiting)
		}
		if len(j.Pods) > 0 {
			fmt.Fprintf(w, "%s/%s (Job %s) failed:\n", j.Phase, j.Job, j.KubernetesJob)
			for _, p := range j.Pods {
				fmt.Fprint(w, p.Text("  "))
			}
		}
	}
}

// JobCounts counts the run's Jobs that are done (finished, or decided never to
// run), and all of them; Jobs a retry replaced do not count.
func JobCounts(st *report.RunStatus) (done, total int) {
	for _, j := range st.Jobs {
		if j.Replaced {
			continue
		}
		total++
		if j.State != report.StateWaiting && j.State != report.StateQueued && j.State != report.StateRunning {
			done++
		}
	}
	return done, total
}

// writeAttempts prints one line per attempt of a retried run.
func writeAttempts(w io.Writer, attempts []report.AttemptStatus, now time.Time) {
	for _, a := range attempts {
		line := fmt.Sprintf("attempt %d: %s", a.Attempt, a.Result)
		if a.StartedAt != nil {
			line += ", started " + a.StartedAt.UTC().Format(time.RFC3339)
			if a.FinishedAt != nil {
				line += ", took " + Duration(a.FinishedAt.Sub(*a.StartedAt))
			} else {
				line += ", running for " + Duration(now.Sub(*a.StartedAt))
			}
		}
		if a.Message != "" {
			line += ": " + a.Message
		}
		fmt.Fprintln(w, line)
	}
}

// AllRunsText prints `status -A`: one row per run of every namespace,
// newest first, with kubectl's column style.
func AllRunsText(w io.Writer, runs []report.RunSummary, now time.Time) {
	tw, buf := NewTable()
	fmt.Fprintln(tw, "NAMESPACE\tRUN\tRESULT\tJOBS\tAGE\tDURATION")
	for _, r := range runs {
		age, dur := runAge(r, now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\n", r.Namespace, r.RunID, r.Result, r.Finished, r.Jobs, age, dur)
	}
	FlushTable(w, tw, buf)
}

func runAge(r report.RunSummary, now time.Time) (age, dur string) {
	if r.StartedAt == nil {
		return "-", "-"
	}
	end := now
	if r.FinishedAt != nil {
		end = *r.FinishedAt
	}
	return duration.HumanDuration(now.Sub(*r.StartedAt)), Duration(end.Sub(*r.StartedAt))
}

// RunListText prints one row per run, newest first.
func RunListText(w io.Writer, runs []report.RunSummary, now time.Time) {
	tw, buf := NewTable()
	fmt.Fprintln(tw, "RUN-ID\tRESULT\tDONE\tAGE\tDURATION")
	for _, r := range runs {
		age, dur := runAge(r, now)
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\n", r.RunID, r.Result, r.Finished, r.Jobs, age, dur)
	}
	FlushTable(w, tw, buf)
}

// stateStyles colour `status -o mermaid` nodes, one class per known state.
var stateStyles = [][2]string{
	{report.StateWaiting, "fill:#f6f8fa,stroke:#8c959f,color:#57606a"},
	{report.StateQueued, "fill:#fbefff,stroke:#8250df,color:#3e1f79"},
	{report.StateRunning, "fill:#ddf4ff,stroke:#0969da,color:#0a3069"},
	{report.StateSucceeded, "fill:#dafbe1,stroke:#1a7f37,color:#044f1e"},
	{report.StateFailed, "fill:#ffebe9,stroke:#cf222e,color:#82071e"},
	{report.StateSkipped, "fill:#fff8c5,stroke:#9a6700,color:#4d2d00"},
}

// revertSuffix names a revert Job's node in a RunStatus ("load (revert)").
const revertSuffix = " (revert)"

// StatusMermaid draws the run's plan as a Mermaid flowchart (`status -o
// mermaid`): see statusFlowchart.
func StatusMermaid(w io.Writer, st *report.RunStatus) {
	statusFlowchart(st).write(w)
}

// statusFlowchart draws the run's plan as the model's DAG, one node per
// model job, coloured by its state, with trigger rules, revert Jobs (dashed,
// behind a dotted edge from the job they compensate) and the finally phase.
func statusFlowchart(st *report.RunStatus) *flowchart {
	nodes, byKey := statusNodes(st)
	fc := &flowchart{classDefs: stateStyles}
	classOf := map[string]int{}
	for i, s := range stateStyles {
		fc.classes = append(fc.classes, flowClass{name: s[0]})
		classOf[s[0]] = i
	}
	reverts := flowClass{name: revertStyle[0]}
	phaseIdx := map[string]int{}
	for _, n := range nodes {
		pi, ok := phaseIdx[n.phase]
		if !ok { // reverts, after the plan, join their phase's subgraph
			pi = len(fc.phases)
			phaseIdx[n.phase] = pi
			fc.phases = append(fc.phases, flowPhase{name: n.phase})
		}
		if n.finally && pi > 0 {
			fc.finally = pi
			fc.phases[pi].name = n.phase + " (finally)"
		}
		state := aggregateState(n.states)
		if n.revertOf != "" {
			reverts.ids = append(reverts.ids, n.id)
			if of := byKey[[2]string{n.phase, n.revertOf}]; of != nil {
				fc.reverts = append(fc.reverts, [2]int{of.id, n.id})
			}
		}
		p := &fc.phases[pi]
		p.nodes = append(p.nodes, flowNode{id: n.id, label: n.label(state)})
		if c, ok := classOf[state]; ok {
			fc.classes[c].ids = append(fc.classes[c].ids, n.id)
		}
		for _, d := range n.deps {
			if dn := byKey[[2]string{n.phase, d}]; dn != nil {
				fc.edges = append(fc.edges, [2]int{dn.id, n.id})
			}
		}
	}
	if len(reverts.ids) > 0 {
		fc.classDefs = append(fc.classDefs[:len(fc.classDefs):len(fc.classDefs)], revertStyle)
		fc.classes = append(fc.classes, reverts)
	}
	used := fc.classes[:0]
	for _, c := range fc.classes {
		if len(c.ids) > 0 {
			used = append(used, c)
		}
	}
	fc.classes = used
	return fc
}

// statusNode is one model job of a run's plan, as `status -o mermaid`
// draws it: the states of its Kubernetes Jobs and how long the longest ran.
type statusNode struct {
	id          int
	phase, name string
	deps        []string
	rule        string
	finally     bool
	revertOf    string // a revert node: the job it compensates
	states      []string
	done        int
	longest     float64
	started     bool
}

// statusNodes folds the run's Jobs into one node per model job (and per
// revert), in the order they come, leaving out Jobs a retry replaced.
func statusNodes(st *report.RunStatus) ([]*statusNode, map[[2]string]*statusNode) {
	var nodes []*statusNode
	byKey := map[[2]string]*statusNode{}
	for _, j := range st.Jobs {
		if j.Replaced {
			continue
		}
		key := [2]string{j.Phase, j.Job}
		n := byKey[key]
		if n == nil {
			n = &statusNode{id: len(nodes), phase: j.Phase, name: j.Job, deps: j.DependsOn, rule: j.TriggerRule, finally: j.Finally}
			if j.Revert || strings.HasSuffix(j.Job, revertSuffix) {
				n.revertOf = strings.TrimSuffix(j.Job, revertSuffix)
			}
			nodes = append(nodes, n)
			byKey[key] = n
		}
		n.states = append(n.states, j.State)
		if j.FinishedAt != nil {
			n.done++
		}
		if j.CreatedAt != nil {
			n.started = true
			n.longest = max(n.longest, j.DurationSeconds)
		}
	}
	return nodes, byKey
}

// label is the node's text: its name, its number of Jobs and trigger rule,
// its state (with the Jobs done while running) and its longest duration.
func (n *statusNode) label(state string) string {
	label := n.name
	var notes []string
	if len(n.states) > 1 {
		notes = append(notes, fmt.Sprintf("%d Jobs", len(n.states)))
	}
	if n.rule != "" {
		notes = append(notes, n.rule)
	}
	if len(notes) > 0 {
		label += " (" + strings.Join(notes, ", ") + ")"
	}
	label += ": " + state
	if len(n.states) > 1 && state == report.StateRunning {
		label += fmt.Sprintf(", %d/%d done", n.done, len(n.states))
	}
	if n.started {
		label += ", " + Duration(time.Duration(n.longest*float64(time.Second)))
	}
	return label
}

// aggregateState folds the states of a model job's Kubernetes Jobs into
// one: failed if any failed; the common state if all agree; running while
// some are running, or some started and others wait; else (finished in
// different ways, such as succeeded and skipped) the first that is not
// succeeded.
func aggregateState(states []string) string {
	if len(states) == 0 {
		return report.StateWaiting
	}
	same, running, waiting := true, false, false
	for _, s := range states {
		switch s {
		case report.StateFailed:
			return report.StateFailed
		case report.StateRunning, report.StateQueued:
			running = true
		case report.StateWaiting:
			waiting = true
		}
		if s != states[0] {
			same = false
		}
	}
	switch {
	case same:
		return states[0]
	case running || waiting:
		return report.StateRunning
	}
	for _, s := range states {
		if s != report.StateSucceeded {
			return s
		}
	}
	return report.StateSucceeded
}

// StatusLines prints a run's changes as lines: the header when the result
// or the count of finished Jobs changes, and one row per Job state change.
type StatusLines struct {
	w      io.Writer
	seen   map[string]string // Kubernetes Job -> last state printed
	header string
}

// NewStatusLines prints changes to w, `status -w` when piped.
func NewStatusLines(w io.Writer) *StatusLines {
	return &StatusLines{w: w, seen: map[string]string{}}
}

// Write prints what changed since the last status written.
func (l *StatusLines) Write(st *report.RunStatus) {
	done, total := JobCounts(st)
	if h := fmt.Sprintf("run %s in namespace %s: %s (%d/%d Jobs done)", st.RunID, st.Namespace, st.Result, done, total); h != l.header {
		l.header = h
		fmt.Fprintln(l.w, h)
	}
	for _, j := range st.Jobs {
		if l.seen[j.KubernetesJob] == j.State {
			continue
		}
		l.seen[j.KubernetesJob] = j.State
		line := fmt.Sprintf("%-30s %-40s %-10s", j.Phase+"/"+j.Job, j.KubernetesJob, j.State)
		if j.Reason != "" && j.State != report.StateSucceeded {
			line += " " + j.Reason
		}
		fmt.Fprintln(l.w, strings.TrimRight(line, " "))
	}
	if st.Result != record.ResultRunning && st.Message != "" {
		fmt.Fprintln(l.w, st.Message)
	}
}
