package framework

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AddStalledNode registers a second node that kwok plays (pods on it run,
// succeed and fail as on FakeNodeName) whose kubelet endpoint is a loopback
// listener that accepts connections and never answers: `kubectl logs` of a
// pod on it hangs until the client gives up. A pod gets there with the
// nodeSelector `kubernetes.io/hostname: NAME`. The node and the listener
// go when the test ends.
func (cp *ControlPlane) AddStalledNode(t testing.TB, name string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read nor written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cp.addNode(ctx, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	if err := cp.waitSchedulable(ctx, name); err != nil {
		t.Fatal(err)
	}
	// After kwok's node-initialize stage (which runs once, until the node
	// is Ready) has set its own port.
	port := ln.Addr().(*net.TCPAddr).Port
	patch := fmt.Sprintf(`{"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, port)
	if _, err := cp.Client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
}

// addNode registers one more node kwok plays.
func (cp *ControlPlane) addNode(ctx context.Context, name string) error {
	if _, err := cp.Client.CoreV1().Nodes().Create(ctx, fakeNode(name, "1k", "10Ti", "10k"), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	return nil
}
