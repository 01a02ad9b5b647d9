// Package status tests what a user sees of a run, end to end with the real
// binary on the real control plane: `jobernetes status` during and after a
// run (also after cleanup) against the test's own watch, `run -o json`,
// the JUnit report, Events, the metrics endpoint and the live view on a
// pseudo-terminal.
package status

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// binary is the jobernetes binary under test, built once per package.
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
	binary = filepath.Join(dir, "jobernetes")
	build := exec.Command("go", "build", "-o", binary, "github.com/jobernetes/jobernetes/cmd/jobernetes")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build jobernetes:", err)
		return 1
	}
	return framework.Main(m)
}
