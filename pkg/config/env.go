package config

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Variables jobernetes always injects into every container of every Job of
// a run. A model, `run -e` or a manifest may not define them.
const (
	EnvRunID   = "JOBERNETES_RUN_ID"
	EnvPhase   = "JOBERNETES_PHASE"
	EnvJob     = "JOBERNETES_JOB"
	EnvAttempt = "JOBERNETES_ATTEMPT"
)

// InjectedEnv are the always-injected variables, in the order they come in
// a container's env list.
var InjectedEnv = []string{EnvRunID, EnvPhase, EnvJob, EnvAttempt}

// EnvProblem says what is wrong with a parameter name, or "" when it is
// usable: a C_IDENTIFIER-like environment variable name (Kubernetes'
// IsEnvVarName) that is not one of the injected ones.
func EnvProblem(name string) string {
	if slices.Contains(InjectedEnv, name) {
		return strconv.Quote(name) + " is set by jobernetes itself (" + strings.Join(InjectedEnv, ", ") + ")"
	}
	if errs := validation.IsEnvVarName(name); len(errs) > 0 {
		return "invalid environment variable name " + strconv.Quote(name) + ": " + strings.Join(errs, "; ")
	}
	return ""
}

// decodeEnv reads an `env` mapping of parameter names to string values.
// Values must be strings: YAML's unquoted 1, 1.0, yes or on would otherwise
// become "1", "1.0", "true" or "true" by surprise, so they are refused with
// a hint to quote them, as other string keys of the model are.
func decodeEnv(v any, fp *field.Path, report func(field, msg string)) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		report(fp.String(), "must be a mapping of variable names to string values, not "+describe(v))
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		kf := fp.Key(k)
		if msg := EnvProblem(k); msg != "" {
			report(kf.String(), msg)
			continue
		}
		if m[k] == nil {
			report(kf.String(), "must be a string; write \"\" for an empty value")
			continue
		}
		if s, ok := stringValue(m[k], kf, report); ok {
			out[k] = s
		}
	}
	return out
}

// MergeEnv overlays maps, later ones winning: the model's env, a job's env,
// then `run -e`.
func MergeEnv(layers ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, l := range layers {
		for k, v := range l {
			out[k] = v
		}
	}
	return out
}

// JobEnv is what a job's containers get from the model: jobernetes_config
// env overlaid by the job's own env.
func (m *Model) JobEnv(j *Job) map[string]string {
	return MergeEnv(m.Options.Env, j.Env)
}

// Shadowed lists, for a manifest, the parameters of params that one of its
// containers or init containers defines itself (the manifest wins), sorted.
func Shadowed(mf *Manifest, params map[string]string) []string {
	seen := map[string]bool{}
	pod := &mf.Job.Spec.Template.Spec
	for _, cs := range [][]corev1.Container{pod.InitContainers, pod.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if _, ok := params[e.Name]; ok {
					seen[e.Name] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// EnvWarnings are the parameters (the model's and its jobs' env, and
// extra, which is `run -e`) that a manifest's own env overrides: allowed,
// the manifest wins, but most likely a surprise.
func (m *Model) EnvWarnings(extra map[string]string) []Problem {
	var out []Problem
	for _, j := range m.Jobs() {
		if len(m.Options.Env) == 0 && len(j.Env) == 0 && len(extra) == 0 {
			continue // no parameters: nothing to shadow
		}
		params := MergeEnv(m.JobEnv(j), extra)
		if len(params) == 0 {
			continue
		}
		mfs := j.Manifests
		if j.Revert != nil {
			mfs = append(slices.Clip(mfs), j.Revert)
		}
		for _, mf := range mfs {
			for _, k := range Shadowed(mf, params) {
				out = append(out, Problem{File: m.Path, Phase: j.Phase, Job: j.Name, Manifest: mf.Path,
					Field: "env", Message: "the manifest sets " + k + " itself: its value wins over the parameter " + k + "=" + strconv.Quote(params[k])})
			}
		}
	}
	return out
}

// checkInjectedEnv refuses a manifest that sets one of the variables
// jobernetes injects: which value should win would be a guess.
func checkInjectedEnv(pod *corev1.PodSpec, spec *field.Path) []issue {
	var out []issue
	for _, group := range []struct {
		name string
		cs   []corev1.Container
	}{{"initContainers", pod.InitContainers}, {"containers", pod.Containers}} {
		for i, c := range group.cs {
			for k, e := range c.Env {
				if slices.Contains(InjectedEnv, e.Name) {
					out = append(out, issue{spec.Child(group.name).Index(i).Child("env").Index(k).Child("name").String(),
						strconv.Quote(e.Name) + " is set by jobernetes on every container; remove it from the manifest"})
				}
			}
		}
	}
	return out
}
