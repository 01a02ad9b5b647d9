package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// graphFormats are the drawings of a model (`jobernetes graph --format`),
// by name.
var graphFormats = map[string]func(io.Writer, *config.Model){
	"text":    Text,
	"mermaid": Mermaid,
	"dot":     Dot,
}

// GraphFormat returns the drawing of a model called name: text, mermaid or
// dot.
func GraphFormat(name string) (func(io.Writer, *config.Model), bool) {
	f, ok := graphFormats[name]
	return f, ok
}

// manifestCount is "1 Job" or "3 Jobs"; for a matrix decided from
// results, where its Jobs come from.
func manifestCount(j *config.Job) string {
	if j.IsDynamic() {
		return "Jobs decided at run time from " + strings.Join(j.DynamicFrom(), " x ")
	}
	if len(j.Matrix) > 0 {
		return Plural(len(j.Manifests), "Job", "Jobs") + " (matrix)"
	}
	return Plural(len(j.Manifests), "Job", "Jobs")
}

// phaseEnds returns the nodes of a phase without dependents inside it
// (sinks) and without dependencies (sources), in model order: the phase
// order edges run from one phase's sinks to the next phase's sources.
func phaseEnds(m *config.Model, p int) (sinks, sources []int) {
	for _, i := range m.Graph.Phases()[p].Nodes {
		n := m.Graph.Node(i)
		if len(n.Dependents) == 0 {
			sinks = append(sinks, i)
		}
		if len(n.Deps) == 0 {
			sources = append(sources, i)
		}
	}
	return sinks, sources
}

func joinNames(m *config.Model, idx []int) string {
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = m.Graph.Node(i).Name
	}
	return strings.Join(names, ", ")
}

// jobNotes is what a drawing adds to a job's name: its number of Jobs when
// not 1 and its trigger rule when not the default, e.g. "2 Jobs, all_done".
func jobNotes(j *config.Job) string {
	var notes []string
	if len(j.Manifests) != 1 || len(j.Matrix) > 0 {
		notes = append(notes, manifestCount(j))
	}
	if j.When != nil {
		notes = append(notes, "when "+j.When.Expr)
	}
	if j.TriggerRule != "" && j.TriggerRule != config.RuleAllSucceeded {
		notes = append(notes, j.TriggerRule)
	}
	return strings.Join(notes, ", ")
}

// isFinally reports whether phase p is the model's finally phase.
func isFinally(m *config.Model, p int) bool {
	return m.Options.FinallyPhase != "" && m.Phases[p].Name == m.Options.FinallyPhase
}

// phaseLabel is a phase's name, "(finally)" added for the finally phase.
func phaseLabel(m *config.Model, p int) string {
	if isFinally(m, p) {
		return m.Phases[p].Name + " (finally)"
	}
	return m.Phases[p].Name
}

// Plural is "1 Job" or "3 Jobs".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
