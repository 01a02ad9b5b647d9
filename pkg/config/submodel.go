package config

import (
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// A job of `type: model` runs another model file's phases, in order, as
// this one job of the run. It is flattened when loaded: each inner job
// becomes a job OUTER.INNER of the outer job's phase, an inner phase waits
// for the one before through depends_on edges, the inner model's first
// phase waits for what the outer job waits for, and whatever depends on
// the outer job waits for all of its inner jobs. So one record, one Lease,
// one graph: the engine sees plain jobs (docs/dataflow.md).

// maxModelDepth bounds nesting, beyond the cycle check.
const maxModelDepth = 16

func loadSubModels(m *Model, raw *rawModel, opts LoadOptions, ps *problems) {
	if !slices.ContainsFunc(m.Jobs(), func(j *Job) bool { return j.Type == TypeModel }) {
		return
	}
	abs, _ := filepath.Abs(m.Path)
	innerOpts := LoadOptions{Namespace: opts.Namespace, confine: opts.confine, stack: append(slices.Clip(opts.stack), abs)}
	rjs := rawJobs(raw)
	inners := map[string]*Model{}
	for i, j := range m.Jobs() {
		if j.Type != TypeModel {
			continue
		}
		if inner := loadSubModel(m.Dir, j, rjs[i], innerOpts, ps); inner != nil {
			inners[j.Name] = inner
		}
	}
	if !ps.empty() {
		return
	}
	flatten(m, inners)
	g, err := graph.Build(GraphSpecs(m.Phases, m.Options.FinallyPhase))
	if err != nil {
		ps.at("", "the model with its sub-models inlined is not a valid DAG: "+err.Error())
		return
	}
	m.Graph = g
}

// loadSubModel loads the model file that j (of type model, in the model of
// folder dir) names; nil when it has problems, which are then in ps, placed
// at j.
func loadSubModel(dir string, j *Job, rj *rawJob, opts LoadOptions, ps *problems) *Model {
	if len(j.Results) > 0 || len(j.Matrix) > 0 || j.Revert != nil {
		ps.job(rj, "", rj.field.String(), "a job of type model cannot have results, a matrix or a revert_path")
		return nil
	}
	path := filepath.Join(dir, j.Path)
	if msg := nestingProblem(dir, path, opts.stack); msg != "" {
		ps.job(rj, "", rj.field.Child("job_path").String(), msg)
		return nil
	}
	inner, err := Load(path, opts)
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			pl := placed{rj.phase.index, rj.index, p}
			if p.File == path && p.Job != "" {
				pl.Job = j.Name + "." + p.Job
			}
			ps.list = append(ps.list, pl)
		}
		return nil
	}
	if err != nil {
		ps.job(rj, "", rj.field.Child("job_path").String(), err.Error())
		return nil
	}
	return inner
}

// nestingProblem says why the model file at path cannot be loaded by the
// models of stack (the outermost first): it is one of them, or they nest
// too deep.
func nestingProblem(dir, path string, stack []string) string {
	abs, _ := filepath.Abs(path)
	if idx := slices.Index(stack, abs); idx >= 0 {
		chain := make([]string, 0, len(stack)-idx+1)
		for _, s := range stack[idx:] {
			chain = append(chain, rel(dir, s))
		}
		return "cycle of model files: " + strings.Join(append(chain, rel(dir, abs)), " -> ")
	}
	if len(stack) >= maxModelDepth {
		return "models nest more than " + strconv.Itoa(maxModelDepth) + " deep"
	}
	return ""
}

// flatten replaces every model job by its inner jobs.
func flatten(m *Model, inners map[string]*Model) {
	// expanded: what depending on a job means once flattened.
	expanded := map[string][]string{}
	for name, inner := range inners {
		for _, ij := range inner.Jobs() {
			expanded[name] = append(expanded[name], name+"."+ij.Name)
		}
	}
	deps := func(list []string) []string {
		var out []string
		for _, d := range list {
			if e, ok := expanded[d]; ok {
				out = append(out, e...)
			} else {
				out = append(out, d)
			}
		}
		return out
	}
	var jobs []*Job
	for p := range m.Phases {
		ph := &m.Phases[p]
		var out []*Job
		for _, j := range ph.Jobs {
			inner, ok := inners[j.Name]
			if !ok {
				j.DependsOn = deps(j.DependsOn)
				out = append(out, j)
				continue
			}
			out = append(out, innerJobs(j, inner, deps(j.DependsOn))...)
		}
		for _, j := range out {
			j.PhaseIndex, j.Index = p, len(jobs)
			jobs = append(jobs, j)
		}
		ph.Jobs = out
	}
	m.jobs = jobs
}

// innerJobs are the jobs of inner as jobs of outer's phase.
func innerJobs(outer *Job, inner *Model, outerDeps []string) []*Job {
	prefix := outer.Name + "."
	rename := renamer(prefix, inner.Jobs())
	var prev []string
	var jobs []*Job
	for _, ph := range inner.Phases {
		var names []string
		for _, ij := range ph.Jobs {
			j := *ij
			j.Name = prefix + ij.Name
			if ij.SubModel != "" { // nested: keep the innermost group
				j.SubModel, j.SubModelPath = prefix+ij.SubModel, ij.SubModelPath
			} else {
				j.SubModel, j.SubModelPath = outer.Name, outer.Path
			}
			j.Phase = outer.Phase
			j.DependsOn = nil
			for _, d := range ij.DependsOn {
				j.DependsOn = append(j.DependsOn, prefix+d)
			}
			if prev != nil {
				j.DependsOn = append(j.DependsOn, prev...)
			} else {
				j.DependsOn = append(j.DependsOn, outerDeps...)
			}
			j.Env = MergeEnv(outer.Env, inner.Options.Env, ij.Env)
			for k, v := range j.Env {
				j.Env[k] = rename(v)
			}
			if ij.When != nil {
				if w, msg := compileWhen(renameCEL(prefix, inner.Jobs(), ij.When.Expr)); msg == "" {
					j.When = w
				}
			}
			j.Matrix = append([]MatrixAxis(nil), ij.Matrix...)
			for a := range j.Matrix {
				if f := j.Matrix[a].From; f != nil {
					if slices.ContainsFunc(inner.Jobs(), func(x *Job) bool { return x.Name == f.Job }) {
						j.Matrix[a].From = &ResultRef{Job: prefix + f.Job, Key: f.Key}
					}
				}
			}
			jobs = append(jobs, &j)
			names = append(names, j.Name)
		}
		prev = names
	}
	return jobs
}

// renamer rewrites $(results.JOB.KEY) of inner jobs to their outer names.
func renamer(prefix string, jobs []*Job) func(string) string {
	names := map[string]bool{}
	for _, j := range jobs {
		names[j.Name] = true
	}
	return func(s string) string {
		return refRE.ReplaceAllStringFunc(s, func(m string) string {
			refs := findRefs(m)
			if len(refs) == 1 && refs[0].kind == "results" && names[refs[0].job] {
				return "$(results." + prefix + refs[0].job + "." + refs[0].key + ")"
			}
			return m
		})
	}
}

// renameCEL rewrites results.JOB of inner jobs in a when expression to
// results["OUTER.JOB"].
func renameCEL(prefix string, jobs []*Job, expr string) string {
	for _, j := range jobs {
		re := regexp.MustCompile(`\bresults\.` + regexp.QuoteMeta(j.Name) + `\b`)
		expr = re.ReplaceAllString(expr, `results["`+prefix+j.Name+`"]`)
	}
	return expr
}

func rawJobs(raw *rawModel) []*rawJob {
	var out []*rawJob
	for _, rp := range raw.phases {
		out = append(out, rp.jobs...)
	}
	return out
}

func rel(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil {
		return r
	}
	return path
}
