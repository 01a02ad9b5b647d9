// Package incluster tests jobernetes inside the cluster: the RBAC of the
// generated bundle and of manifests/, and the CronJob wrapper end to end.
// The test bed has no kubelet (kwok plays the Pods), so the wrapper Pod's
// container is played by the test: the jobernetes binary, run exactly as the
// Pod specifies, in a private mount namespace holding the Pod's volumes and
// a token of its ServiceAccount where client-go's in-cluster config looks.
package incluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// binary is the jobernetes binary under test, built once per package. Its
// folder is world-readable: the wrapper's container runs as uid 65532.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jobernetes-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binary = filepath.Join(dir, "jobernetes")
	// As the Dockerfile builds it: static, so it needs nothing from the host.
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "github.com/jobernetes/jobernetes/cmd/jobernetes")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build jobernetes:", err)
		return 1
	}
	return framework.Main(m)
}
