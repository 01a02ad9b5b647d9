package config

import (
	"sort"
	"strconv"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// Problem is one thing the user must fix. Empty parts are omitted when
// printed: File (the model file), Phase and Job (names from the model),
// Manifest (a Job manifest file), Field (a path inside the model or the
// manifest, such as jobernetes[1].jobs[0].depends_on[0] or
// spec.template.spec.restartPolicy) and Message.
//
// Line and Column (1-based; 0 when unknown) place the problem in File, the
// model file: where the field is written, or its nearest written parent.
type Problem struct {
	File, Phase, Job, Manifest, Field, Message string
	Line, Column                               int
	// ManifestLine and ManifestColumn place a problem inside a manifest
	// at its field in Manifest (0 when unknown).
	ManifestLine, ManifestColumn int
}

// String is the problem on one line, as editors and CI problem matchers
// parse it when it has a place (path:line:col: message), e.g.
//
//	jobermodel.yaml:12:11: phase "mid_sleep": job "dream_a": jobernetes[1].jobs[0].trigger_rule: Unsupported value "any": ...
//	jobermodel.yaml: phase "mid_sleep": job "dream_a": test-dir/a.yaml: spec.template.spec.restartPolicy: Unsupported value "Always": a Job's pods must use Never or OnFailure
func (p Problem) String() string {
	parts := make([]string, 0, 6)
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.File != "" && p.Line > 0 {
		add(p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(max(p.Column, 1)))
	} else {
		add(p.File)
	}
	if p.Phase != "" {
		add("phase " + strconv.Quote(p.Phase))
	}
	if p.Job != "" {
		add("job " + strconv.Quote(p.Job))
	}
	if p.Manifest != "" && p.ManifestLine > 0 {
		add(p.Manifest + ":" + strconv.Itoa(p.ManifestLine) + ":" + strconv.Itoa(max(p.ManifestColumn, 1)))
	} else {
		add(p.Manifest)
	}
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
	return graph.Lines(e.Problems)
}

// problems collects Problems with their place in the model so that they
// can be reported in model order whatever stage found them.
type problems struct {
	file string
	list []placed
	// data is the model file's content once read: problems are placed in
	// it when they are returned.
	data []byte
}

// placed is a problem and where it sits: phase and job index in the model
// (-1 for the model as a whole, or the phase itself).
type placed struct {
	phase, job int
	Problem
}

// atYAML records a problem go-yaml found in the document that starts after
// offset lines of the model file, placed at the line it names.
func (ps *problems) atYAML(msg string, offset int) {
	msg, pos, ok := yamlErrorPosition(msg, ps.data, offset)
	p := placed{-1, -1, Problem{File: ps.file, Message: msg}}
	if ok {
		p.Line, p.Column = pos.line, pos.col
	}
	ps.list = append(ps.list, p)
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
	ps.locate()
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

// locate gives every problem with a place in the model file its line and
// column: its field's (or nearest written parent's), else its job's or
// phase's entry. A problem inside a manifest is placed at the job_path
// naming the manifest, and at its field in the manifest when it has one.
func (ps *problems) locate() {
	if ps.data == nil {
		return
	}
	var idx positionIndex
	manifests := map[string]positionIndex{}
	for i := range ps.list {
		p := &ps.list[i]
		if p.Line > 0 {
			continue
		}
		path := p.Field
		if p.Manifest != "" && !strings.HasPrefix(path, "jobernetes") && p.job >= 0 {
			// Inside a manifest: placed at the job_path that names it,
			// and at the field in the manifest.
			path = "jobernetes[" + strconv.Itoa(p.phase) + "].jobs[" + strconv.Itoa(p.job) + "].job_path"
			if f := manifestField(p.Problem); f != "" {
				mi, ok := manifests[p.Manifest]
				if !ok {
					if data, err := readManifestForPositions(p.Manifest); err == nil {
						mi = indexPositions(data)
					}
					manifests[p.Manifest] = mi
				}
				if pos, ok := mi.find(f); ok {
					p.ManifestLine, p.ManifestColumn = pos.line, pos.col
				}
			} else if yamlLinePrefix.MatchString(p.Message) {
				// go-yaml's "line N" counts from the manifest's document.
				if data, err := readManifestForPositions(p.Manifest); err == nil {
					doc, _ := singleDocument(data, "manifest", func(string, string) {})
					if msg, pos, ok := yamlErrorPosition(p.Message, data, lineOffset(data, doc)); ok {
						p.Message, p.ManifestLine, p.ManifestColumn = msg, pos.line, pos.col
					}
				}
			}
		}
		if path == "" {
			switch {
			case p.job >= 0:
				path = "jobernetes[" + strconv.Itoa(p.phase) + "].jobs[" + strconv.Itoa(p.job) + "]"
			case p.phase >= 0:
				path = "jobernetes[" + strconv.Itoa(p.phase) + "]"
			default:
				continue // the file as a whole
			}
		}
		if idx == nil {
			idx = indexPositions(ps.data)
		}
		if pos, ok := idx.find(path); ok {
			p.Line, p.Column = pos.line, pos.col
		}
	}
}
