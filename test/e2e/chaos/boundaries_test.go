package chaos

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// A manifest may not choose where or as whom its Job runs: another
// namespace, an ownerReference, or jobernetes.io/ labels and annotations of
// its own are validation errors: exit 2, and nothing is created in any
// namespace (jobernetes sends no request at all).
func TestManifestBoundaries(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	other := cp.NewNamespace(t)
	header := "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\n"
	body := strings.TrimPrefix(e2eutil.JobYAML("0s", false), "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ignored\n")
	for _, tc := range []struct {
		name, meta, want string
	}{
		{"other-namespace", "  namespace: " + other + "\n", `metadata.namespace: "` + other + `" differs from the run's namespace`},
		{"owner-reference", "  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: jobernetes-run-x, uid: 0f0e0d0c-0b0a-0908-0706-050403020100, controller: true}\n",
			"metadata.ownerReferences: must be empty"},
		{"run-label", "  labels:\n    jobernetes.io/run: someone-elses-run\n", `metadata.labels[jobernetes.io/run]: the jobernetes.io/ prefix is reserved`},
		{"job-label", "  labels:\n    jobernetes.io/job: a\n", `metadata.labels[jobernetes.io/job]: the jobernetes.io/ prefix is reserved`},
		{"manifest-annotation", "  annotations:\n    jobernetes.io/manifest: other.yaml\n", `metadata.annotations[jobernetes.io/manifest]: the jobernetes.io/ prefix is reserved`},
		{"pod-label", "", `spec.template.metadata.labels[jobernetes.io/run]: the jobernetes.io/ prefix is reserved`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := header + tc.meta + body
			if tc.name == "pod-label" {
				bad = strings.Replace(bad, "    metadata:\n      annotations:\n", "    metadata:\n      labels:\n        jobernetes.io/run: someone-elses-run\n      annotations:\n", 1)
			}
			// The bad manifest sits in the second phase, inside a directory
			// job, next to good ones: a run that validated lazily would
			// create the first phase's Job.
			dir := e2eutil.WriteFiles(t, map[string]string{
				"jobermodel.yaml": e2eutil.Model(false, 0, `
  - phase_name: one
    jobs:
      - {name: a, job_path: ok.yaml}
  - phase_name: two
    jobs:
      - {name: b, job_path: more, type: directory}
`),
				"ok.yaml":     e2eutil.JobYAML("0s", false),
				"more/0.yaml": e2eutil.JobYAML("0s", false),
				"more/1.yaml": bad,
			})
			runID := newRunID("bounds")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			since := time.Now()
			r := jobernetes().Run(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", runID)
			until := time.Now()
			if r.Code != 2 {
				t.Fatalf("exit %d, want 2", r.Code)
			}
			for _, want := range []string{`phase "two": job "b": ` + filepath.Join(dir, "more", "1.yaml"), tc.want} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			for _, n := range []string{ns, other} {
				jobs, err := cp.Client.BatchV1().Jobs(n).List(ctx, metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				cms, err := cp.Client.CoreV1().ConfigMaps(n).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=jobernetes"})
				if err != nil {
					t.Fatal(err)
				}
				leases, err := cp.Client.CoordinationV1().Leases(n).List(ctx, metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(jobs.Items)+len(cms.Items)+len(leases.Items) > 0 {
					t.Errorf("namespace %s: %d Jobs, %d run records, %d Leases after a refused run", n, len(jobs.Items), len(cms.Items), len(leases.Items))
				}
			}
			if _, err := cp.Client.CoreV1().ConfigMaps(ns).Get(ctx, record.Name(runID), metav1.GetOptions{}); err == nil {
				t.Errorf("the run record was created")
			}
			// Not a single request reached the API server.
			entries, err := e2eutil.ReadAudit(cp.AuditLogPath, userAgent)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !e.Time.Before(since) && !e.Time.After(until.Add(time.Second)) {
					t.Errorf("a refused run sent %s %s %s/%s", e.Verb, e.Resource, e.Namespace, e.Name)
				}
			}
		})
	}
}
