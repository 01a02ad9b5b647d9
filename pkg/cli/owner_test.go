package cli

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/jobernetes/jobernetes/pkg/bundle"
	"github.com/jobernetes/jobernetes/pkg/record"
)

func TestOwnerFromEnv(t *testing.T) {
	t.Setenv(bundle.EnvOwnerJobName, "nightly-29000000")
	t.Setenv(bundle.EnvOwnerJobUID, "")
	if o := ownerFromEnv(); o != nil {
		t.Errorf("owner %+v without a UID", o)
	}
	t.Setenv(bundle.EnvOwnerJobUID, "uid-1")
	o := ownerFromEnv()
	if o == nil || o.Kind != "Job" || o.APIVersion != "batch/v1" || o.Name != "nightly-29000000" || o.UID != "uid-1" {
		t.Errorf("owner %+v", o)
	}
}

// A one-shot wrapper Job deleted and applied again under the same name must
// not resume the old Job's run while the garbage collector still holds it.
func TestCheckRecordOwner(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: record.Name("once"), Namespace: "ns",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "once", UID: "old"}},
	}}
	if err := record.Encode(cm, &record.Record{RunID: "once", Result: record.ResultRunning}); err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset(cm)
	owner := func(uid string) *metav1.OwnerReference {
		return &metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: "once", UID: k8stypes.UID(uid)}
	}
	ctx := context.Background()
	if err := checkRecordOwner(ctx, client, "ns", "once", nil); err != nil {
		t.Errorf("no owner (run by hand): %v", err)
	}
	if err := checkRecordOwner(ctx, client, "ns", "once", owner("old")); err != nil {
		t.Errorf("the same Job's retried Pod must resume: %v", err)
	}
	if err := checkRecordOwner(ctx, client, "ns", "other", owner("new")); err != nil {
		t.Errorf("no record yet: %v", err)
	}
	err := checkRecordOwner(ctx, client, "ns", "once", owner("new"))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitCluster {
		t.Errorf("a record of an earlier Job of the same name: %v, want exit %d", err, ExitCluster)
	}
}
