package controller

import (
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// jobEnv is the environment jobernetes gives every container of a unit's
// Job: the four JOBERNETES_* variables, then the parameters sorted by name
// (the model's env, the job's env, then `run -e`, later ones winning).
// They come first in the list because Kubernetes expands $(VAR) only with
// variables defined earlier: a manifest's own variables, and its command
// and args, can then use them all.
func (c *Controller) jobEnv(u *unit) []corev1.EnvVar {
	params := config.MergeEnv(c.model.JobEnv(u.job), c.opts.Params)
	env := make([]corev1.EnvVar, 0, len(config.InjectedEnv)+len(params))
	env = append(env,
		corev1.EnvVar{Name: config.EnvRunID, Value: c.runID},
		corev1.EnvVar{Name: config.EnvPhase, Value: u.job.Phase},
		corev1.EnvVar{Name: config.EnvJob, Value: u.job.Name},
		corev1.EnvVar{Name: config.EnvAttempt, Value: strconv.Itoa(max(int(u.attempt), 1))},
	)
	if !u.revert {
		env = append(env, matrixEnv(u.manifest.Matrix)...)
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := params[k]
		if c.flow.any {
			v, _ = config.Substitute(v, c.resultOf, u.manifest.Matrix)
		}
		env = append(env, corev1.EnvVar{Name: k, Value: v})
	}
	return env
}

// injectEnv puts env in front of every container's and init container's own
// env. A variable the container defines itself is left out of what is
// injected: the manifest wins (validate warns), and the container gets no
// duplicate name.
func injectEnv(pod *corev1.PodSpec, env []corev1.EnvVar) {
	for _, cs := range []([]corev1.Container){pod.InitContainers, pod.Containers} {
		for i := range cs {
			c := &cs[i]
			own := make(map[string]bool, len(c.Env))
			for _, e := range c.Env {
				own[e.Name] = true
			}
			merged := make([]corev1.EnvVar, 0, len(env)+len(c.Env))
			for _, e := range env {
				if !own[e.Name] {
					merged = append(merged, e)
				}
			}
			c.Env = append(merged, c.Env...)
		}
	}
}

// runParams are the run-wide parameters kept in the run record: the
// model's env overlaid by `run -e`. A job's own env is part of the model
// (and so of its fingerprint).
func (c *Controller) runParams() map[string]string {
	p := config.MergeEnv(c.model.Options.Env, c.opts.Params)
	if len(p) == 0 {
		return nil
	}
	return p
}
