package framework

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// KueueQueueLabel is the label that puts a Job in a Kueue LocalQueue.
const KueueQueueLabel = "kueue.x-k8s.io/queue-name"

// Kueue's resources (API version v1beta2, its storage version in v0.17).
var (
	KueueWorkloads      = kueueGVR("workloads")
	kueueClusterQueues  = kueueGVR("clusterqueues")
	kueueLocalQueues    = kueueGVR("localqueues")
	kueueResourceFlavor = kueueGVR("resourceflavors")
)

func kueueGVR(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "kueue.x-k8s.io", Version: "v1beta2", Resource: resource}
}

// installKueueCRDs creates every CRD in dir and waits until discovery
// lists each: Kueue's manager maps every kind as it starts, and exits on
// one it cannot find.
func (cp *ControlPlane) installKueueCRDs(ctx context.Context, dir string) error {
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return fmt.Errorf("kueue CRDs in %s: %w", dir, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("no kueue CRDs in %s (run hack/build-kueue.sh)", dir)
	}
	var plurals []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("kueue CRD: %w", err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			return fmt.Errorf("parse %s: %w", filepath.Base(f), err)
		}
		if _, err := dyn.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", filepath.Base(f), err)
		}
		plural, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "plural")
		plurals = append(plurals, plural)
	}
	var last error
	err = poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		var list *metav1.APIResourceList
		if list, last = cp.Client.Discovery().ServerResourcesForGroupVersion(KueueWorkloads.GroupVersion().String()); last != nil {
			return false, nil
		}
		served := map[string]bool{}
		for _, r := range list.APIResources {
			served[r.Name] = true
		}
		for _, p := range plurals {
			if !served[p] {
				last = fmt.Errorf("%s not yet in discovery", p)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for kueue's CRDs (%v): %w", last, err) //nolint:errorlint // last is the detail, the poll's error is the cause
	}
	return nil
}

// kueueWebhookGroups are the API groups whose webhooks are registered: Jobs
// and Kueue's own objects (the manifests also hold webhooks for pods,
// Deployments and other integrations, which stay off).
var kueueWebhookGroups = []string{"batch", "kueue.x-k8s.io"}

func kueueWebhookWanted(rules []admissionv1.RuleWithOperations) bool {
	for _, r := range rules {
		for _, g := range r.APIGroups {
			if slices.Contains(kueueWebhookGroups, g) {
				return true
			}
		}
	}
	return false
}

// kueueClientConfig points a webhook at Kueue's server on loopback.
func (cp *ControlPlane) kueueClientConfig(c admissionv1.WebhookClientConfig, port int, ca []byte) admissionv1.WebhookClientConfig {
	path := ""
	if c.Service != nil && c.Service.Path != nil {
		path = *c.Service.Path
	}
	return admissionv1.WebhookClientConfig{URL: ptr.To(fmt.Sprintf("https://127.0.0.1:%d%s", port, path)), CABundle: ca}
}

// registerKueueWebhooks creates Kueue's webhook configurations from its
// manifests (file), reached by URL, then waits until the API server calls
// them: a dry-run Job with a queue name comes back suspended.
func (cp *ControlPlane) registerKueueWebhooks(ctx context.Context, file string, port int) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kueue webhooks: %w", err)
	}
	ca, err := os.ReadFile(cp.CAFile)
	if err != nil {
		return fmt.Errorf("kueue webhooks: %w", err)
	}
	reg := cp.Client.AdmissionregistrationV1()
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("parse kueue webhooks: %w", err)
		}
		switch meta.Kind {
		case "MutatingWebhookConfiguration":
			var c admissionv1.MutatingWebhookConfiguration
			if err := yaml.Unmarshal(doc, &c); err != nil {
				return fmt.Errorf("parse kueue webhooks: %w", err)
			}
			c.Name, c.Webhooks = "kueue-"+c.Name, slices.DeleteFunc(c.Webhooks, func(w admissionv1.MutatingWebhook) bool { return !kueueWebhookWanted(w.Rules) })
			for i := range c.Webhooks {
				c.Webhooks[i].ClientConfig = cp.kueueClientConfig(c.Webhooks[i].ClientConfig, port, ca)
			}
			_, err = reg.MutatingWebhookConfigurations().Create(ctx, &c, metav1.CreateOptions{})
		case "ValidatingWebhookConfiguration":
			var c admissionv1.ValidatingWebhookConfiguration
			if err := yaml.Unmarshal(doc, &c); err != nil {
				return fmt.Errorf("parse kueue webhooks: %w", err)
			}
			c.Name, c.Webhooks = "kueue-"+c.Name, slices.DeleteFunc(c.Webhooks, func(w admissionv1.ValidatingWebhook) bool { return !kueueWebhookWanted(w.Rules) })
			for i := range c.Webhooks {
				c.Webhooks[i].ClientConfig = cp.kueueClientConfig(c.Webhooks[i].ClientConfig, port, ca)
			}
			_, err = reg.ValidatingWebhookConfigurations().Create(ctx, &c, metav1.CreateOptions{})
		default:
			continue
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create kueue webhooks: %w", err)
		}
	}
	return cp.waitKueueWebhook(ctx)
}

// waitKueueWebhook waits until a Job with a queue name is suspended on
// create (a dry run: nothing is stored).
func (cp *ControlPlane) waitKueueWebhook(ctx context.Context) error {
	job := NewJob(metav1.NamespaceDefault, "kueue-probe", PodScript{})
	job.Labels = map[string]string{KueueQueueLabel: "probe"}
	job.Spec.Suspend = nil
	var last error
	err := poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		var got *batchv1.Job
		got, last = cp.Client.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return last == nil && ptr.Deref(got.Spec.Suspend, false), nil
	})
	if err != nil {
		return fmt.Errorf("wait for kueue's Job webhook (%v): %w", last, err) //nolint:errorlint // last is the detail, the poll's error is the cause
	}
	return nil
}

// NewKueueQueue creates a ClusterQueue named name with a nominal quota of cpu
// (a quantity such as "2") on one ResourceFlavor, and a LocalQueue of the
// same name in ns, and waits until the LocalQueue is active. The
// ClusterQueue is deleted when the test ends (the LocalQueue goes with ns).
func (cp *ControlPlane) NewKueueQueue(t testing.TB, ns, name, cpu string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range kueueQueueObjects(ns, name, cpu) {
		r := dyn.Resource(o.gvr).Namespace(o.obj.GetNamespace())
		if _, err := r.Create(ctx, o.obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %s %s: %v", o.gvr.Resource, o.obj.GetName(), err)
		}
	}
	t.Cleanup(func() {
		_ = dyn.Resource(kueueClusterQueues).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	err = poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		lq, err := dyn.Resource(kueueLocalQueues).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not there yet
		}
		conds, _, _ := unstructured.NestedSlice(lq.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Active" && m["status"] == string(corev1.ConditionTrue) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("LocalQueue %s/%s not active: %v", ns, name, err)
	}
}

type kueueObject struct {
	gvr schema.GroupVersionResource
	obj *unstructured.Unstructured
}

func kueueQueueObjects(ns, name, cpu string) []kueueObject {
	const flavor = "default-flavor"
	api := "kueue.x-k8s.io/v1beta2"
	return []kueueObject{
		{kueueResourceFlavor, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": api, "kind": "ResourceFlavor", "metadata": map[string]any{"name": flavor},
		}}},
		{kueueClusterQueues, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": api, "kind": "ClusterQueue", "metadata": map[string]any{"name": name},
			"spec": map[string]any{
				"namespaceSelector": map[string]any{},
				"resourceGroups": []any{map[string]any{
					"coveredResources": []any{"cpu"},
					"flavors": []any{map[string]any{"name": flavor, "resources": []any{
						map[string]any{"name": "cpu", "nominalQuota": cpu},
					}}},
				}},
			},
		}}},
		{kueueLocalQueues, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": api, "kind": "LocalQueue", "metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{"clusterQueue": name},
		}}},
	}
}
