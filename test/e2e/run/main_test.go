// Package run tests `jobernetes run` end to end: the real binary against a
// real kube-apiserver, Job controller, scheduler and kwok-scripted pods.
package run

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
