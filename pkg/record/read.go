package record

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// Stored is a run's record as read from the cluster, with the metadata of
// the object that holds it (its UID controls the run's Jobs).
type Stored struct {
	Meta metav1.ObjectMeta
	*Record
	// Planned and Finished count the plan's Jobs and the finished ones
	// (List reads heads only: its Records hold neither plan nor Jobs).
	Planned, Finished int
}

// Get reads run runID's record with one LIST; ErrNotFound when there is
// none. The read side (status) uses it; an orchestrator uses its Store.
func Get(ctx context.Context, client kubernetes.Interface, ns, runID string) (*Stored, error) {
	sel := labels.SelectorFromSet(labels.Set{LabelRun: runID}).String()
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	objs := make([]*corev1.ConfigMap, len(list.Items))
	for i := range list.Items {
		objs[i] = &list.Items[i]
	}
	return FromObjects(ns, runID, objs)
}

// GetHead reads the run's own fields only (one GET): who owns the run,
// its result. Plan and Jobs are left out.
func GetHead(ctx context.Context, client kubernetes.Interface, ns, runID string) (*Stored, error) {
	head, err := client.CoreV1().ConfigMaps(ns).Get(ctx, Name(runID), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &NotFoundError{RunID: runID, Namespace: ns}
	}
	if err != nil {
		return nil, err
	}
	return headOnly(head)
}

func headOnly(head *corev1.ConfigMap) (*Stored, error) {
	doc, err := decodeHeadDoc(head)
	if err != nil {
		return nil, err
	}
	r := doc.Record
	r.Plan, r.Jobs = nil, nil
	if r.RunID == "" {
		r.RunID = RunIDFromName(head.Name)
	}
	return &Stored{Meta: head.ObjectMeta, Record: &r, Planned: doc.Planned, Finished: doc.Finished}, nil
}

// List reads the heads of every run in ns (all namespaces when ns is
// empty) with one LIST: each run's own fields and counts, without plan and
// Jobs. Heads that cannot be decoded are left out.
func List(ctx context.Context, client kubernetes.Interface, ns string) ([]Stored, error) {
	sel := LabelManagedBy + "=" + ManagedBy + ",!" + LabelSegment
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	out := make([]Stored, 0, len(list.Items))
	for i := range list.Items {
		if st, err := headOnly(&list.Items[i]); err == nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

// FromObjects reads a run's record from its ConfigMaps (head and
// segments, in any order), as a LIST or an informer's lister returns them.
func FromObjects(ns, runID string, objs []*corev1.ConfigMap) (*Stored, error) {
	st, _, _, err := assemble(ns, runID, objs)
	return st, err
}

// Delete deletes a run's record. Its head owns everything of the run
// (segments, Jobs, pods, Lease), so the garbage collector removes the
// rest; the UID precondition keeps a newer run of the same ID safe.
func Delete(ctx context.Context, client kubernetes.Interface, run *Stored) error {
	policy := metav1.DeletePropagationBackground
	return client.CoreV1().ConfigMaps(run.Meta.Namespace).Delete(ctx, run.Meta.Name, metav1.DeleteOptions{
		PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &run.Meta.UID},
	})
}
