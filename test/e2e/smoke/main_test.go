// Package smoke proves the e2e control plane is real: Jobs run and fail as
// scripted, CronJobs fire, RBAC is enforced, the audit log counts requests.
package smoke

import (
	"os"
	"testing"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

func TestMain(m *testing.M) {
	os.Exit(framework.Main(m))
}
