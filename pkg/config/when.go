package config

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// When is a job's `when`: a CEL expression over params (the run's
// parameters) and results (declared results of jobs that run before),
// checked when the model is loaded and evaluated once, when the job's
// dependencies are done.
type When struct {
	Expr string
	Refs []ResultRef // results.JOB.KEY it reads, in order
}

var (
	whenEnvOnce sync.Once
	whenEnv     *cel.Env
	whenEnvErr  error
)

// WhenEnv is the CEL environment of `when`, built once per process.
func WhenEnv() (*cel.Env, error) {
	whenEnvOnce.Do(func() {
		whenEnv, whenEnvErr = cel.NewEnv(
			cel.Variable("params", cel.MapType(cel.StringType, cel.StringType)),
			cel.Variable("results", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DynType))),
			cel.CrossTypeNumericComparisons(true),
		)
	})
	return whenEnv, whenEnvErr
}

// compileWhen parses and type-checks expr; the message says what is wrong.
// The common shapes take the fast path (when_fast.go), the rest CEL's.
func compileWhen(expr string) (*When, string) {
	w := &When{Expr: strings.Clone(expr)} // not a part of the whole model text
	if refs, ok := fastWhen(w.Expr); ok {
		w.Refs = refs // parts of w.Expr, like it
		return w, ""
	}
	return compileWhenCEL(expr)
}

// compileWhenCEL is compileWhen by cel-go's parser and checker.
func compileWhenCEL(expr string) (*When, string) {
	env, err := WhenEnv()
	if err != nil {
		return nil, "cannot build the CEL environment: " + err.Error()
	}
	if strings.TrimSpace(expr) == "" {
		return nil, "must not be empty: a CEL expression such as results.detect.changed == \"true\""
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, "invalid CEL expression: " + oneLine(iss.Err().Error())
	}
	if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, "must be a boolean CEL expression; " + expr + " is of type " + t.String()
	}
	// The AST is not kept: 10,000 of them would double a large model's
	// memory; Eval compiles the expression again, once per job per run.
	w := &When{Expr: strings.Clone(expr)} // not a part of the whole model text
	w.Refs, err = whenRefs(ast)
	if err != nil {
		return nil, err.Error()
	}
	return w, ""
}

// whenRefs finds results.JOB.KEY and results["JOB"]["KEY"] in an
// expression; results used any other way cannot be checked offline and is
// refused.
func whenRefs(ast *cel.Ast) ([]ResultRef, error) {
	var refs []ResultRef
	var bad error
	parent := map[int64]celast.Expr{}
	root := ast.NativeRep().Expr()
	celast.PostOrderVisit(root, celast.NewExprVisitor(func(e celast.Expr) {
		for _, ch := range children(e) {
			parent[ch.ID()] = e
		}
	}))
	celast.PostOrderVisit(root, celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.IdentKind || e.AsIdent() != "results" {
			return
		}
		job, p1, ok := member(e, parent)
		if !ok {
			bad = fmt.Errorf("results must be read as results.JOB.KEY (or results[\"JOB\"][\"KEY\"])")
			return
		}
		key, _, ok := member(p1, parent)
		if !ok {
			bad = fmt.Errorf("results.%s must be read as results.%s.KEY", job, job)
			return
		}
		r := ResultRef{Job: job, Key: key}
		for _, x := range refs {
			if x == r {
				return
			}
		}
		refs = append(refs, r)
	}))
	return refs, bad
}

// member is the name selected from e by its parent (e.NAME or e["NAME"]),
// and that parent.
func member(e celast.Expr, parent map[int64]celast.Expr) (string, celast.Expr, bool) {
	p, ok := parent[e.ID()]
	if !ok {
		return "", nil, false
	}
	switch p.Kind() {
	case celast.SelectKind:
		return p.AsSelect().FieldName(), p, true
	case celast.CallKind:
		call := p.AsCall()
		args := call.Args()
		if call.FunctionName() == "_[_]" && len(args) == 2 && args[0].ID() == e.ID() && args[1].Kind() == celast.LiteralKind {
			if s, ok := args[1].AsLiteral().Value().(string); ok {
				return s, p, true
			}
		}
	}
	return "", nil, false
}

func children(e celast.Expr) []celast.Expr {
	switch e.Kind() {
	case celast.SelectKind:
		return []celast.Expr{e.AsSelect().Operand()}
	case celast.CallKind:
		c := e.AsCall()
		out := append([]celast.Expr(nil), c.Args()...)
		if c.IsMemberFunction() {
			out = append(out, c.Target())
		}
		return out
	case celast.ListKind:
		return e.AsList().Elements()
	case celast.MapKind:
		var out []celast.Expr
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			out = append(out, me.Key(), me.Value())
		}
		return out
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		return []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()}
	}
	return nil
}

// Eval evaluates the expression. results holds, per job, its results
// decoded from JSON.
func (w *When) Eval(params map[string]string, results map[string]map[string]any) (bool, error) {
	env, err := WhenEnv()
	if err != nil {
		return false, err
	}
	ast, iss := env.Compile(w.Expr)
	if iss != nil && iss.Err() != nil {
		return false, iss.Err()
	}
	prg, err := env.Program(ast)
	if err != nil {
		return false, err
	}
	if params == nil {
		params = map[string]string{}
	}
	if results == nil {
		results = map[string]map[string]any{}
	}
	out, _, err := prg.Eval(map[string]any{"params": params, "results": results})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the expression gave %v, not a boolean", out.Value())
	}
	return b, nil
}

func oneLine(s string) string {
	s = strings.TrimPrefix(s, "ERROR: <input>:")
	return strings.Join(strings.Fields(s), " ")
}

// compileWhens compiles every job's when, each distinct expression once,
// on every core: CEL's parser and checker take ~100 µs an expression (the
// fast path under 1 µs), and a model may hold 10,000 of them (validate stays
// under a second).
func compileWhens(raw *rawModel, ps *problems) {
	type result struct {
		w   *When
		msg string
	}
	byExpr := map[string]*result{}
	var exprs []string
	for _, rp := range raw.phases {
		for _, rj := range rp.jobs {
			if rj.hasWhen {
				if _, ok := byExpr[rj.whenExpr]; !ok {
					byExpr[rj.whenExpr] = &result{}
					exprs = append(exprs, rj.whenExpr)
				}
			}
		}
	}
	if len(exprs) == 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), len(exprs))
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range next {
				r := byExpr[e] // written by this worker only
				r.w, r.msg = compileWhen(e)
			}
		}()
	}
	for _, e := range exprs {
		next <- e
	}
	close(next)
	wg.Wait()
	for _, rp := range raw.phases {
		for _, rj := range rp.jobs {
			if !rj.hasWhen {
				continue
			}
			if r := byExpr[rj.whenExpr]; r.msg != "" {
				ps.job(rj, "", rj.field.Child("when").String(), r.msg)
			} else {
				rj.when = r.w
			}
		}
	}
}
