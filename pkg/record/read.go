package record

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// Stored is a run's record as read from the cluster, with the metadata of
// the object that holds it (its UID controls the run's Jobs).
type Stored struct {
	Meta metav1.ObjectMeta
	*Record
}

// Get reads run runID's record; ErrNotFound when there is none. The read
// side (status, cancel, delete) uses it; an orchestrator uses its Store.
func Get(ctx context.Context, client kubernetes.Interface, ns, runID string) (*Stored, error) {
	s := NewStore(client, ns, runID, nil)
	rec, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	return &Stored{Meta: s.Meta(), Record: rec}, nil
}

// List reads the records of every run in ns (all namespaces when ns is
// empty) with one LIST; records that cannot be decoded are left out.
func List(ctx context.Context, client kubernetes.Interface, ns string) ([]Stored, error) {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy}).String()
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	out := make([]Stored, 0, len(list.Items))
	for i := range list.Items {
		if st, err := FromObject(&list.Items[i]); err == nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

// FromObject decodes a record from the object that holds it, as an
// informer's lister returns it (status -w).
func FromObject(cm *corev1.ConfigMap) (*Stored, error) {
	rec, err := Decode(cm)
	if err != nil {
		return nil, err
	}
	if rec.RunID == "" {
		rec.RunID = RunIDFromName(cm.Name)
	}
	return &Stored{Meta: cm.ObjectMeta, Record: rec}, nil
}

// Delete deletes a run's record. It owns everything of the run (Jobs,
// pods, Lease), so the garbage collector removes the rest; the UID
// precondition keeps a newer run of the same ID safe.
func Delete(ctx context.Context, client kubernetes.Interface, run *Stored) error {
	policy := metav1.DeletePropagationBackground
	return client.CoreV1().ConfigMaps(run.Meta.Namespace).Delete(ctx, run.Meta.Name, metav1.DeleteOptions{
		PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &run.Meta.UID},
	})
}
