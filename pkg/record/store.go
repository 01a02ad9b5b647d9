package record

import (
	"context"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
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
// kept in the cluster changes in one place. It holds the record as last
// read or written; it is not safe for concurrent use.
type Store interface {
	// Create stores rec as the run's new record; ErrExists when there is one.
	Create(ctx context.Context, rec *Record) error
	// Load reads the run's record; ErrNotFound when there is none.
	Load(ctx context.Context) (*Record, error)
	// Update writes change. On a conflict with another writer (an earlier
	// orchestrator of the run, a cancel) it reads the newer record and
	// applies change to that instead: nothing the other wrote is lost.
	Update(ctx context.Context, change Change) error
	// Record is the record as last read or written (nil before either).
	Record() *Record
	// Meta is the metadata of the object that stands for the run: the
	// run's Jobs, Lease and Events refer to it, and deleting it removes
	// the run (owner references).
	Meta() metav1.ObjectMeta
}

// Change is one write to a run's record.
type Change struct {
	// Jobs are added or replaced, by Kubernetes Job name.
	Jobs map[string]*JobRecord
	// Run, if set, changes the run's own fields (result, attempts, plan).
	// It sees the record with Jobs already applied, and is called again if
	// the write meets a newer record.
	Run func(*Record)
}

// NewStore is the store of run runID in namespace ns: one ConfigMap, named
// Name(runID). owner, if set, owns a record Create makes (the in-cluster
// wrapper Job, so that deleting it removes the run).
func NewStore(client kubernetes.Interface, ns, runID string, owner *metav1.OwnerReference) Store {
	return &configMapStore{client: client, ns: ns, runID: runID, owner: owner}
}

type configMapStore struct {
	client    kubernetes.Interface
	ns, runID string
	owner     *metav1.OwnerReference
	cm        *corev1.ConfigMap
	rec       *Record
	enc       encoder // buffers reused by every write
}

func (s *configMapStore) Record() *Record { return s.rec }

func (s *configMapStore) Meta() metav1.ObjectMeta {
	if s.cm == nil {
		return metav1.ObjectMeta{Namespace: s.ns, Name: Name(s.runID)}
	}
	return s.cm.ObjectMeta
}

func (s *configMapStore) Create(ctx context.Context, rec *Record) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:      Name(s.runID),
		Namespace: s.ns,
		Labels:    map[string]string{LabelRun: s.runID, LabelManagedBy: ManagedBy},
	}}
	if s.owner != nil {
		cm.OwnerReferences = []metav1.OwnerReference{*s.owner}
	}
	if err := s.enc.encode(cm, rec); err != nil {
		return err
	}
	created, err := s.client.CoreV1().ConfigMaps(s.ns).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%w: %s/%s", ErrExists, s.ns, cm.Name)
	}
	if err != nil {
		return err
	}
	s.cm, s.rec = created, rec
	return nil
}

func (s *configMapStore) Load(ctx context.Context) (*Record, error) {
	cm, err := s.client.CoreV1().ConfigMaps(s.ns).Get(ctx, Name(s.runID), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &NotFoundError{RunID: s.runID, Namespace: s.ns}
	}
	if err != nil {
		return nil, err
	}
	rec, err := Decode(cm)
	if err != nil {
		return nil, err
	}
	s.cm, s.rec = cm, rec
	return rec, nil
}

func (s *configMapStore) Update(ctx context.Context, change Change) error {
	stale := s.cm == nil
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if stale {
			if _, err := s.Load(ctx); err != nil {
				return err
			}
		}
		stale = true // a conflict means someone else wrote: read theirs
		next := *s.rec
		next.Jobs = make(map[string]*JobRecord, len(s.rec.Jobs)+len(change.Jobs))
		maps.Copy(next.Jobs, s.rec.Jobs)
		maps.Copy(next.Jobs, change.Jobs)
		if change.Run != nil {
			change.Run(&next)
		}
		cm := s.cm.DeepCopy()
		if err := s.enc.encode(cm, &next); err != nil {
			return err
		}
		updated, err := s.client.CoreV1().ConfigMaps(s.ns).Update(ctx, cm, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		s.cm, s.rec = updated, &next
		return nil
	})
}
