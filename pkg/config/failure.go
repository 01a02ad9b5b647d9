package config

import (
	"path/filepath"
	"strconv"
)

// revert loads a job's revert_path: one Job manifest file, checked like any
// other manifest.
func (l *manifestLoader) revert(j *rawJob, ps *problems) *Manifest {
	f := j.revertPath
	if !filepath.IsAbs(f) {
		f = filepath.Join(l.dir, f)
	}
	d := l.load(f)
	for _, is := range d.issues {
		field := is.field
		if field == "" {
			field = j.field.Child("revert_path").String()
		}
		ps.job(j, f, field, is.msg)
	}
	if d.job == nil || len(d.issues) > 0 {
		return nil
	}
	return &Manifest{Path: f, RelPath: l.rel(f), Job: d.job.DeepCopy()}
}

// checkFailureHandling checks what can be told statically about trigger
// rules and the finally phase.
func checkFailureHandling(raw *rawModel, ps *problems) {
	if fp := raw.options.FinallyPhase; fp != "" {
		idx := -1
		for i, p := range raw.phases {
			if p.name == fp {
				idx = i
			}
		}
		switch {
		case idx < 0:
			ps.at("jobernetes_config.finally_phase", "names no phase of the model: "+strconv.Quote(fp))
		case idx != len(raw.phases)-1:
			ps.at("jobernetes_config.finally_phase", "phase "+strconv.Quote(fp)+" must be the last phase: a finally phase runs after everything else")
		case idx == 0:
			ps.at("jobernetes_config.finally_phase", "phase "+strconv.Quote(fp)+" is the only phase: nothing would come before it")
		}
	}
	for i, p := range raw.phases {
		finally := raw.options.FinallyPhase != "" && p.name == raw.options.FinallyPhase
		for _, j := range p.jobs {
			if j.triggerRule == RuleAllSucceeded || j.triggerRule == "" {
				continue
			}
			// A job with no upstream has nothing whose result the rule could read.
			if len(j.dependsOn) == 0 && (i == 0 || finally) {
				ps.job(j, "", j.field.Child("trigger_rule").String(),
					j.triggerRule+" needs upstream jobs: this job has no depends_on and no phase before it")
			}
		}
	}
}
