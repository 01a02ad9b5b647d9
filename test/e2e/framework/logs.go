package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// Fake pods have logs: kwok's kubelet server answers the API server's
// /containerLogs/{ns}/{pod}/{container} from the file a ClusterLogs object
// names for the pod's namespace and container. kwok watches ClusterLogs
// (--enable-crds) so that each test says what its pods print.

// clusterLogsCRDFile is kwok's kustomize/crd/bases/kwok.x-k8s.io_clusterlogs.yaml,
// which hack/build-control-plane.sh copies from kwok's module next to the
// binaries (BinDir).
const clusterLogsCRDFile = "kwok.x-k8s.io_clusterlogs.yaml"

var (
	crdGVR         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	clusterLogsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "clusterlogs"}
)

// installLogsCRD creates the ClusterLogs CRD and waits until it is
// served: kwok lists ClusterLogs as it starts.
func (cp *ControlPlane) installLogsCRD(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	clusterLogsCRD, err := os.ReadFile(filepath.Join(cp.BinDir, clusterLogsCRDFile))
	if err != nil {
		return fmt.Errorf("kwok's ClusterLogs CRD (run hack/build-control-plane.sh): %w", err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(clusterLogsCRD, &obj.Object); err != nil {
		return fmt.Errorf("parse ClusterLogs CRD: %w", err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ClusterLogs CRD: %w", err)
	}
	var last error
	err = poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, last = dyn.Resource(clusterLogsGVR).List(ctx, metav1.ListOptions{Limit: 1})
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for ClusterLogs to be served (%v): %w", last, err) //nolint:errorlint // last is the detail, the poll's error is the cause
	}
	return nil
}

// SetContainerLogs makes the containers of the namespace's pods print
// lines: kubectl logs (and client-go GetLogs) of a pod in ns returns
// logs[container], the same for every pod; a container not named has no
// logs. Calling it again for ns replaces them. The ClusterLogs object is
// deleted when the test ends.
func (cp *ControlPlane) SetContainerLogs(t testing.TB, ns string, logs map[string][]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join(cp.Dir, "logs", ns)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	containers := make([]string, 0, len(logs))
	for c := range logs {
		containers = append(containers, c)
	}
	sort.Strings(containers)
	var entries []interface{}
	for _, c := range containers {
		path := filepath.Join(dir, c+".log")
		if err := os.WriteFile(path, criLog(logs[c]), 0o644); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, map[string]interface{}{"containers": []interface{}{c}, "logsFile": path})
	}
	obj := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "ClusterLogs",
		"metadata":   map[string]interface{}{"name": ns},
		"spec": map[string]interface{}{
			"selector": map[string]interface{}{"matchNamespaces": []interface{}{ns}},
			"logs":     entries,
		},
	}}
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	res := dyn.Resource(clusterLogsGVR)
	if old, err := res.Get(ctx, ns, metav1.GetOptions{}); err == nil {
		obj.SetResourceVersion(old.GetResourceVersion())
		_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update ClusterLogs %s: %v", ns, err)
		}
	} else {
		if _, err := res.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create ClusterLogs %s: %v", ns, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := res.Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
				t.Logf("delete ClusterLogs %s: %v", ns, err)
			}
		})
	}
	// kwok learns of the object through its watch: give it a moment so that
	// a pod created right after already has logs.
	time.Sleep(500 * time.Millisecond)
}

// criLog writes lines in the CRI log format kwok reads (the kubelet's
// /var/log/pods format): "<RFC3339Nano> stdout F <line>".
func criLog(lines []string) []byte {
	var b strings.Builder
	ts := time.Now().UTC()
	for i, l := range lines {
		fmt.Fprintf(&b, "%s stdout F %s\n", ts.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), l)
	}
	return []byte(b.String())
}
