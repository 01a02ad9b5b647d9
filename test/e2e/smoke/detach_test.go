package smoke

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// TestDetachedControlPlane checks what `cluster up` / `cluster down` rely on:
// a detached control plane runs in its own sessions, can be found again from
// its dir, and Stop through that handle ends exactly its processes.
func TestDetachedControlPlane(t *testing.T) {
	t.Parallel()
	shared := framework.RequireCluster(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cp, err := framework.Start(ctx, framework.Options{BinDir: shared.BinDir, Dir: dir, Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	for _, p := range cp.Processes() {
		if sid, err := unix.Getsid(p.PID); err != nil || sid != p.PID {
			t.Errorf("%s (pid %d): session %d (%v), want its own", p.Name, p.PID, sid, err)
		}
	}

	if _, err := framework.Start(ctx, framework.Options{BinDir: shared.BinDir, Dir: dir, Detach: true}); err == nil {
		t.Fatal("second Start in the same dir succeeded, want already running")
	}

	attached, err := framework.Attach(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := attached.RunningComponents(); len(got) != 5 {
		t.Fatalf("attached: running %v, want all 5", got)
	}
	nodes, err := attached.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("attached client: %d nodes, %v", len(nodes.Items), err)
	}
	if err := attached.Stop(); err != nil {
		t.Fatal(err)
	}
	// The processes are this test's children too: give Wait a moment to reap them.
	deadline := time.Now().Add(5 * time.Second)
	for len(cp.RunningComponents()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := cp.RunningComponents(); len(got) > 0 {
		t.Errorf("still running after Stop: %v", got)
	}
	if got := shared.RunningComponents(); len(got) != 5 {
		t.Errorf("the shared control plane lost components: running %v", got)
	}
}
