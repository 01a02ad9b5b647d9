package config

import (
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing the user must fix. Empty parts are omitted when
// printed: File (the model file), Phase and Job (names from the model),
// Manifest (a Job manifest file), Field (a path inside the model or the
// manifest, such as jobernetes[1].jobs[0].depends_on[0] or
// spec.template.spec.restartPolicy) and Message.
type Problem struct {
	File, Phase, Job, Manifest, Field, Message string
}

// String is the problem on one line, e.g.
//
//	jobermodel.yaml: phase "mid_sleep": job "dream_a": test-dir/a.yaml: spec.template.spec.restartPolicy: Unsupported value "Always": a Job's pods must use Never or OnFailure
func (p Problem) String() string {
	parts := make([]string, 0, 6)
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(p.File)
	if p.Phase != "" {
		add("phase " + strconv.Quote(p.Phase))
	}
	if p.Job != "" {
		add("job " + strconv.Quote(p.Job))
	}
	add(p.Manifest)
	add(p.Field)
	add(p.Message)
	return strings.Join(parts, ": ")
}

// ValidationError is every problem of a model, in model order.
type ValidationError struct {
	Problems []Problem
}

// Error is all problems, one per line.
func (e *ValidationError) Error() string {
	if e == nil || len(e.Problems) == 0 {
		return "invalid model"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems with their place in the model so that they
// can be reported in model order whatever stage found them.
type problems struct {
	file string
	list []placed
}

// placed is a problem and where it sits: phase and job index in the model
// (-1 for the model as a whole, or the phase itself).
type placed struct {
	phase, job int
	Problem
}

// at records a problem of the model file as a whole.
func (ps *problems) at(field, msg string) {
	ps.list = append(ps.list, placed{-1, -1, Problem{File: ps.file, Field: field, Message: msg}})
}

// phase records a problem of phase p (named name, possibly empty).
func (ps *problems) phase(p int, name, field, msg string) {
	ps.list = append(ps.list, placed{p, -1, Problem{File: ps.file, Phase: name, Field: field, Message: msg}})
}

// job records a problem of a job; manifest may be empty.
func (ps *problems) job(j *rawJob, manifest, field, msg string) {
	ps.list = append(ps.list, placed{j.phase.index, j.index, Problem{
		File: ps.file, Phase: j.phase.name, Job: j.name, Manifest: manifest, Field: field, Message: msg}})
}

func (ps *problems) empty() bool { return len(ps.list) == 0 }

// sorted returns the problems in model order; problems of the same place
// keep the order in which they were found.
func (ps *problems) sorted() []Problem {
	sort.SliceStable(ps.list, func(a, b int) bool {
		x, y := ps.list[a], ps.list[b]
		if x.phase != y.phase {
			return x.phase < y.phase
		}
		return x.job < y.job
	})
	out := make([]Problem, len(ps.list))
	for i, p := range ps.list {
		out[i] = p.Problem
	}
	return out
}
