//go:build e2ehooks

package controller

import (
	"os"
	"syscall"
	"time"
)

// EnvCrashAt (only in a binary built with -tags e2ehooks, as the e2e tests
// build it) is POINT:JOB: the process SIGKILLs itself at POINT of the Job
// of model job JOB, a moment no test can hit by timing a kill from outside.
// Points: before-create (the create not sent), after-create (the Job
// created, the run record not yet told). interrupt-after-create sends
// SIGINT instead, then holds the create's worker for 2 s, so that the
// process stops (controller.Stop) before the sync can write the record.
const EnvCrashAt = "JOBERNETES_E2E_CRASH_AT"

var crashAt = os.Getenv(EnvCrashAt)

func crashPoint(point string, u *unit) {
	switch crashAt {
	case "":
	case point + ":" + u.job.Name:
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way: do nothing more
	case "interrupt-" + point + ":" + u.job.Name:
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
		time.Sleep(2 * time.Second)
	}
}
