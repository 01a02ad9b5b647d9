// Package kueue runs jobernetes beside Kueue (sigs.k8s.io/kueue): the real
// manager with its webhooks, on the package's own control plane, so that no
// other package pays for it.
package kueue

import (
	"os"
	"sync"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// binary is the jobernetes binary under test, built once per package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, &binary, framework.Main))
}

var (
	kueueOnce sync.Once
	kueueErr  error
)

// requireKueue returns the control plane with Kueue running (started by the
// first test that asks), or skips without a control plane.
func requireKueue(t *testing.T) *framework.ControlPlane {
	t.Helper()
	cp := framework.RequireCluster(t)
	kueueOnce.Do(func() {
		dir, err := framework.KueueBinDir()
		if err != nil {
			kueueErr = err
			return
		}
		kueueErr = cp.StartKueue(t.Context(), dir)
	})
	if kueueErr != nil {
		t.Fatalf("kueue: %v", kueueErr)
	}
	return cp
}
