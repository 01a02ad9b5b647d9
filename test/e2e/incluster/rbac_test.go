package incluster

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/bundle"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// The ServiceAccount of the generated bundle, and of manifests/, has exactly
// bundle.Rules in its namespace beyond what every ServiceAccount has: nothing
// on Secrets or Pods, nothing in other namespaces, nothing cluster-scoped.
// Both are namespace-less and applied with kubectl, as docs/cluster.md says.
func TestRBAC(t *testing.T) {
	cp := framework.RequireCluster(t)
	dir := writeFiles(t, map[string]string{
		"jobermodel.yaml": "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: jobs/a.yaml}\n",
		"jobs/a.yaml":     jobYAML("0s"),
	})
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	sources := []struct {
		name, sa string
		apply    func(ctx context.Context, t *testing.T, ns string)
	}{
		{"jobernetes cronjob | kubectl apply -f -", "rbac", func(ctx context.Context, t *testing.T, ns string) {
			out := generateYAML(t, "cronjob", "--schedule", "0 2 * * *", "-f", dir+"/jobermodel.yaml", "--name", "rbac")
			kubectl(ctx, t, out, "apply", "-n", ns, "-f", "-")
		}},
		{"kubectl apply -k manifests", "jobernetes", func(ctx context.Context, t *testing.T, ns string) {
			kubectl(ctx, t, nil, "apply", "-n", ns, "-k", filepath.Join(root, "manifests"))
		}},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ns := cp.NewNamespace(t)
			src.apply(ctx, t, ns)
			checkRights(ctx, t, cp, ns, src.sa)
		})
	}
}

// kubectl runs kubectl as the admin, with stdin, or skips the test without it.
func kubectl(ctx context.Context, t *testing.T, stdin []byte, args ...string) {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found")
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig", framework.Current.AdminKubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("kubectl %s:\n%s", strings.Join(args, " "), out)
}

func checkRights(ctx context.Context, t *testing.T, cp *framework.ControlPlane, ns, sa string) {
	user := "system:serviceaccount:" + ns + ":" + sa
	saClient := clientFor(ctx, t, cp, ns, sa)
	baseClient := clientFor(ctx, t, cp, ns, "default") // no bindings: what every ServiceAccount may do

	// 1. Exactly the intended rights: the ServiceAccount's rules in its
	// namespace (SelfSubjectRulesReview, with its own token) minus those of
	// a ServiceAccount without bindings are bundle.Rules, no more, no less.
	want := expandRules(bundle.Rules)
	var extra, missing []string
	var base sets.Set[string]
	start := time.Now()
	waitFor(t, 20*time.Second, "the RoleBinding to take effect", func() bool {
		got := selfRules(ctx, t, saClient, ns)
		base = selfRules(ctx, t, baseClient, ns)
		granted := got.Difference(base)
		extra, missing = sets.List(granted.Difference(want)), sets.List(want.Difference(granted))
		return len(extra) == 0 && len(missing) == 0
	})
	t.Logf("MEASURE rbac %s: rules in effect after %s; %d rights granted: %s", ns, time.Since(start).Round(time.Millisecond),
		want.Len(), strings.Join(sets.List(want), ", "))
	t.Logf("every ServiceAccount's baseline (not granted by the bundle): %s", strings.Join(sets.List(base), ", "))

	// 2. Spot checks through SubjectAccessReview, as the API server decides
	// for real requests: every granted verb, and what must stay denied.
	type check struct{ verb, group, resource, sub, ns string }
	var allowed []check
	for _, r := range bundle.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				res, sub, _ := strings.Cut(res, "/") // pods/log: resource pods, subresource log
				for _, v := range r.Verbs {
					allowed = append(allowed, check{v, g, res, sub, ns})
				}
			}
		}
	}
	denied := []check{
		{"get", "", "secrets", "", ns}, {"list", "", "secrets", "", ns}, {"watch", "", "secrets", "", ns},
		{"create", "", "pods", "exec", ns}, {"get", "", "pods", "exec", ns}, {"create", "", "pods", "attach", ns},
		{"create", "", "pods", "portforward", ns}, {"create", "", "pods", "eviction", ns},
		{"create", "", "pods", "", ns}, {"delete", "", "pods", "", ns}, {"update", "", "pods", "", ns}, {"patch", "", "pods", "", ns},
		{"update", "batch", "jobs", "", ns}, {"deletecollection", "batch", "jobs", "", ns},
		{"update", "batch", "jobs", "status", ns}, {"create", "batch", "cronjobs", "", ns},
		{"watch", "", "configmaps", "", ns}, {"delete", "", "configmaps", "", ns},
		{"create", "", "serviceaccounts", "token", ns}, {"impersonate", "", "serviceaccounts", "", ns},
		{"create", "rbac.authorization.k8s.io", "roles", "", ns}, {"create", "rbac.authorization.k8s.io", "rolebindings", "", ns},
		{"escalate", "rbac.authorization.k8s.io", "roles", "", ns}, {"bind", "rbac.authorization.k8s.io", "roles", "", ns},
		{"list", "coordination.k8s.io", "leases", "", ns}, {"create", "events.k8s.io", "events", "", ns},
		{"*", "*", "*", "", ns},
		// Other namespaces and cluster scope.
		{"create", "batch", "jobs", "", "default"}, {"list", "batch", "jobs", "", "kube-system"},
		{"get", "", "configmaps", "", "kube-system"}, {"get", "", "secrets", "", "kube-system"},
		{"list", "batch", "jobs", "", ""}, {"list", "", "namespaces", "", ""}, {"get", "", "namespaces", "", ""},
		{"list", "", "nodes", "", ""}, {"list", "rbac.authorization.k8s.io", "clusterroles", "", ""},
		{"create", "rbac.authorization.k8s.io", "clusterrolebindings", "", ""},
		{"create", "certificates.k8s.io", "certificatesigningrequests", "", ""},
		{"list", "apiextensions.k8s.io", "customresourcedefinitions", "", ""},
	}
	sar := func(c check) bool {
		r, err := cp.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   user,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: c.ns, Verb: c.verb, Group: c.group, Resource: c.resource, Subresource: c.sub,
				},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SubjectAccessReview %+v: %v", c, err)
		}
		return r.Status.Allowed
	}
	for _, c := range allowed {
		if !sar(c) {
			t.Errorf("%s may not %s %s.%s in %q: the bundle grants it", user, c.verb, c.resource, c.group, c.ns)
		}
	}
	for _, c := range denied {
		if sar(c) {
			res := c.resource
			if c.sub != "" {
				res += "/" + c.sub
			}
			t.Errorf("%s may %s %s.%s in %q: it must not", user, c.verb, res, c.group, c.ns)
		}
	}
	t.Logf("SubjectAccessReviews: %d allowed, %d denied as intended", len(allowed), len(denied))

	// 3. With the ServiceAccount's own token, for real.
	if _, err := saClient.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("list jobs in %s with the ServiceAccount's token: %v", ns, err)
	}
	if _, err := saClient.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list secrets in %s with the ServiceAccount's token: %v, want Forbidden", ns, err)
	}
	if _, err := saClient.BatchV1().Jobs("default").Create(ctx, framework.NewJob("default", "intruder", framework.PodScript{}), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("create a Job in default with the ServiceAccount's token: %v, want Forbidden", err)
	}

	// For people reading the log: kubectl's view.
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", cp.AdminKubeconfig, "auth", "can-i", "--list",
			"--as", user, "--as-group", "system:serviceaccounts", "--as-group", "system:serviceaccounts:"+ns, "--as-group", "system:authenticated",
			"-n", ns).CombinedOutput()
		t.Logf("kubectl auth can-i --list --as %s -n %s (err %v):\n%s", user, ns, err, out)
	}
}

// clientFor is a client authenticated as ns/sa by a TokenRequest token.
func clientFor(ctx context.Context, t *testing.T, cp *framework.ControlPlane, ns, sa string) kubernetes.Interface {
	t.Helper()
	token, err := cp.ServiceAccountToken(ctx, ns, sa)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(cp.ConfigForToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// selfRules is what a SelfSubjectRulesReview says the client may do in ns,
// one "verb group/resource" (or "verb URL") per right.
func selfRules(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) sets.Set[string] {
	t.Helper()
	r, err := c.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectRulesReview: %v", err)
	}
	if r.Status.Incomplete {
		t.Fatalf("SelfSubjectRulesReview incomplete: %s", r.Status.EvaluationError)
	}
	out := sets.New[string]()
	for _, rr := range r.Status.ResourceRules {
		names := ""
		if len(rr.ResourceNames) > 0 {
			n := append([]string(nil), rr.ResourceNames...)
			sort.Strings(n)
			names = " [" + strings.Join(n, ",") + "]"
		}
		for _, v := range rr.Verbs {
			for _, g := range rr.APIGroups {
				for _, res := range rr.Resources {
					out.Insert(v + " " + groupResource(g, res) + names)
				}
			}
		}
	}
	for _, nr := range r.Status.NonResourceRules {
		for _, v := range nr.Verbs {
			for _, u := range nr.NonResourceURLs {
				out.Insert(v + " " + u)
			}
		}
	}
	return out
}

// expandRules is rules as selfRules lists rights.
func expandRules(rules []rbacv1.PolicyRule) sets.Set[string] {
	out := sets.New[string]()
	for _, r := range rules {
		for _, v := range r.Verbs {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					out.Insert(v + " " + groupResource(g, res))
				}
			}
		}
	}
	return out
}

func groupResource(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}
