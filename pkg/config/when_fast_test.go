package config

import (
	"slices"
	"strings"
	"testing"
)

// whenFastCases: each expression, whether the fast path decides it, and
// what CEL says of it (accepted, with these Refs, or refused).
var whenFastCases = []struct {
	expr   string
	fast   bool
	accept bool
	refs   []ResultRef
}{
	// The benchmark's shape and the docs' examples: the fast path.
	{`results.detect.changed == "true" && results.detect.count > 3`, true, true, refs("detect.changed", "detect.count")},
	{`results.detect.changed == "true"`, true, true, refs("detect.changed")},
	{`results.detect.changed == "true" && params.ENV == "prod"`, true, true, refs("detect.changed")},
	{`results.a.b`, true, true, refs("a.b")},
	{`true`, true, true, nil},
	{`!false`, true, true, nil},
	{`!!results.a.b`, true, true, refs("a.b")},
	{`!!params.X == "a"`, true, true, nil}, // CEL drops !!
	{`!results.a.b == true`, true, true, refs("a.b")},
	{`results.b.x > 1 || results.a.y <= 2 && results.b.x != "z"`, true, true, refs("b.x", "a.y")},
	{`(results.a.b == 1 || (params.p < "x")) && !(results.c.d >= results.a.b)`, true, true, refs("a.b", "c.d")},
	{" results . a . b\t==\n\"x\"\r\f", true, true, refs("a.b")},
	{`params.X == results.a.b && params.X != params.Y`, true, true, refs("a.b")},
	{`"a" < "b" && 1 == 1 && true != false`, true, true, nil},
	{`results.a.b == "héllo ✓"`, true, true, refs("a.b")},
	{`results.params.results == params.results`, true, true, refs("params.results")},
	{`results._1.k_2 == 999999999999999999`, true, true, refs("_1.k_2")},
	{`(results.a.b) == "x"`, true, true, refs("a.b")},
	{`results.a.b == 0`, true, true, refs("a.b")},
	{`results.a.b == (1 == 1)`, true, true, refs("a.b")},
	{`results.a.b == ""`, true, true, refs("a.b")},
	{strings.Repeat("!(", whenMaxDepth) + "results.a.b == 1" + strings.Repeat(")", whenMaxDepth), true, true, refs("a.b")},
	{strings.Repeat("results.a.b == 1 || ", 200) + "results.c.d", true, true, refs("a.b", "c.d")},
	{strings.Repeat("true && ", (whenMaxLen-11)/8) + "results.a.b", true, true, refs("a.b")},

	// Outside the subset, CEL accepts: the fast path leaves it to CEL.
	{`results["a"]["b"] == "x"`, false, true, refs("a.b")},
	{`results.a.b.c == "x"`, false, true, refs("a.b")},
	{`.results.a.b`, false, true, refs("a.b")},
	{`results.a.b in ["x", "y"]`, false, true, refs("a.b")},
	{`results.a.b == "x" // a comment`, false, true, refs("a.b")},
	{`results.a.b == 'x'`, false, true, refs("a.b")},
	{`results.a.b == "a\"b"`, false, true, refs("a.b")},
	{`results.a.b == r"x"`, false, true, refs("a.b")},
	{`results.a.b == """x"""`, false, true, refs("a.b")},
	{`results.a.b > -1`, false, true, refs("a.b")},
	{`results.a.b > 1u`, false, true, refs("a.b")},
	{`results.a.b > 0x10`, false, true, refs("a.b")},
	{`results.a.b == 01`, false, true, refs("a.b")},
	{`results.a.b == 1234567890123456789`, false, true, refs("a.b")},
	{`results.a.b == null`, false, true, refs("a.b")},
	{`true < false`, false, true, nil},
	{`results.a.b == true == true`, false, true, refs("a.b")},
	{`results.a.b ? true : false`, false, true, refs("a.b")},
	{`params.X.startsWith("a")`, false, true, nil},
	{`size(params.X) > 1`, false, true, nil},
	{"results.a.`b` == 1", false, true, refs("a.b")},
	{`results.a.for == 1`, false, true, refs("a.for")},
	{strings.Repeat("(", 40) + "true" + strings.Repeat(")", 40), false, true, nil},
	{strings.Repeat("true && ", whenMaxLen/8) + "results.a.b", false, true, refs("a.b")},

	// CEL refuses: the fast path leaves the message to CEL.
	{``, false, false, nil},
	{`params.X == 1`, false, false, nil},
	{`params.X`, false, false, nil},
	{`"a" == 1`, false, false, nil},
	{`1 == 1.0`, false, false, nil}, // equality does not cross types
	{`1`, false, false, nil},
	{`!params.X`, false, false, nil},
	{`params.X && true`, false, false, nil},
	{`!results.a.b == "x"`, false, false, nil},
	{`results.a`, false, false, nil},
	{`results == 1`, false, false, nil},
	{`other.a.b == 1`, false, false, nil},
	{`in.a.b == 1`, false, false, nil},
	{`results.in.b == 1`, false, false, nil},
	{`results.a.true == 1`, false, false, nil},
	{`(results.a.b == "x"`, false, false, nil},
	{`results.a.b = "x"`, false, false, nil},
	{`results.a.b == "x" &`, false, false, nil},
	{`results.a.b == "x" ||`, false, false, nil},
	{`results.a.b ==`, false, false, nil},
	{`results.a.b == 12345678901234567890`, false, false, nil},
	{`results.a.b == "x`, false, false, nil},
	{`results.a.b == "x` + "\n" + `"`, false, false, nil},
	{`results.a.b == "x" "y"`, false, false, nil},
	{`results.a.b == 1x`, false, false, nil},
	{`results.a.b == 1.`, false, false, nil},
	{strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300), false, false, nil},
}

func refs(list ...string) []ResultRef {
	var out []ResultRef
	for _, s := range list {
		job, key, _ := strings.Cut(s, ".")
		out = append(out, ResultRef{Job: job, Key: key})
	}
	return out
}

// The fast path decides the cases it should, CEL agrees with it on every
// one of them, and compileWhen gives CEL's answer for the others.
func TestWhenFastPath(t *testing.T) {
	for _, c := range whenFastCases {
		got, fast := fastWhen(c.expr)
		if fast != c.fast {
			t.Errorf("%q: fast path %v, want %v", c.expr, fast, c.fast)
		}
		celW, msg := compileWhenCEL(c.expr)
		if (celW != nil) != c.accept {
			t.Errorf("%q: CEL accepts %v (%s), want %v", c.expr, celW != nil, msg, c.accept)
			continue
		}
		if celW != nil && !slices.Equal(celW.Refs, c.refs) {
			t.Errorf("%q: CEL refs %v, want %v", c.expr, celW.Refs, c.refs)
		}
		if fast && !slices.Equal(got, c.refs) {
			t.Errorf("%q: fast refs %v, want %v", c.expr, got, c.refs)
		}
		w, msg2 := compileWhen(c.expr)
		if (w != nil) != c.accept || msg2 != msg {
			t.Errorf("%q: compileWhen %v %q, want CEL's %q", c.expr, w != nil, msg2, msg)
		} else if w != nil && (!slices.Equal(w.Refs, c.refs) || w.Expr != c.expr) {
			t.Errorf("%q: compileWhen %+v", c.expr, w)
		}
	}
}

// FuzzWhenFastPath: whenever the fast path accepts an expression, CEL
// compiles it to a bool or dyn expression with the same Refs.
func FuzzWhenFastPath(f *testing.F) {
	for _, c := range whenFastCases {
		f.Add(c.expr)
	}
	for _, s := range []string{
		`results.a.b == "x" && results.a.b == "y" || results.c.d`, `results.while.x == 1`,
		`results.a.b == "\u00e9"`, "results.a.b == \"\x00\"", "results.a.b == \"\xff\"", `results.a.b==br"x"`,
		`results.a.b!=!true`, `!!!!results.a.b`, `results.a.b < params.X`, `params.X >= params.Y`,
		`results.a.b==.5`, `results.a.b==1e3`, `results.a.b ==1 && (params.P == "")`, `results.a.b<=-0`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		// The input as it is, and read as tokens, which reaches the
		// expressions the fast path accepts far more often.
		for _, expr := range []string{data, whenFromTokens(data)} {
			got, ok := fastWhen(expr)
			if !ok {
				continue
			}
			w, msg := compileWhenCEL(expr)
			if w == nil {
				t.Fatalf("%q: the fast path accepts it, CEL says %s", expr, msg)
			}
			if !slices.Equal(got, w.Refs) {
				t.Fatalf("%q: fast path refs %v, CEL's %v", expr, got, w.Refs)
			}
		}
	})
}

// whenTokens are the subset's tokens and a few of CEL's others, which
// joined without spaces also make the lexer's hard cases (1.a, """, r"x").
var whenTokens = []string{
	"results.a.b", "results.c.d", "params.X", `"x"`, `""`, "1", "0", "true", "false",
	"&&", "||", "!", "(", ")", "==", "!=", "<", "<=", ">", ">=", " ", ".", "results",
	"params", "a", "r", "in", "null", "-", "1.0", "'x'", "//", "\n", "[", "]", `"`, "?", ":",
	`results["a"]["b"]`, "é", "\t", "u",
}

// whenFromTokens reads each byte of data as one of whenTokens.
func whenFromTokens(data string) string {
	var sb strings.Builder
	for i := range len(data) {
		sb.WriteString(whenTokens[int(data[i])%len(whenTokens)])
	}
	return sb.String()
}
