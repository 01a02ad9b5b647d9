// Package status tests what a user sees of a run, end to end with the real
// binary on the real control plane: `jobernetes status` during and after a
// run (also after cleanup) against the test's own watch, `run -o json`,
// the JUnit report, Events, the metrics endpoint and the live view on a
// pseudo-terminal.
package status

import (
	"os"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// binary is the jobernetes binary under test, built once per package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, &binary, framework.Main))
}
