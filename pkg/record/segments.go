package record

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// The record of format 2: a head ConfigMap, Name(runID), holds the run's
// own fields and a tail of the latest Job entries; segment ConfigMaps,
// Name(runID)-N, owned by the head and labelled with the run and N, hold
// the rest. A flush rewrites the head (its tail at most maxTailWrites
// times, then the tail becomes a segment), so a run's record writes grow
// with what changed, not with the run; one LIST of the run's ConfigMaps
// reads it all.
const (
	// LabelSegment marks a segment of a run's record with its index.
	LabelSegment = "jobernetes.io/record-segment"

	headKey    = "run.json"
	tailKey    = "tail.json.gz"
	segmentKey = "entries.json.gz"
	// maxTailWrites bounds how often the same entries are written again:
	// record bytes per Job stay a small multiple of the entry's own.
	maxTailWrites = 8
)

// DefaultSegmentBytes bounds a segment, and the head's tail, gzipped,
// unless a test sets another bound (WithSegmentBytes); a ConfigMap holds at
// most 1 MiB.
const DefaultSegmentBytes = 256 << 10

// headDoc is the head's run.json.
type headDoc struct {
	Record // without Plan and Jobs: they are in the segments and the tail
	// PlanGeneration is the plan that counts: segments of a later one
	// belong to a plan write that did not finish (a kill mid-retry).
	PlanGeneration int `json:"planGeneration,omitempty"`
	// Planned and Finished count the plan's Jobs and the finished ones,
	// for a list of runs that reads heads only.
	Planned  int `json:"plannedJobs"`
	Finished int `json:"finishedJobs"`
}

// segmentDoc is a segment's content.
type segmentDoc struct {
	Entries
	PlanGeneration int `json:"planGeneration,omitempty"` // of its plan entries
}

func encodeHead(cm *corev1.ConfigMap, doc *headDoc, tail []byte) error {
	run := doc.Record
	run.Plan, run.Jobs = nil, nil
	d := *doc
	d.Record = run
	raw, err := json.Marshal(&d)
	if err != nil {
		return err
	}
	cm.Data = map[string]string{headKey: string(raw)}
	cm.BinaryData = nil
	if len(tail) > 0 {
		cm.BinaryData = map[string][]byte{tailKey: tail}
	}
	return nil
}

// decodeHead reads a head of either format, and its tail; a format-1 head
// is the whole record.
func decodeHead(cm *corev1.ConfigMap) (*headDoc, Entries, error) {
	doc, err := decodeHeadDoc(cm)
	if err != nil || doc.Version < 2 {
		return doc, Entries{}, err
	}
	var tail segmentDoc
	if err := decodeInto(cm.Name, cm.BinaryData[tailKey], &tail); err != nil {
		return nil, Entries{}, err
	}
	return doc, tail.Entries, nil
}

// decodeHeadDoc reads a head's run fields (of format 1: the whole record).
func decodeHeadDoc(cm *corev1.ConfigMap) (*headDoc, error) {
	raw, ok := cm.Data[headKey]
	if !ok {
		r, err := Decode(cm)
		if err != nil {
			return nil, err
		}
		return &headDoc{Record: *r, Planned: plannedJobs(r), Finished: finishedJobs(r)}, nil
	}
	doc := &headDoc{}
	if err := json.Unmarshal([]byte(raw), doc); err != nil {
		return nil, fmt.Errorf("%w: configmap %s: %w", ErrUndecodable, cm.Name, err)
	}
	return doc, nil
}

// assemble reads a run's record from its objects: the head and its
// segments, in the order they were written, then the tail.
func assemble(ns, runID string, objs []*corev1.ConfigMap) (*Stored, Entries, int, error) {
	var head *corev1.ConfigMap
	type seg struct {
		index int
		cm    *corev1.ConfigMap
	}
	var segs []seg
	for _, cm := range objs {
		if cm.Name == Name(runID) {
			head = cm
		} else if n, err := strconv.Atoi(cm.Labels[LabelSegment]); err == nil && n > 0 {
			segs = append(segs, seg{n, cm})
		}
	}
	if head == nil {
		return nil, Entries{}, 0, &NotFoundError{RunID: runID, Namespace: ns}
	}
	doc, tail, err := decodeHead(head)
	if err != nil {
		return nil, Entries{}, 0, err
	}
	r := doc.Record
	if r.RunID == "" {
		r.RunID = runID
	}
	if r.Jobs == nil {
		r.Jobs = map[string]*JobRecord{}
	}
	slices.SortFunc(segs, func(a, b seg) int { return a.index - b.index })
	last := 0
	for _, sg := range segs {
		var sd segmentDoc
		if err := decodeInto(sg.cm.Name, sg.cm.BinaryData[segmentKey], &sd); err != nil {
			return nil, Entries{}, 0, err
		}
		if sd.PlanGeneration > doc.PlanGeneration {
			sd.Plan = nil // an unfinished plan write
		}
		sd.applyTo(&r)
		last = sg.index
	}
	tail.applyTo(&r)
	return &Stored{Meta: head.ObjectMeta, Record: &r, Planned: plannedJobs(&r), Finished: finishedJobs(&r)}, tail, last, nil
}

func decodeInto(name string, z []byte, sd *segmentDoc) error {
	var err error
	*sd, err = decodeEntries(name, z)
	return err
}

// updateV2 writes change into a record of format 2: a new plan into
// segments of its own generation first, then the head, which commits the
// plan, the run's fields and the Job entries in one write. A tail that has
// been written maxTailWrites times, or grown past the segment bound, becomes a
// segment before the head is written without it.
func (s *configMapStore) updateV2(ctx context.Context, change Change) error {
	doc, err := decodeHeadDoc(s.head)
	if err != nil {
		return err
	}
	gen := doc.PlanGeneration
	if change.Plan != nil {
		gen++
		if err := s.writeSegments(ctx, segmentDoc{Entries: Entries{Plan: change.Plan}, PlanGeneration: gen}); err != nil {
			return err
		}
	}
	pending := Entries{Jobs: maps.Clone(s.tail.Jobs)}
	pending.add(Entries{Jobs: change.Jobs})
	tail, err := s.zip.encode(&segmentDoc{Entries: pending})
	if err != nil {
		return err
	}
	var sealed Entries
	if !pending.empty() && (s.tailWrites+1 >= maxTailWrites || len(tail) > s.segmentBytes) {
		if err := s.writeSegments(ctx, segmentDoc{Entries: pending}); err != nil {
			return err
		}
		sealed, pending, tail = pending, Entries{}, nil
	}
	stale := false
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if stale { // someone else wrote the head (a cancel): build on theirs
			head, err := s.getHead(ctx)
			if err != nil {
				return err
			}
			var theirs Entries
			if doc, theirs, err = decodeHead(head); err != nil {
				return err
			}
			s.head = head
			theirs.without(sealed)
			theirs.add(pending)
			if pending = theirs; !pending.empty() {
				if tail, err = s.zip.encode(&segmentDoc{Entries: pending}); err != nil {
					return err
				}
			}
		}
		stale = true
		return s.writeHead(ctx, doc, gen, change, pending, tail, sealed)
	})
}

// writeHead writes the head: the run's fields as change.Run leaves them,
// the committed plan generation, and the tail. The whole record in memory
// is only changed once the write has succeeded (and never copied: at
// 100,000 Jobs a copy per flush would cost more than the flush). The Job
// entries sealed into segments by this write are kept as their result only
// (resultOnly).
func (s *configMapStore) writeHead(ctx context.Context, doc *headDoc, gen int, change Change, pending Entries, tail []byte, sealed Entries) error {
	next := doc.Record // the head's run fields are the newest
	next.Plan, next.Jobs = s.rec.Plan, s.rec.Jobs
	if change.Plan != nil {
		next.Plan = change.Plan
	}
	if change.Run != nil {
		change.Run(&next) // changes the run's own fields only
	}
	d := &headDoc{Record: next, PlanGeneration: gen, Planned: doc.Planned, Finished: doc.Finished}
	finished, planned := s.finished+newlyFinished(s.rec.Jobs, change.Jobs), s.planned
	if next.Plan != nil {
		planned = plannedJobs(&next)
	}
	if s.loaded {
		d.Planned, d.Finished = planned, finished
	}
	cm := s.head.DeepCopy()
	if err := encodeHead(cm, d, tail); err != nil {
		return err
	}
	updated, err := s.cms().Update(ctx, cm, metav1.UpdateOptions{})
	s.written(cm)
	if err != nil {
		return err
	}
	if next.Jobs == nil {
		next.Jobs = map[string]*JobRecord{}
	}
	for name, jr := range change.Jobs {
		putJob(next.Jobs, name, jr)
	}
	for name := range sealed.Jobs {
		if jr := next.Jobs[name]; jr != nil {
			next.Jobs[name] = resultOnly(jr.Result)
		}
	}
	if change.Plan != nil {
		// Committed: the cluster holds the plan, and the writer built it
		// (at 30,000 Jobs it is 4 MB a run kept to the end for nothing).
		next.Plan = nil
	}
	s.head, s.rec, s.tail, s.finished, s.planned = updated, &next, pending, finished, planned
	if s.tailWrites++; !sealed.empty() {
		s.tailWrites = 0
	}
	return nil
}

// Job entries with nothing but a result, shared by every sealed entry of
// that result: what the store itself reads of a Job entry once it is in a
// segment (a final result stands, newlyFinished), and what a retry reads.
// The writer (the orchestrator) holds the rest in its own memory; keeping
// a whole entry per Job as well was 160 bytes per Job for the whole run
// (5 MB at 30,000 Jobs; BENCHMARKS.md, "No ceiling").
var resultOnlyEntries = []*JobRecord{{Result: JobSucceeded}, {Result: JobFailed}, {Result: JobSkipped}, {Result: JobCreated}}

func resultOnly(result string) *JobRecord {
	for _, jr := range resultOnlyEntries {
		if jr.Result == result {
			return jr
		}
	}
	return &JobRecord{Result: result}
}

// newlyFinished counts the entries of jobs that give a Job its first final
// result.
func newlyFinished(known, jobs map[string]*JobRecord) int {
	n := 0
	for name, jr := range jobs {
		if old := known[name]; jr.Result != JobCreated && (old == nil || old.Result == JobCreated) {
			n++
		}
	}
	return n
}

// writeSegments writes entries as new segments, split so that each holds
// at most the segment bound. A segment index already taken (written before a
// kill, and not yet known to this store) is skipped: segments are only
// ever created, never rewritten.
func (s *configMapStore) writeSegments(ctx context.Context, sd segmentDoc) error {
	z, err := s.zip.encode(&sd)
	if err != nil {
		return err
	}
	if len(z) > s.segmentBytes && len(sd.Plan)+len(sd.Jobs) > 1 {
		a, b := sd.split()
		if err := s.writeSegments(ctx, a); err != nil {
			return err
		}
		return s.writeSegments(ctx, b)
	}
	isController := false
	for {
		s.segments++
		n := strconv.Itoa(s.segments)
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name: Name(s.runID) + "-" + n, Namespace: s.ns,
				Labels: map[string]string{LabelRun: s.runID, LabelManagedBy: ManagedBy, LabelSegment: n},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap",
					Name: s.head.Name, UID: s.head.UID, Controller: &isController}},
			},
			BinaryData: map[string][]byte{segmentKey: z},
		}
		_, err := s.cms().Create(ctx, cm, metav1.CreateOptions{})
		s.written(cm)
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
}

// split halves a segment's entries.
func (sd segmentDoc) split() (segmentDoc, segmentDoc) {
	a, b := segmentDoc{PlanGeneration: sd.PlanGeneration}, segmentDoc{PlanGeneration: sd.PlanGeneration}
	names := slices.Sorted(maps.Keys(sd.Jobs))
	all := len(sd.Plan) + len(names)
	for i := range all {
		half := &a
		if i >= all/2 {
			half = &b
		}
		if i < len(sd.Plan) {
			half.Plan = append(half.Plan, sd.Plan[i])
			continue
		}
		name := names[i-len(sd.Plan)]
		if half.Jobs == nil {
			half.Jobs = map[string]*JobRecord{}
		}
		half.Jobs[name] = sd.Jobs[name]
	}
	return a, b
}

func plannedJobs(r *Record) int {
	n := 0
	for _, pj := range r.Plan {
		n += len(pj.KubernetesJobs)
	}
	return n
}

// finishedJobs counts the record's final entries (not JobCreated ones).
func finishedJobs(r *Record) int {
	n := 0
	for _, jr := range r.Jobs {
		if jr.Result != JobCreated {
			n++
		}
	}
	return n
}
