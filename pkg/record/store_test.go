package record

import (
	"context"
	"errors"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// Two writers of one run (an orchestrator, and `jobernetes cancel` from
// another process): the second write meets a newer record and applies its
// change to that one, so neither write is lost.
func TestStoreUpdateMergesIntoNewerRecord(t *testing.T) {
	ctx := context.Background()
	client := withResourceVersions(fake.NewClientset())
	orch := NewStore(client, "ns", "r1", nil)
	if _, err := orch.Load(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a run with no record: %v, want ErrNotFound", err)
	}
	if err := orch.Create(ctx, &Record{RunID: "r1", Result: ResultRunning, Jobs: map[string]*JobRecord{}}); err != nil {
		t.Fatal(err)
	}
	if err := NewStore(client, "ns", "r1", nil).Create(ctx, &Record{RunID: "r1"}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	cancel := NewStore(client, "ns", "r1", nil)
	if err := cancel.Update(ctx, Change{Run: func(r *Record) { r.Result = ResultCancelled }}); err != nil {
		t.Fatal(err)
	}
	var sawCancel bool
	err := orch.Update(ctx, Change{
		Jobs: map[string]*JobRecord{"a-1": {Job: "a", Result: JobSucceeded}},
		Run:  func(r *Record) { sawCancel = r.Result == ResultCancelled },
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, client, "ns", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Result != ResultCancelled || got.Jobs["a-1"] == nil || !sawCancel {
		t.Errorf("after both writes: result %q, jobs %v, orchestrator saw the cancel: %v", got.Result, got.Jobs, sawCancel)
	}
	if got.Meta.UID != orch.Meta().UID || got.Meta.Name != Name("r1") {
		t.Errorf("meta %s/%s, store's %s", got.Meta.Name, got.Meta.UID, orch.Meta().UID)
	}
}

// withResourceVersions makes the fake clientset's ConfigMap writes behave as
// the API server's do: each write gets a new resourceVersion, and an update
// that carries an older one is refused with a conflict.
func withResourceVersions(client *fake.Clientset) *fake.Clientset {
	rv := 0
	client.PrependReactor("*", "configmaps", func(action k8stesting.Action) (bool, runtime.Object, error) {
		gvr, tracker := action.GetResource(), client.Tracker()
		obj, ok := action.(interface{ GetObject() runtime.Object }) // create and update alike
		if !ok {
			return false, nil, nil
		}
		cm := obj.GetObject().(*corev1.ConfigMap).DeepCopy()
		switch action.GetVerb() {
		case "create":
			rv++
			cm.ResourceVersion, cm.UID = strconv.Itoa(rv), types.UID("uid-"+cm.Name)
			return true, cm, tracker.Create(gvr, cm, cm.Namespace)
		case "update":
			cur, err := tracker.Get(gvr, cm.Namespace, cm.Name)
			if err != nil {
				return true, nil, err
			}
			if cur.(*corev1.ConfigMap).ResourceVersion != cm.ResourceVersion {
				return true, nil, apierrors.NewConflict(gvr.GroupResource(), cm.Name, errors.New("stale"))
			}
			rv++
			cm.ResourceVersion = strconv.Itoa(rv)
			return true, cm, tracker.Update(gvr, cm, cm.Namespace)
		}
		return false, nil, nil
	})
	return client
}
