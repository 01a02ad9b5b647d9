// Package chaos proves on the real control plane that jobernetes neither
// loses nor duplicates work: the orchestrator SIGKILLed again and again,
// kube-apiserver and etcd restarted mid-run, a throttled client, people
// editing, deleting or forging the run's Jobs, and manifests that try to
// act outside the run's namespace.
//
// Randomness is seeded: every test prints its seed, and
// JOBERNETES_CHAOS_SEED=N replays the same schedule of kills. The default
// sizes are CI sizes; JOBERNETES_CHAOS_FULL=1 runs the full ones (50 kills
// of a 200-Job run).
package chaos

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
