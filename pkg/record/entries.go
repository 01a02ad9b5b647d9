package record

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Entries are what a run appends to its record as it goes: plan entries
// (one per model job; a retry's plan names other Jobs) and Job entries (one
// per Kubernetes Job, created then finished). Applied in the order they
// were written, later entries win, except that a Job's final result is
// never replaced by Created.
type Entries struct {
	Plan []PlanJob             `json:"plan,omitempty"`
	Jobs map[string]*JobRecord `json:"jobs,omitempty"`
}

func (e *Entries) empty() bool { return len(e.Plan) == 0 && len(e.Jobs) == 0 }

// add puts o's entries into e (o's win, as in applyTo).
func (e *Entries) add(o Entries) {
	e.Plan = mergePlan(e.Plan, o.Plan)
	if len(o.Jobs) > 0 && e.Jobs == nil {
		e.Jobs = make(map[string]*JobRecord, len(o.Jobs))
	}
	for name, jr := range o.Jobs {
		putJob(e.Jobs, name, jr)
	}
}

// applyTo folds e into r.
func (e *Entries) applyTo(r *Record) {
	r.Plan = mergePlan(r.Plan, e.Plan)
	if r.Jobs == nil {
		r.Jobs = make(map[string]*JobRecord, len(e.Jobs))
	}
	for name, jr := range e.Jobs {
		putJob(r.Jobs, name, jr)
	}
}

func putJob(jobs map[string]*JobRecord, name string, jr *JobRecord) {
	if old, ok := jobs[name]; ok && old.Result != JobCreated && jr.Result == JobCreated {
		return // a final result stands
	}
	jobs[name] = jr
}

// mergePlan replaces the plan entries of the jobs in next and appends the
// others, keeping the plan's order.
func mergePlan(plan, next []PlanJob) []PlanJob {
	if len(next) == 0 {
		return plan
	}
	at := make(map[string]int, len(plan))
	for i, pj := range plan {
		at[pj.Phase+"/"+pj.Job] = i
	}
	for _, pj := range next {
		if i, ok := at[pj.Phase+"/"+pj.Job]; ok {
			plan[i] = pj
			continue
		}
		at[pj.Phase+"/"+pj.Job] = len(plan)
		plan = append(plan, pj)
	}
	return plan
}

// zipper gzips segments and tails with one compressor it keeps: a new
// compressor per flush (about 1 MiB) was most of a flush's garbage
// (BenchmarkFlush).
type zipper struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

func (z *zipper) encode(sd *segmentDoc) ([]byte, error) {
	z.buf.Reset()
	if z.zw == nil {
		z.zw, _ = gzip.NewWriterLevel(&z.buf, gzip.BestSpeed)
	} else {
		z.zw.Reset(&z.buf)
	}
	if err := json.NewEncoder(z.zw).Encode(sd); err != nil {
		return nil, err
	}
	if err := z.zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(z.buf.Bytes()), nil
}

func decodeEntries(name string, z []byte) (segmentDoc, error) {
	var sd segmentDoc
	if len(z) == 0 {
		return sd, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return sd, fmt.Errorf("%w: configmap %s: %w", ErrUndecodable, name, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return sd, fmt.Errorf("%w: configmap %s: %w", ErrUndecodable, name, err)
	}
	if err := json.Unmarshal(raw, &sd); err != nil {
		return sd, fmt.Errorf("%w: configmap %s: %w", ErrUndecodable, name, err)
	}
	return sd, nil
}

// without drops from e the entries whose keys sealed holds (they are in a
// segment now).
func (e *Entries) without(sealed Entries) {
	for name := range sealed.Jobs {
		delete(e.Jobs, name)
	}
	in := make(map[string]bool, len(sealed.Plan))
	for _, pj := range sealed.Plan {
		in[pj.Phase+"/"+pj.Job] = true
	}
	e.Plan = slices.DeleteFunc(e.Plan, func(pj PlanJob) bool { return in[pj.Phase+"/"+pj.Job] })
}
