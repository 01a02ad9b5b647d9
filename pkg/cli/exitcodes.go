package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/render"
)

// Exit codes, as the README ("Commands") promises them to scripts and CronJobs.
const (
	ExitOK        = 0 // every job succeeded (or the command did what it was asked)
	ExitRunFailed = 1 // the run failed: a Job failed, was deleted, or a deadline passed
	ExitInvalid   = 2 // invalid model or usage; nothing was created
	ExitCluster   = 3 // cluster error: unreachable, unauthorized, forbidden
)

// ExitError carries the exit code a command ends with. Commands return it
// from RunE; Execute prints Err (unless Silent, when the command has said
// all there is to say) and exits with Code. A RunE error that is not an
// ExitError counts as ExitRunFailed; errors cobra raises before RunE runs
// (unknown flag or command, bad arguments) count as ExitInvalid.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + strconv.Itoa(e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitCode reports err on w and returns the process exit code for it.
// commandPath names the command for the usage hint.
func exitCode(err error, commandPath string, w io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if !errors.As(err, &ee) {
		// Not from a RunE (those are wrapped): cobra refused the command
		// line itself.
		fmt.Fprintf(w, "Error: %v\nRun '%s --help' for usage.\n", err, commandPath)
		return ExitInvalid
	}
	if !ee.Silent && ee.Err != nil {
		printError(w, ee.Err)
	}
	return ee.Code
}

// printError prints a validation error as one problem per line and a count
// line, anything else as one "Error:" line.
func printError(w io.Writer, err error) {
	var ve *config.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		fmt.Fprintf(w, "Error: %v\n", err)
		return
	}
	for _, p := range ve.Problems {
		fmt.Fprintln(w, p.String())
	}
	what := "the model"
	if f := ve.Problems[0].File; f != "" {
		what = f
	}
	fmt.Fprintf(w, "found %s in %s\n", render.Plural(len(ve.Problems), "problem", "problems"), what)
}
