// Package bench is the benchmark suite of issue 7: DAG shapes run by
// jobernetes, by a kubectl apply/wait script and by a polling baseline on
// the real local control plane of test/e2e/framework. See BENCHMARKS.md.
//
//	JOBERNETES_BENCH=1 go test ./test/bench -run '^TestBench$' -v -count=1 -timeout 90m
//
// Without JOBERNETES_BENCH=1 no control plane is started and TestBench skips,
// so `go test ./...` stays fast.
package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// EnvBench=1 enables the cluster benchmark.
const EnvBench = "JOBERNETES_BENCH"

// Binaries under test, built once per test binary.
var jobernetesBin, pollerBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	if os.Getenv(EnvBench) != "1" {
		// framework.Main then starts no control plane and cluster tests skip.
		os.Setenv(framework.EnvE2E, "0")
		return framework.Main(m)
	}
	root, err := framework.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	dir := filepath.Join(root, "_output", "bench", "bin")
	jobernetesBin = filepath.Join(dir, "jobernetes")
	pollerBin = filepath.Join(dir, "poller")
	for bin, pkg := range map[string]string{
		jobernetesBin: "./cmd/jobernetes",
		pollerBin:     "./test/bench/baselines/poller",
	} {
		// As `make build` builds the release binary. With cgo, a plain build
		// is dynamically linked and, because k8s.io/cli-runtime pulls in
		// kustomize and with it package plugin, exports every symbol: a
		// binary 2.4 times the size and ~40 MiB more RSS at start.
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, pkg)
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: build %s: %v\n", pkg, err)
			return 1
		}
	}
	return framework.Main(m)
}
