package smoke

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// TestAuditCountsRequests: the audit log attributes requests to the client
// that made them, by user agent, and counts each once (watches too).
func TestAuditCountsRequests(t *testing.T) {
	t.Parallel()
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg := rest.CopyConfig(cp.Config)
	cfg.UserAgent = fmt.Sprintf("jobernetes-audit-probe-%d/v0", rand.Uint32())
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		job := framework.NewJob(ns, jobName("audited", i), framework.PodScript{})
		if _, err := client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create job: %v", err)
		}
	}
	if _, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	w, err := client.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch jobs: %v", err)
	}
	defer w.Stop() // still open while counting: counted from ResponseStarted

	want := map[string]int{"create jobs": 3, "list jobs": 1, "watch jobs": 1}
	var got map[string]int
	// Audit events land just after the responses: poll briefly.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err = cp.CountRequests(cfg.UserAgent)
		if err != nil {
			t.Fatal(err)
		}
		if equalCounts(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !equalCounts(got, want) {
		t.Errorf("CountRequests(%q) = %v, want %v", cfg.UserAgent, got, want)
	}
	inNS, err := cp.CountRequestsIn(ns, cfg.UserAgent)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCounts(inNS, want) {
		t.Errorf("CountRequestsIn(%s) = %v, want %v", ns, inNS, want)
	}
	other, err := cp.CountRequestsIn("default", cfg.UserAgent)
	if err != nil {
		t.Fatal(err)
	}
	if len(other) != 0 {
		t.Errorf("CountRequestsIn(default) = %v, want none", other)
	}
	t.Logf("requests of %s: %v", cfg.UserAgent, got)
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
