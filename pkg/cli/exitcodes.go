package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Exit codes, as docs/commands.md ("Commands") promises them to scripts and CronJobs.
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

// exitError is the one mapping from what the engine returns to the exit
// code a command ends with: an *ExitError stands as it is; a run or a
// record that is not there, or not in a state the command can act on (a
// finished run to cancel, a running one to delete without --force, a run ID
// bound to another model or other parameters, a cancelled run), and an
// invalid model are usage errors (2); a run record the API server refuses
// fails the run (1); anything else is the cluster's (3: unreachable,
// unauthorized, forbidden, a record that cannot be read).
func exitError(err error) error {
	if err == nil {
		return nil
	}
	var (
		ee        *ExitError
		notFound  *record.NotFoundError
		finished  *runmeta.FinishedError
		running   *runmeta.RunningError
		cancelled *controller.CancelledError
		mismatch  *controller.MismatchError
		params    *controller.ParamsMismatchError
		invalid   *config.ValidationError
	)
	switch {
	case errors.As(err, &ee):
		return err
	case errors.As(err, &notFound), errors.As(err, &finished), errors.As(err, &running), errors.As(err, &cancelled),
		errors.As(err, &mismatch), errors.As(err, &params), errors.As(err, &invalid):
		return &ExitError{Code: ExitInvalid, Err: err}
	case errors.Is(err, controller.ErrRecordRefused):
		return &ExitError{Code: ExitRunFailed, Err: err}
	}
	return &ExitError{Code: ExitCluster, Err: err}
}

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
