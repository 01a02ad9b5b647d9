package graph

import "strings"

// ProblemKind classifies a Build problem so callers can phrase it.
type ProblemKind string

// The kinds of problem Build reports.
const (
	DuplicatePhase    ProblemKind = "DuplicatePhase"
	DuplicateNode     ProblemKind = "DuplicateNode"
	EmptyName         ProblemKind = "EmptyName"
	UnknownDependency ProblemKind = "UnknownDependency"
	CrossPhase        ProblemKind = "CrossPhaseDependency"
	SelfDependency    ProblemKind = "SelfDependency"
	DuplicateDep      ProblemKind = "DuplicateDependency"
	Cycle             ProblemKind = "Cycle"
)

// Problem is one thing wrong with the input. Phase and Node name where it
// is; Cycle holds the path for a cycle, first node repeated at the end.
//
// PhaseIndex and NodeIndex locate the problem in the input even when the
// names are empty or duplicated: PhaseIndex indexes the []PhaseSpec given to
// Build, NodeIndex counts nodes in model order across phases (the index the
// node would have in the Graph). Either is -1 when the problem is not about
// a phase or a node. DepIndex is the position in the node's DependsOn of the
// offending entry, or -1.
type Problem struct {
	Kind     ProblemKind
	Phase    string
	Node     string
	Dep      string   // the offending dependency name, if any
	DepPhase string   // CrossPhase: the phase Dep belongs to
	Cycle    []string // a -> b -> c -> a
	Message  string   // human readable, without the phase/node prefix

	PhaseIndex int
	NodeIndex  int
	DepIndex   int
}

// String is the problem with its location, e.g.
// `phase "mid": node "b": depends on "zz", which does not exist`.
func (p Problem) String() string {
	var b strings.Builder
	if p.PhaseIndex >= 0 {
		b.WriteString("phase ")
		b.WriteString(nameOrIndex(p.Phase, p.PhaseIndex))
		b.WriteString(": ")
	}
	if p.NodeIndex >= 0 {
		b.WriteString("node ")
		b.WriteString(nameOrIndex(p.Node, p.NodeIndex))
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

func nameOrIndex(name string, index int) string {
	if name == "" {
		return "#" + itoa(index)
	}
	return quote(name)
}

// BuildError lists every problem found; Build never stops at the first.
type BuildError struct{ Problems []Problem }

// Error is every problem, one per line.
func (e *BuildError) Error() string {
	if e == nil || len(e.Problems) == 0 {
		return "invalid graph"
	}
	return Lines(e.Problems)
}
