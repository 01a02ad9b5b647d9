package config

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Data between jobs (docs/dataflow.md): a job declares the results its
// Jobs write to a container's termination message; later jobs use them in
// env values ($(results.JOB.KEY)), as a matrix's values, and in `when`.

// maxStatic bounds what a static matrix is expanded to when counting.
const maxStatic = 100000

// DefaultMaxMatrix bounds a matrix job's Jobs unless max_matrix says otherwise.
const DefaultMaxMatrix = 256

// ResultRef names one declared result of a job.
type ResultRef struct {
	Job, Key string
}

func (r ResultRef) String() string { return "results." + r.Job + "." + r.Key }

// MatrixAxis is one key of a job's matrix: a literal list of values, or a
// result decided at run time (From).
type MatrixAxis struct {
	Key    string
	Values []any      // literal: strings, json.Number, bool, lists, mappings
	From   *ResultRef // dynamic: the result must be a JSON list
}

// Combination is one Job of a matrix job: its index in matrix order and one
// value per key.
type Combination struct {
	Index  int
	Keys   []string // sorted
	Values []any    // Values[i] is the value of Keys[i]
}

// Value is the value of key in c, and whether c has it.
func (c *Combination) Value(key string) (any, bool) {
	if i := slices.Index(c.Keys, key); i >= 0 {
		return c.Values[i], true
	}
	return nil, false
}

// EnvValue renders a value for an environment variable: strings as they
// are, anything else as JSON.
func EnvValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

var (
	resultKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	matrixKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// refRE finds $(results.JOB.KEY) and $(matrix.KEY) in a value; JOB may
	// hold dots (sub-model jobs), KEY is the last part.
	refRE = regexp.MustCompile(`\$\((results|matrix)\.([^()\s]*)\)`)
)

// IsDynamic reports whether the job's matrix takes a list from a result,
// so that its Jobs are known only at run time.
func (j *Job) IsDynamic() bool {
	for _, a := range j.Matrix {
		if a.From != nil {
			return true
		}
	}
	return false
}

// DynamicFrom names the results a dynamic matrix is decided from.
func (j *Job) DynamicFrom() []string {
	var out []string
	for _, a := range j.Matrix {
		if a.From != nil {
			out = append(out, a.From.String())
		}
	}
	return out
}

// Combinations expands a matrix from the values of its axes: keys sorted,
// values in list order, the first key varying slowest.
func Combinations(axes []MatrixAxis, values [][]any) []Combination {
	keys := make([]string, len(axes))
	total := 1
	for i, a := range axes {
		keys[i] = a.Key
		total *= len(values[i])
	}
	out := make([]Combination, 0, total)
	for idx := 0; idx < total; idx++ {
		c := Combination{Index: idx, Keys: keys, Values: make([]any, len(axes))}
		rest := idx
		for i := len(axes) - 1; i >= 0; i-- {
			n := len(values[i])
			c.Values[i] = values[i][rest%n]
			rest /= n
		}
		out = append(out, c)
	}
	return out
}

// CombinationCount is the number of Jobs of lists of those lengths,
// saturated at limit+1 so that a huge product does not overflow.
func CombinationCount(lengths []int, limit int) int {
	total := 1
	for _, n := range lengths {
		if n == 0 {
			return 0
		}
		total *= n
		if total > limit {
			return limit + 1
		}
	}
	return total
}

// References lists the $(results.JOB.KEY) and $(matrix.KEY) of a value.
type reference struct {
	kind string // "results" or "matrix"
	job  string // results only
	key  string
	bad  string // why it cannot be read; "" when it can
}

func findRefs(s string) []reference {
	if !strings.Contains(s, "$(") {
		return nil
	}
	var out []reference
	for _, m := range refRE.FindAllStringSubmatch(s, -1) {
		r := reference{kind: m[1]}
		if m[1] == "matrix" {
			r.key = m[2]
			if !matrixKeyRE.MatchString(r.key) {
				r.bad = "$(matrix." + r.key + ") does not name a matrix key"
			}
		} else {
			i := strings.LastIndexByte(m[2], '.')
			if i <= 0 || i == len(m[2])-1 {
				r.bad = "$(results." + m[2] + ") must name a job and a key: $(results.JOB.KEY)"
			} else {
				r.job, r.key = m[2][:i], m[2][i+1:]
			}
		}
		out = append(out, r)
	}
	return out
}

// Substitute replaces the references of s: results through result (a
// non-string value inserted as JSON), matrix keys from c (nil: none).
// ok is false when a result is not known.
func Substitute(s string, result func(ResultRef) (any, bool), c *Combination) (string, bool) {
	if !strings.Contains(s, "$(") {
		return s, true
	}
	ok := true
	out := refRE.ReplaceAllStringFunc(s, func(m string) string {
		refs := findRefs(m)
		if len(refs) != 1 || refs[0].bad != "" {
			return m
		}
		r := refs[0]
		if r.kind == "matrix" {
			if c == nil {
				return m
			}
			v, found := c.Value(r.key)
			if !found {
				return m
			}
			return EnvValue(v)
		}
		v, found := result(ResultRef{Job: r.job, Key: r.key})
		if !found {
			ok = false
			return m
		}
		return EnvValue(v)
	})
	return out, ok
}

// ResultRefs are every result a job reads: in env values, its matrix and
// its when expression, in that order, without repeats.
func (j *Job) ResultRefs() []ResultRef {
	var out []ResultRef
	add := func(r ResultRef) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(j.Env)) {
		for _, r := range findRefs(j.Env[k]) {
			if r.kind == "results" && r.bad == "" {
				add(ResultRef{Job: r.job, Key: r.key})
			}
		}
	}
	for _, a := range j.Matrix {
		if a.From != nil {
			add(*a.From)
		}
	}
	if j.When != nil {
		for _, r := range j.When.Refs {
			add(r)
		}
	}
	return out
}

// decodeResults reads `results: [KEY...]`.
func decodeResults(v any, fp *field.Path, report func(field, msg string)) []string {
	list, ok := v.([]any)
	if !ok {
		report(fp.String(), "must be a list of result keys, not "+describe(v))
		return nil
	}
	var out []string
	for i, item := range list {
		f := fp.Index(i)
		s, ok := stringValue(item, f, report)
		switch {
		case !ok:
		case !resultKeyRE.MatchString(s):
			report(f.String(), "invalid result key "+strconv.Quote(s)+": must match [A-Za-z_][A-Za-z0-9_]* (it is read as results.JOB.KEY)")
		case slices.Contains(out, s):
			report(f.String(), strconv.Quote(s)+" is listed more than once")
		default:
			out = append(out, s)
		}
	}
	return out
}

// decodeMatrix reads `matrix:`: each key a literal list, or the whole value
// $(results.JOB.KEY).
func decodeMatrix(v any, fp *field.Path, report func(field, msg string)) []MatrixAxis {
	m, ok := v.(map[string]any)
	if !ok {
		report(fp.String(), "must be a mapping of matrix keys to lists of values, not "+describe(v))
		return nil
	}
	if len(m) == 0 {
		report(fp.String(), "must name at least one key")
		return nil
	}
	var out []MatrixAxis
	for _, k := range sortedKeys(m) {
		kf := fp.Key(k)
		if k == "true" || k == "false" {
			report(kf.String(), "matrix key "+k+": YAML reads unquoted y, n, yes, no, on, off, true and false as booleans; put the key in quotes if you mean it")
			continue
		}
		if !matrixKeyRE.MatchString(k) {
			report(kf.String(), "invalid matrix key "+strconv.Quote(k)+": must match [a-z][a-z0-9_]*")
			continue
		}
		switch val := m[k].(type) {
		case []any:
			out = append(out, MatrixAxis{Key: k, Values: val})
		case string:
			refs := findRefs(val)
			if len(refs) != 1 || refs[0].kind != "results" || "$(results."+refs[0].job+"."+refs[0].key+")" != val {
				report(kf.String(), "must be a list of values, or a whole $(results.JOB.KEY) whose value is a JSON list, not "+describe(val))
				continue
			}
			if refs[0].bad != "" {
				report(kf.String(), refs[0].bad)
				continue
			}
			out = append(out, MatrixAxis{Key: k, From: &ResultRef{Job: refs[0].job, Key: refs[0].key}})
		default:
			report(kf.String(), "must be a list of values, or a whole $(results.JOB.KEY) whose value is a JSON list, not "+describe(val))
		}
	}
	return out
}

// expandStatic gives a static matrix job one manifest per combination.
func expandStatic(j *Job, limit int) {
	if len(j.Matrix) == 0 || len(j.Manifests) != 1 {
		return
	}
	if j.IsDynamic() {
		j.Template, j.Manifests = j.Manifests[0], nil
		return
	}
	base := j.Manifests[0]
	lists := make([][]any, len(j.Matrix))
	lengths := make([]int, len(j.Matrix))
	for i, a := range j.Matrix {
		lists[i], lengths[i] = a.Values, len(a.Values)
	}
	j.Template = base
	if n := CombinationCount(lengths, maxStatic); n > limit {
		j.Manifests = nil
		j.tooLarge = n
		return
	}
	j.Manifests = MatrixManifests(base, Combinations(j.Matrix, lists))
}

// MatrixManifests are one manifest per combination, sharing base's Job.
func MatrixManifests(base *Manifest, combos []Combination) []*Manifest {
	out := make([]*Manifest, len(combos))
	for i := range combos {
		mf := *base
		mf.Matrix = &combos[i]
		out[i] = &mf
	}
	return out
}

// checkDataflow checks every reference of the model offline: the job
// named exists, declares the key and runs before; $(matrix.KEY) names a
// key of the job's own matrix; `results` and `matrix` are not on a
// directory job.
func checkDataflow(raw *rawModel, m *Model, ps *problems) {
	byName := map[string]*Job{}
	for _, j := range m.Jobs() {
		if _, dup := byName[j.Name]; !dup {
			byName[j.Name] = j
		}
	}
	rjs := rawJobs(raw) // in model order, as m.Jobs() before sub-models are inlined
	for i, j := range m.Jobs() {
		rj := rjs[i]
		report := func(f, msg string) { ps.job(rj, "", f, msg) }
		if j.Type == TypeDirectory {
			if len(j.Results) > 0 {
				report(rj.field.Child("results").String(), "a directory job cannot declare results: give each result-writing Job a job of its own")
			}
			if len(j.Matrix) > 0 {
				report(rj.field.Child("matrix").String(), "a directory job cannot have a matrix")
			}
		}
		if j.tooLarge > 0 {
			n := strconv.Itoa(j.tooLarge)
			if j.tooLarge > maxStatic {
				n = "more than " + strconv.Itoa(maxStatic)
			}
			report(rj.field.Child("matrix").String(), "the matrix has "+n+" combinations, more than max_matrix ("+
				strconv.Itoa(m.Options.MaxMatrix)+"): set jobernetes_config.max_matrix, or split the job")
		}
		check := func(r ResultRef, f string) {
			if msg := refProblem(m, byName, j, r); msg != "" {
				report(f, msg)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(j.Env)) {
			f := rj.field.Child("env").Key(name).String()
			for _, r := range findRefs(j.Env[name]) {
				switch {
				case r.bad != "":
					report(f, r.bad)
				case r.kind == "matrix":
					if !slices.ContainsFunc(j.Matrix, func(a MatrixAxis) bool { return a.Key == r.key }) {
						report(f, "$(matrix."+r.key+"): the job has no matrix key "+strconv.Quote(r.key))
					}
				default:
					check(ResultRef{Job: r.job, Key: r.key}, f)
				}
			}
		}
		for _, a := range j.Matrix {
			if a.From != nil {
				check(*a.From, rj.field.Child("matrix").Key(a.Key).String())
			}
		}
		if j.When != nil {
			for _, r := range j.When.Refs {
				check(r, rj.field.Child("when").String())
			}
		}
	}
}

// refProblem says why job j cannot read r, or "".
func refProblem(m *Model, byName map[string]*Job, j *Job, r ResultRef) string {
	p, ok := byName[r.Job]
	if !ok {
		msg := "results." + r.Job + "." + r.Key + ": unknown job " + strconv.Quote(r.Job)
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		if s := closest(r.Job, names); s != "" {
			msg += " (did you mean " + strconv.Quote(s) + "?)"
		}
		return msg
	}
	if !slices.Contains(p.Results, r.Key) {
		declared := "it declares no results"
		if len(p.Results) > 0 {
			declared = "it declares " + strings.Join(p.Results, ", ")
		}
		return "results." + r.Job + "." + r.Key + ": job " + strconv.Quote(r.Job) + " does not declare the result " + strconv.Quote(r.Key) + " (" + declared + ")"
	}
	if !runsBefore(m, p, j) {
		return "results." + r.Job + "." + r.Key + ": job " + strconv.Quote(r.Job) + " does not run before " + strconv.Quote(j.Name) +
			" (it must be in an earlier phase, or reached through depends_on)"
	}
	return ""
}

// runsBefore: p is in an earlier phase than j, or one of j's depends_on
// ancestors.
func runsBefore(m *Model, p, j *Job) bool {
	if p.PhaseIndex != j.PhaseIndex {
		return p.PhaseIndex < j.PhaseIndex
	}
	if m.Graph == nil {
		return false
	}
	seen := map[int]bool{}
	stack := []int{j.Index}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range m.Graph.Node(n).Deps {
			if d == p.Index {
				return true
			}
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return false
}

func decodeJobResults(job *rawJob, v any, fp *field.Path, report jobReport) {
	job.results = decodeResults(v, fp.Child("results"), report.at)
}

func decodeJobMatrix(job *rawJob, v any, fp *field.Path, report jobReport) {
	job.matrix = decodeMatrix(v, fp.Child("matrix"), report.at)
}

// decodeJobWhen keeps the expression as written: compileWhens compiles it.
func decodeJobWhen(job *rawJob, v any, fp *field.Path, report jobReport) {
	if s, ok := stringValue(v, fp.Child("when"), report.at); ok {
		job.whenExpr, job.hasWhen = s, true
	}
}
