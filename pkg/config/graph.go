package config

import (
	"errors"
	"strconv"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// buildGraph builds the DAG of the model from specs (GraphSpecs of its
// phases) and turns graph problems into Problems that name the phase, the
// job and the field. Empty names are reported by the decoder already; the
// graph's EmptyName problems are dropped so that nothing is said twice.
func buildGraph(raw *rawModel, specs []graph.PhaseSpec, ps *problems) *graph.Graph {
	jobs := rawJobs(raw)
	g, err := graph.Build(specs)
	var be *graph.BuildError
	if errors.As(err, &be) {
		for _, gp := range be.Problems {
			reportGraphProblem(gp, raw, jobs, ps)
		}
		return nil
	}
	if err != nil {
		// Build only returns *BuildError; keep any other error visible.
		ps.at("", err.Error())
		return nil
	}
	return g
}

// GraphSpecs are graph.Build's input for phases: names and edges, and what
// graph.Decide reads of each job (trigger rule, revert) and phase (finally).
func GraphSpecs(phases []Phase, finallyPhase string) []graph.PhaseSpec {
	specs := make([]graph.PhaseSpec, len(phases))
	for p, ph := range phases {
		specs[p] = graph.PhaseSpec{Name: ph.Name, Finally: finallyPhase != "" && ph.Name == finallyPhase,
			Nodes: make([]graph.NodeSpec, len(ph.Jobs))}
		for k, j := range ph.Jobs {
			specs[p].Nodes[k] = graph.NodeSpec{Name: j.Name, DependsOn: j.DependsOn,
				Rule: graphRule(j.TriggerRule), HasRevert: j.Revert != nil}
		}
	}
	return specs
}

func graphRule(rule string) graph.TriggerRule {
	switch rule {
	case RuleAllDone:
		return graph.RuleAllDone
	case RuleOneFailed:
		return graph.RuleOneFailed
	}
	return graph.RuleAllSucceeded
}

// GraphPolicy is the failure_policy in the terms of graph.Decide.
func (o Options) GraphPolicy() graph.FailurePolicy {
	switch o.FailurePolicy {
	case PolicyAbort:
		return graph.PolicyAbort
	case PolicyContinue:
		return graph.PolicyContinue
	}
	return graph.PolicyStop
}

func reportGraphProblem(gp graph.Problem, raw *rawModel, jobs []*rawJob, ps *problems) {
	if gp.Kind == graph.EmptyName {
		return
	}
	if gp.NodeIndex < 0 {
		rp := raw.phases[gp.PhaseIndex]
		if gp.Kind == graph.DuplicatePhase {
			ps.phase(rp.index, rp.name, rp.field.Child("phase_name").String(),
				"duplicate phase name "+strconv.Quote(rp.name)+": phase names must be unique")
			return
		}
		ps.phase(rp.index, rp.name, rp.field.String(), gp.Message)
		return
	}
	rj := jobs[gp.NodeIndex]
	depField := rj.field.Child("depends_on")
	if gp.DepIndex >= 0 && gp.DepIndex < len(rj.depIndex) {
		depField = depField.Index(rj.depIndex[gp.DepIndex])
	}
	switch gp.Kind {
	case graph.DuplicateNode:
		ps.job(rj, "", rj.field.Child("name").String(),
			"duplicate job name "+strconv.Quote(rj.name)+": job names must be unique in the whole model (also used in phase "+
				strconv.Quote(firstPhaseOf(rj.name, jobs))+")")
	case graph.UnknownDependency:
		msg := "unknown job " + strconv.Quote(gp.Dep)
		if s := closest(gp.Dep, samePhaseNames(rj)); s != "" {
			msg += " (did you mean " + strconv.Quote(s) + "?)"
		}
		ps.job(rj, "", depField.String(), msg+"; depends_on names jobs of the same phase")
	case graph.CrossPhase:
		when := "an earlier phase, which always finishes before this one starts: remove the dependency"
		if phaseIndexOf(gp.DepPhase, raw) > rj.phase.index {
			when = "a later phase, which only starts after this one has finished"
		}
		ps.job(rj, "", depField.String(), "job "+strconv.Quote(gp.Dep)+" is in phase "+strconv.Quote(gp.DepPhase)+
			"; depends_on may only name jobs of the same phase ("+strconv.Quote(gp.DepPhase)+" is "+when+")")
	case graph.SelfDependency:
		ps.job(rj, "", depField.String(), "a job cannot depend on itself")
	case graph.DuplicateDep:
		ps.job(rj, "", depField.String(), strconv.Quote(gp.Dep)+" is listed more than once")
	case graph.Cycle:
		ps.job(rj, "", rj.field.Child("depends_on").String(), "dependency cycle: "+graph.CyclePath(gp.Cycle)+
			" (each job depends on the next); remove one of these dependencies")
	default:
		ps.job(rj, "", rj.field.String(), gp.Message)
	}
}

func firstPhaseOf(name string, jobs []*rawJob) string {
	for _, j := range jobs {
		if j.name == name {
			return j.phase.name
		}
	}
	return ""
}

func phaseIndexOf(name string, raw *rawModel) int {
	for _, p := range raw.phases {
		if p.name == name {
			return p.index
		}
	}
	return -1
}

func samePhaseNames(rj *rawJob) []string {
	var out []string
	for _, j := range rj.phase.jobs {
		if j != rj {
			out = append(out, j.name)
		}
	}
	return out
}
