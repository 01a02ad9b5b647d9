package record

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/retry"
)

// ErrExists says Create found the run already recorded (another orchestrator
// of the same run got there first).
var ErrExists = errors.New("run record exists")

// ErrNotFound says the run has no record (errors.Is matches a NotFoundError).
var ErrNotFound = errors.New("run record not found")

// NotFoundError says the namespace holds no record of the run.
type NotFoundError struct{ RunID, Namespace string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no run %q in namespace %q", e.RunID, e.Namespace)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Store owns every read and write of one run's record: the orchestrator
// (create, flush, final write, resume read), a retry, and `jobernetes
// cancel` from another process all go through it, so the way the record is
// kept in the cluster changes in one place (docs/architecture.md, "The run
// record"). It holds the record as last read or written; it is not safe
// for concurrent use.
type Store interface {
	// Create stores rec as the run's new record; ErrExists when there is one.
	Create(ctx context.Context, rec *Record) error
	// Load reads the run's whole record (one LIST); ErrNotFound when there
	// is none.
	Load(ctx context.Context) (*Record, error)
	// Update writes change. On a conflict with another writer (an earlier
	// orchestrator of the run, a cancel) it reads the newer record and
	// applies change to that instead: nothing the other wrote is lost.
	Update(ctx context.Context, change Change) error
	// Result reads the run's result and message as recorded now (one GET):
	// has someone else (`jobernetes cancel`) ended the run?
	Result(ctx context.Context) (result, message string, err error)
	// Record is the record as last read or written (nil before either).
	// What this store has written of format 2 is kept only as far as the
	// store needs it: a Job entry it wrote into a segment holds its Result
	// only, and a plan it wrote is not kept (Plan is nil). The writer has
	// the rest; the cluster holds all of it (Load, Get read it back).
	Record() *Record
	// Stats are the writes this store made and the bytes they carried.
	Stats() (writes, bytes int)
	// Meta is the metadata of the object that stands for the run: the
	// run's Jobs, Lease and Events refer to it, and deleting it removes
	// the run (owner references).
	Meta() metav1.ObjectMeta
}

// Change is one write to a run's record.
type Change struct {
	// Jobs are added or replaced, by Kubernetes Job name.
	Jobs map[string]*JobRecord
	// Plan, if set, replaces the plan (a retry's names its Jobs anew). It
	// is committed together with Run's changes: a reader sees the old plan
	// or the new one, never a mix.
	Plan []PlanJob
	// Run, if set, changes the run's own fields (result, attempts). It
	// sees the run's own fields as recorded (the Jobs and the plan may be
	// incomplete), and is called again if the write meets a newer record.
	Run func(*Record)
}

// NewStore is the store of run runID in namespace ns. owner, if set, owns a
// record Create makes (the in-cluster wrapper Job, so that deleting it
// removes the run).
func NewStore(client kubernetes.Interface, ns, runID string, owner *metav1.OwnerReference, opts ...StoreOption) Store {
	s := &configMapStore{client: client, ns: ns, runID: runID, owner: owner, segmentBytes: DefaultSegmentBytes}
	for _, o := range opts {
		o(s)
	}
	return s
}

// A StoreOption changes how a Store writes.
type StoreOption func(*configMapStore)

// WithSegmentBytes bounds segments (and the head's tail) to n gzipped bytes
// instead of DefaultSegmentBytes; n <= 0 keeps the default. Tests set it
// small, so that a run of a few Jobs spreads over many segments.
func WithSegmentBytes(n int) StoreOption {
	return func(s *configMapStore) {
		if n > 0 {
			s.segmentBytes = n
		}
	}
}

// configMapStore keeps a run's record in ConfigMaps: a head (the run's own
// fields, and a tail of the latest Job entries) and segments of at most
// DefaultSegmentBytes that the head owns, each written once: a flush rewrites the
// head and its tail, never the whole record. A record of format 1 (one
// ConfigMap holding everything) is still read and written as it was.
type configMapStore struct {
	client    kubernetes.Interface
	ns, runID string
	owner     *metav1.OwnerReference
	// segmentBytes bounds a segment and the head's tail, gzipped.
	segmentBytes int

	head *corev1.ConfigMap // as last read or written
	rec  *Record           // the whole record, as this store knows it
	v1   bool              // a record of format 1
	enc  encoder           // format 1's buffers, reused by every write
	zip  zipper            // format 2's compressor, reused by every write
	sealing
	loaded   bool // the whole record was read (or created) here
	finished int  // Jobs with a final result in rec (when loaded)
	planned  int  // Jobs of the plan (when loaded): rec holds no plan once written
	writeStats
}

// sealing is where format 2's Job entries stand: in the head's tail, or
// sealed into segments.
type sealing struct {
	tail       Entries // Job entries in the head, not yet in a segment
	tailWrites int     // head writes since the tail was last sealed
	segments   int     // highest segment index seen or written
}

// writeStats count a store's writes (Stats).
type writeStats struct {
	writes int // made by this store
	bytes  int // of data those writes carried
}

func (s *configMapStore) Stats() (writes, bytes int) { return s.writes, s.bytes }

// written counts a write of cm.
func (s *configMapStore) written(cm *corev1.ConfigMap) {
	s.writes++
	for _, v := range cm.Data {
		s.bytes += len(v)
	}
	for _, v := range cm.BinaryData {
		s.bytes += len(v)
	}
}

func (s *configMapStore) Record() *Record { return s.rec }

func (s *configMapStore) Meta() metav1.ObjectMeta {
	if s.head == nil {
		return metav1.ObjectMeta{Namespace: s.ns, Name: Name(s.runID)}
	}
	return s.head.ObjectMeta
}

func (s *configMapStore) cms() typedcorev1.ConfigMapInterface {
	return s.client.CoreV1().ConfigMaps(s.ns)
}

func (s *configMapStore) Create(ctx context.Context, rec *Record) error {
	rec.Version = CurrentVersion
	head := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:      Name(s.runID),
		Namespace: s.ns,
		Labels:    map[string]string{LabelRun: s.runID, LabelManagedBy: ManagedBy},
	}}
	if s.owner != nil {
		head.OwnerReferences = []metav1.OwnerReference{*s.owner}
	}
	// The plan follows in segments: a head without it (a kill right after
	// this create) reads as a run whose plan is still to be written.
	if err := encodeHead(head, &headDoc{Record: *rec}, nil); err != nil {
		return err
	}
	created, err := s.cms().Create(ctx, head, metav1.CreateOptions{})
	s.written(head)
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%w: %s/%s", ErrExists, s.ns, head.Name)
	}
	if err != nil {
		return err
	}
	run := *rec
	run.Plan, run.Jobs = nil, map[string]*JobRecord{}
	s.head, s.rec, s.loaded = created, &run, true
	s.tail, s.tailWrites, s.segments, s.finished, s.planned = Entries{}, 0, 0, 0, 0
	if err := s.Update(ctx, Change{Plan: rec.Plan, Jobs: rec.Jobs}); err != nil {
		return err
	}
	*rec = *s.rec
	return nil
}

func (s *configMapStore) Load(ctx context.Context) (*Record, error) {
	list, err := s.cms().List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{LabelRun: s.runID}).String()})
	if err != nil {
		return nil, err
	}
	objs := make([]*corev1.ConfigMap, len(list.Items))
	for i := range list.Items {
		objs[i] = &list.Items[i]
	}
	r, err := s.assemble(objs)
	if err != nil {
		return nil, err
	}
	return r.Record, nil
}

// assemble reads the record from the run's objects (head and segments).
func (s *configMapStore) assemble(objs []*corev1.ConfigMap) (*Stored, error) {
	r, tail, segments, err := assemble(s.ns, s.runID, objs)
	if err != nil {
		return nil, err
	}
	s.head, s.rec, s.v1, s.loaded = objs[slices.IndexFunc(objs, func(cm *corev1.ConfigMap) bool { return cm.Name == Name(s.runID) })], r.Record, r.Version < 2, true
	s.tail, s.tailWrites, s.segments, s.finished, s.planned = tail, 0, segments, r.Finished, r.Planned
	return r, nil
}

func (s *configMapStore) Result(ctx context.Context) (string, string, error) {
	head, err := s.getHead(ctx)
	if err != nil {
		return "", "", err
	}
	doc, _, err := decodeHead(head)
	if err != nil {
		return "", "", err
	}
	return doc.Result, doc.Message, nil
}

func (s *configMapStore) getHead(ctx context.Context) (*corev1.ConfigMap, error) {
	head, err := s.cms().Get(ctx, Name(s.runID), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &NotFoundError{RunID: s.runID, Namespace: s.ns}
	}
	return head, err
}

func (s *configMapStore) Update(ctx context.Context, change Change) error {
	if s.head == nil {
		// Not loaded (`jobernetes cancel`): the head is enough to write.
		head, err := s.getHead(ctx)
		if err != nil {
			return err
		}
		doc, tail, err := decodeHead(head)
		if err != nil {
			return err
		}
		r := doc.Record
		tail.applyTo(&r)
		s.head, s.rec, s.v1, s.tail = head, &r, r.Version < 2, tail
	}
	if s.v1 {
		return s.updateV1(ctx, change)
	}
	return s.updateV2(ctx, change)
}

// updateV1 rewrites a format-1 record whole, as the version that created
// it did.
func (s *configMapStore) updateV1(ctx context.Context, change Change) error {
	stale := false
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if stale {
			if _, err := s.Load(ctx); err != nil {
				return err
			}
		}
		stale = true // a conflict means someone else wrote: read theirs
		next := *s.rec
		next.Jobs = maps.Clone(s.rec.Jobs)
		if next.Jobs == nil {
			next.Jobs = map[string]*JobRecord{}
		}
		for name, jr := range change.Jobs {
			putJob(next.Jobs, name, jr)
		}
		if change.Plan != nil {
			next.Plan = change.Plan
		}
		if change.Run != nil {
			change.Run(&next)
		}
		cm := s.head.DeepCopy()
		if err := s.enc.encode(cm, &next); err != nil {
			return err
		}
		updated, err := s.cms().Update(ctx, cm, metav1.UpdateOptions{})
		s.written(cm)
		if err != nil {
			return err
		}
		s.head, s.rec = updated, &next
		return nil
	})
}
