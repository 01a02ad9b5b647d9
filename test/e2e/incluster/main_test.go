// Package incluster tests jobernetes inside the cluster: the RBAC of the
// generated bundle and of manifests/, and the CronJob wrapper end to end.
// The test bed has no kubelet (kwok plays the Pods), so the wrapper Pod's
// container is played by the test: the jobernetes binary, run exactly as the
// Pod specifies, in a private mount namespace holding the Pod's volumes and
// a token of its ServiceAccount where client-go's in-cluster config looks.
package incluster

import (
	"os"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// binary is the jobernetes binary under test, built once per package. Its
// folder is world-readable: the wrapper's container runs as uid 65532.
var binary string

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, &binary, framework.Main))
}
