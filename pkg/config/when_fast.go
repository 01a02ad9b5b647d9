package config

import "unicode/utf8"

// The fast path of `when`: CEL's parser and checker take ~100 µs an
// expression, which is most of validate for a model of 10,000 of them.
// fastWhen reads the common shape of `when` by hand: comparisons
// (== != < <= > >=) of results.JOB.KEY, params.NAME, "plain strings",
// decimal ints, true and false, joined by &&, || and !, with parentheses,
// typed as CEL types them in WhenEnv. It either says "CEL accepts this and
// these are its Refs" or "ask CEL": anything else, any doubt (a type CEL
// might refuse, a token outside the subset, a long or deep expression), and
// every error goes to CEL, which gives the message. FuzzWhenFastPath holds
// it to that.

const (
	whenMaxLen   = 4096 // CEL refuses 100,000 code points; long ones are rare
	whenMaxDepth = 32   // parentheses; CEL refuses 250 levels of its rules
)

// whenType is an operand's CEL type; typeBad ends the fast path.
type whenType uint8

const (
	typeBad whenType = iota
	typeBool
	typeInt
	typeString
	typeDyn // results.JOB.KEY
)

type whenToken uint8

const (
	tkBad whenToken = iota // a token outside the subset
	tkEOF
	tkIdent
	tkInt
	tkString
	tkBool // true, false
	tkDot
	tkLParen
	tkRParen
	tkNot
	tkAnd
	tkOr
	tkEq  // == !=
	tkOrd // < <= > >=
)

// celReserved are the words CEL's parser refuses as identifiers (true and
// false are literals, read apart). CEL takes most of them as field names
// (results.a.for); the fast path leaves those to it.
var celReserved = map[string]bool{
	"as": true, "break": true, "const": true, "continue": true, "else": true,
	"for": true, "function": true, "if": true, "import": true, "in": true,
	"let": true, "loop": true, "package": true, "namespace": true, "null": true,
	"return": true, "var": true, "void": true, "while": true,
}

type whenParser struct {
	src   string
	pos   int // after the current token
	kind  whenToken
	text  string // the current identifier
	depth int
	refs  []ResultRef
}

// fastWhen is the fast path: ok when CEL, with WhenEnv, compiles expr to
// a bool or dyn expression whose Refs (as whenRefs finds them) are refs.
func fastWhen(expr string) (refs []ResultRef, ok bool) {
	if len(expr) > whenMaxLen || !utf8.ValidString(expr) {
		return nil, false
	}
	p := &whenParser{src: expr}
	p.next()
	t := p.or()
	if p.kind != tkEOF || (t != typeBool && t != typeDyn) {
		return nil, false
	}
	return p.refs, true
}

func boolish(t whenType) bool { return t == typeBool || t == typeDyn }

// or and and: CEL's && and || take bool or dyn operands.
func (p *whenParser) or() whenType {
	t := p.and()
	for p.kind == tkOr && t != typeBad {
		p.next()
		if r := p.and(); !boolish(t) || !boolish(r) {
			return typeBad
		}
		t = typeBool
	}
	return t
}

func (p *whenParser) and() whenType {
	t := p.relation()
	for p.kind == tkAnd && t != typeBad {
		p.next()
		if r := p.relation(); !boolish(t) || !boolish(r) {
			return typeBad
		}
		t = typeBool
	}
	return t
}

// relation is one comparison at most: CEL reads a == b == c as
// (a == b) == c, which the subset leaves to CEL.
func (p *whenParser) relation() whenType {
	l := p.unary()
	if l == typeBad || (p.kind != tkEq && p.kind != tkOrd) {
		return l
	}
	ordered := p.kind == tkOrd
	p.next()
	r := p.unary()
	switch {
	case r == typeBad:
		return typeBad
	case ordered && (l == typeBool || r == typeBool):
		return typeBad // CEL orders bools too, but nobody writes it
	case l == r || l == typeDyn || r == typeDyn:
		return typeBool // int == string is a CEL type error
	}
	return typeBad
}

// unary: CEL's parser drops an even number of ! (!!x is x) and its
// checker wants a bool or dyn under an odd one.
func (p *whenParser) unary() whenType {
	n := 0
	for ; p.kind == tkNot; n++ {
		p.next()
	}
	t := p.primary()
	switch {
	case n%2 == 0:
		return t
	case boolish(t):
		return typeBool
	}
	return typeBad
}

func (p *whenParser) primary() whenType {
	switch p.kind {
	case tkLParen:
		if p.depth++; p.depth > whenMaxDepth {
			return typeBad
		}
		p.next()
		t := p.or()
		if p.kind != tkRParen {
			return typeBad
		}
		p.depth--
		p.next()
		return t
	case tkIdent:
		return p.variable()
	case tkInt:
		p.next()
		return typeInt
	case tkString:
		p.next()
		return typeString
	case tkBool:
		p.next()
		return typeBool
	}
	return typeBad
}

// variable is params.NAME (a string) or results.JOB.KEY (dyn), whose
// reference is kept in source order, once, as whenRefs does.
func (p *whenParser) variable() whenType {
	root := p.text
	p.next()
	name, ok := p.field()
	switch {
	case !ok:
		return typeBad
	case root == "params":
		return typeString
	case root != "results":
		return typeBad
	}
	key, ok := p.field()
	if !ok {
		return typeBad
	}
	r := ResultRef{Job: name, Key: key}
	for _, x := range p.refs {
		if x == r {
			return typeDyn
		}
	}
	p.refs = append(p.refs, r)
	return typeDyn
}

// field reads .NAME.
func (p *whenParser) field() (string, bool) {
	if p.kind != tkDot {
		return "", false
	}
	p.next()
	if p.kind != tkIdent {
		return "", false
	}
	name := p.text
	p.next()
	return name, true
}

// next reads the next token as CEL's lexer would, or tkBad where the
// subset has no such token or the lexer might read it otherwise (r"x",
// """x""", 1.5, 0x1, 1u, // comments, `escaped`).
func (p *whenParser) next() {
	s, i := p.src, p.pos
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == '\f') {
		i++
	}
	p.text = ""
	if i == len(s) {
		p.kind, p.pos = tkEOF, i
		return
	}
	var end int
	switch c := s[i]; {
	case c == '_' || isASCIILetter(c):
		end = p.ident(i)
	case c >= '0' && c <= '9':
		end = p.number(i)
	case c == '"':
		end = p.str(i)
	default:
		end = p.operator(i)
	}
	p.pos = end
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool   { return c == '_' || isASCIILetter(c) || c >= '0' && c <= '9' }

// at is the byte at i, or 0 past the end.
func (p *whenParser) at(i int) byte {
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

func (p *whenParser) ident(i int) int {
	j := i + 1
	for j < len(p.src) && isIdentChar(p.src[j]) {
		j++
	}
	p.kind, p.text = tkIdent, p.src[i:j]
	switch {
	case p.text == "true" || p.text == "false":
		p.kind = tkBool
	case celReserved[p.text], p.at(j) == '"', p.at(j) == '\'': // b"x", r'x'
		p.kind = tkBad
	}
	return j
}

// number is a decimal int that fits int64, without a leading zero.
func (p *whenParser) number(i int) int {
	j := i + 1
	for j < len(p.src) && p.src[j] >= '0' && p.src[j] <= '9' {
		j++
	}
	p.kind = tkInt
	if j-i > 18 || (p.src[i] == '0' && j-i > 1) || isIdentChar(p.at(j)) || p.at(j) == '.' {
		p.kind = tkBad
	}
	return j
}

// str is a double-quoted string without escapes or control characters.
func (p *whenParser) str(i int) int {
	p.kind = tkBad
	for j := i + 1; j < len(p.src); j++ {
		switch c := p.src[j]; {
		case c == '"':
			if c := p.at(j + 1); c != '"' && c != '\'' { // """x""" is one string
				p.kind = tkString
			}
			return j + 1
		case c == '\\' || c < 0x20 || c == 0x7f:
			return j
		}
	}
	return len(p.src)
}

func (p *whenParser) operator(i int) int {
	c, d := p.src[i], p.at(i+1)
	switch {
	case c == '(':
		p.kind = tkLParen
	case c == ')':
		p.kind = tkRParen
	case c == '.':
		p.kind = tkDot
	case c == '!' && d != '=':
		p.kind = tkNot
	case (c == '=' || c == '!') && d == '=':
		p.kind, i = tkEq, i+1
	case (c == '<' || c == '>') && d == '=':
		p.kind, i = tkOrd, i+1
	case c == '<' || c == '>':
		p.kind = tkOrd
	case c == '&' && d == '&':
		p.kind, i = tkAnd, i+1
	case c == '|' && d == '|':
		p.kind, i = tkOr, i+1
	default:
		p.kind = tkBad
	}
	return i + 1
}
