package logstream

import (
	"fmt"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/report"
)

// SelectJobs keeps the Jobs of the jobs named (JOB or PHASE/JOB), all of
// them without names; a name that is no job of the run is an error.
func SelectJobs(all []report.JobStatus, names []string) ([]report.JobStatus, error) {
	var out []report.JobStatus
	for _, js := range all {
		if js.KubernetesJob == "" {
			continue
		}
		if len(names) == 0 {
			out = append(out, js)
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	for _, name := range names {
		found := false
		for _, js := range all {
			job := strings.TrimSuffix(js.Job, " (revert)")
			if js.KubernetesJob != "" && (name == job || name == js.Phase+"/"+job) {
				out = append(out, js)
				found = true
			}
		}
		if !found && !knownJob(all, name) {
			return nil, fmt.Errorf("no job %q in the run", name)
		}
	}
	return out, nil
}

// knownJob: the run has the job, though it has no Job (yet).
func knownJob(all []report.JobStatus, name string) bool {
	for _, js := range all {
		if name == js.Job || name == js.Phase+"/"+js.Job {
			return true
		}
	}
	return false
}
