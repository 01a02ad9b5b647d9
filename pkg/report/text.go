package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// WriteText prints the final report: a table of every Job, then totals.
func WriteText(w io.Writer, r *runmeta.Result) {
	writeJobTable(w, r.Jobs)
	wall := r.Finished.Sub(r.Started)
	fmt.Fprintf(w, "\nrun %s in namespace %s: ", r.RunID, r.Namespace)
	if r.Succeeded {
		fmt.Fprintf(w, "SUCCEEDED\n")
	} else if r.Cancelled {
		fmt.Fprintf(w, "CANCELLED\n")
	} else {
		fmt.Fprintf(w, "FAILED\n")
	}
	fmt.Fprintf(w, "wall-clock %s, summed Job time %s", runmeta.RoundDuration(wall), runmeta.RoundDuration(r.SummedTime))
	if wall > 0 {
		fmt.Fprintf(w, " (parallelism %.1fx)", float64(r.SummedTime)/float64(wall))
	}
	fmt.Fprintf(w, "\ncritical path %s: %s\n", runmeta.RoundDuration(r.CriticalTime), strings.Join(r.CriticalPath, " -> "))
	if f := r.Failure; f != nil && f.Name != "" {
		fmt.Fprintf(w, "failed: job %s (phase %s, Job %s): %s: %s\n", f.Job, f.Phase, f.Name, f.Reason, f.Message)
		for _, p := range f.Pods {
			fmt.Fprintf(w, "  %s\n", p)
		}
		for _, j := range r.Jobs {
			if j.State == StateFailed && j.Name != f.Name && j.Reason != "Cancelled" {
				fmt.Fprintf(w, "also failed: job %s (phase %s, Job %s): %s: %s\n", j.Job, j.Phase, j.Name, j.Reason, j.Message)
				for _, p := range j.Pods {
					fmt.Fprintf(w, "  %s\n", p)
				}
			}
		}
	} else if f != nil {
		fmt.Fprintf(w, "failed: %s: %s\n", f.Reason, f.Message)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "skipped: %s\n", strings.Join(r.Skipped, ", "))
	}
	if len(r.FailedReverts) > 0 {
		fmt.Fprintf(w, "revert failed: %s\n", strings.Join(r.FailedReverts, ", "))
	}
	if len(r.NeverRan) > 0 {
		fmt.Fprintf(w, "never ran: %s\n", strings.Join(r.NeverRan, ", "))
	}
	if kept := keptJobs(r); len(kept) > 0 {
		fmt.Fprintf(w, "kept from earlier attempts: %s\n", strings.Join(kept, ", "))
	}
	if r.Attempt > 1 {
		fmt.Fprintf(w, "attempt %d of the run: wall-clock, Job time and critical path cover this attempt\n", r.Attempt)
	}
}

// writeJobTable is the summary's table: one row per Job.
func writeJobTable(w io.Writer, jobs []runmeta.JobReport) {
	queued := slices.ContainsFunc(jobs, func(j runmeta.JobReport) bool { return j.Queued > 0 })
	fmt.Fprintf(w, "\n%-16s %-22s %-36s %-10s %8s %8s %8s", "PHASE", "JOB", "KUBERNETES JOB", "STATE", "WAIT", "RUN", "TOTAL")
	if queued { // a run through a queue (Kueue): RUN is QUEUED + RUNNING
		fmt.Fprintf(w, " %8s %8s", "QUEUED", "RUNNING")
	}
	fmt.Fprintln(w)
	for _, j := range jobs {
		fmt.Fprintf(w, "%-16s %-22s %-36s %-10s %8s %8s %8s", trunc(j.Phase, 16), trunc(j.Job, 22), trunc(j.Name, 36), j.State,
			durCell(j.Wait, !j.Created.IsZero()), durCell(j.Run, !j.Finished.IsZero()), durCell(j.Total, !j.Finished.IsZero()))
		if queued {
			fmt.Fprintf(w, " %8s %8s", durCell(j.Queued, !j.Finished.IsZero()), durCell(j.Run-j.Queued, !j.Finished.IsZero()))
		}
		fmt.Fprintln(w)
	}
}

// keptJobs describes the Jobs a retry kept from an earlier attempt: each one
// it found running, and how many had succeeded.
func keptJobs(r *runmeta.Result) []string {
	var out []string
	succeeded := 0
	for _, j := range r.Jobs {
		if j.Created.IsZero() || j.Attempt >= r.Attempt {
			continue
		}
		if !j.KeptRunning {
			succeeded++
			continue
		}
		out = append(out, fmt.Sprintf("%s/%s (Job %s, running since attempt %d, now %s)", j.Phase, j.Job, j.Name, j.Attempt, j.State))
	}
	if succeeded > 0 {
		out = append([]string{fmt.Sprintf("%d succeeded Job(s)", succeeded)}, out...)
	}
	return out
}

func durCell(d time.Duration, known bool) string {
	if !known {
		return "-"
	}
	return runmeta.RoundDuration(d).String()
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}
