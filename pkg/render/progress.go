package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// diagnosisIndent puts a failed Job's pods under the text of its line.
const diagnosisIndent = "           "

// Progress writes the progress of `jobernetes run` without a live view:
// one stamped line per state change, in the order the controller emits
// its events, and the notes as they come. A failed Job whose diagnosis is
// due (its pods' log tails are read off the controller's sync) holds its
// line, and every line after it, until its Diagnosis arrives: the output
// reads as if the tails had been there at once, each line with the time
// of its event. The controller emits a due Diagnosis within a bound;
// Flush prints what a run that stops before it left held.
type Progress struct {
	mu     sync.Mutex
	w      io.Writer
	held   []heldLine
	queued map[string]bool // Jobs said queued: their next running line says admitted
}

// heldLine is a line waiting behind a failed Job's diagnosis: text, or
// the failed Job itself while its Diagnosis is due (due set).
type heldLine struct {
	text string
	due  string // the Kubernetes Job whose Diagnosis completes text
}

// NewProgress writes to w.
func NewProgress(w io.Writer) *Progress { return &Progress{w: w} }

// Transition takes one state change (controller.Options.OnTransition).
func (p *Progress) Transition(t runmeta.Transition) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.lineLocked(t)
	if t.State == runmeta.StateFailed && t.DiagnosisDue && t.Name != "" {
		p.held = append(p.held, heldLine{text: line, due: t.Name})
		return
	}
	p.writeLocked(line)
}

// Note takes a line that is not a state change (controller.Options.OnNote).
func (p *Progress) Note(n runmeta.Note) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeLocked(n.Text)
}

// Diagnosis takes why a failed Job's pods failed (controller.Options.
// OnDiagnosis): below its line, which goes out with what it held back.
func (p *Progress) Diagnosis(d runmeta.Diagnosis) {
	p.mu.Lock()
	defer p.mu.Unlock()
	text := DiagnosisText(d.Pods)
	for i := range p.held {
		if p.held[i].due == d.Name {
			p.held[i].text += text
			p.held[i].due = ""
			p.releaseLocked()
			return
		}
	}
	p.writeLocked(text)
}

// Flush writes every held line, diagnosed or not: the run stopped (an
// interrupt, a lost Lease) before a diagnosis came.
func (p *Progress) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.held {
		_, _ = io.WriteString(p.w, h.text)
	}
	p.held = nil
}

func (p *Progress) writeLocked(text string) {
	if text == "" {
		return
	}
	if len(p.held) > 0 {
		p.held = append(p.held, heldLine{text: text})
		return
	}
	_, _ = io.WriteString(p.w, text)
}

// releaseLocked writes the held lines up to the first still due.
func (p *Progress) releaseLocked() {
	n := 0
	var b strings.Builder
	for ; n < len(p.held) && p.held[n].due == ""; n++ {
		b.WriteString(p.held[n].text)
	}
	p.held = p.held[n:]
	_, _ = io.WriteString(p.w, b.String())
}

// lineLocked is t's line; a Job said queued is said admitted when it
// runs, not created again.
func (p *Progress) lineLocked(t runmeta.Transition) string {
	switch {
	case t.Name == "":
	case t.State == runmeta.StateQueued:
		if p.queued == nil {
			p.queued = map[string]bool{}
		}
		p.queued[t.Name] = true
	case p.queued[t.Name]:
		delete(p.queued, t.Name)
		if t.State == runmeta.StateRunning {
			return fmt.Sprintf("%s admitted  %s\n", Stamp(t.Elapsed), jobID(t))
		}
	}
	return TransitionLine(t)
}

// Stamp is the time of a progress line since the run started.
func Stamp(elapsed time.Duration) string {
	return fmt.Sprintf("[%8s]", "+"+runmeta.RoundDuration(elapsed).String())
}

// TransitionLine is t's progress line, "" for a transition the progress
// does not print (a job's skipped Jobs after its first, a revert skipped).
func TransitionLine(t runmeta.Transition) string {
	stamp := Stamp(t.Elapsed)
	switch {
	case t.Phase == "" && t.State == runmeta.RunCancelled:
		return fmt.Sprintf("%s run %s\n", stamp, t.Message)
	case t.Name == "" && t.State == runmeta.PhaseStarted:
		return fmt.Sprintf("%s phase %s started (%d jobs)\n", stamp, t.Phase, t.Jobs)
	case t.Name == "" && t.State == runmeta.PhaseSucceeded:
		return fmt.Sprintf("%s phase %s succeeded\n", stamp, t.Phase)
	case t.Name == "":
		return ""
	}
	id := jobID(t)
	switch t.State {
	case runmeta.StateRunning:
		return fmt.Sprintf("%s created   %s\n", stamp, id)
	case runmeta.StateQueued: // created before, in a line of its own
		return fmt.Sprintf("%s queued    %s: %s: %s\n", stamp, id, t.Reason, t.Message)
	case runmeta.StateSucceeded:
		if t.Created.IsZero() { // never created: an empty matrix
			return fmt.Sprintf("%s succeeded %s/%s: %s\n", stamp, t.Phase, t.Job, t.Message)
		}
		return fmt.Sprintf("%s succeeded %s in %s\n", stamp, id, runmeta.RoundDuration(t.Finished.Sub(t.Created)))
	case runmeta.StateFailed:
		return fmt.Sprintf("%s FAILED    %s: %s: %s\n", stamp, id, t.Reason, t.Message)
	case runmeta.StateSkipped:
		if t.Revert || t.Index != 0 {
			return "" // one line per job
		}
		return fmt.Sprintf("%s skipped   %s/%s: %s\n", stamp, t.Phase, t.Job, t.Message)
	}
	return ""
}

// jobID names t's Job in a line: phase/job (Job name).
func jobID(t runmeta.Transition) string {
	kind := "Job"
	if t.Revert {
		kind = "revert Job"
	}
	return fmt.Sprintf("%s/%s (%s %s)", t.Phase, t.Job, kind, t.Name)
}

// DiagnosisText is a failed Job's pods, as they go below its line.
func DiagnosisText(pods []record.PodFailure) string {
	var b strings.Builder
	for _, p := range pods {
		b.WriteString(p.Text(diagnosisIndent))
	}
	return b.String()
}
