package config

import (
	"encoding/json"
	"strings"
)

// fastTree reads the plain block YAML that models are written in (block
// mappings and sequences, one-line flow lists and mappings, plain and
// simple quoted scalars) straight into the tree that yamlTree returns:
// map[string]any, []any, string, bool, json.Number and nil. It does not
// build go-yaml's node tree, convert it to JSON and decode that again,
// which is most of the time and memory of loading a model of 100,000 jobs.
//
// It declines (ok false) anything outside that subset, and anything it is
// not sure go-yaml reads the same way or without an error: tabs, non-ASCII
// bytes, anchors, aliases, tags, block scalars, multi-line scalars, escapes,
// duplicate keys, numbers other than plain decimal integers, keys that YAML
// 1.1 reads as booleans or null, ... yamlTree then decodes the document
// with sigs.k8s.io/yaml as before, which also reports every problem. For
// the documents it accepts, the tree is the same as sigs.k8s.io/yaml's
// (FuzzFastTree compares them).
func fastTree(doc []byte) (any, bool) {
	p := fastParser{}
	if !p.split(doc) {
		return nil, false
	}
	if len(p.lines) == 0 {
		return nil, false // empty or only comments: yamlTree's path says so
	}
	v, ok := p.node(p.lines[0].indent)
	if !ok || p.pos != len(p.lines) {
		return nil, false
	}
	return v, true
}

// fastMaxDepth bounds the nesting fastTree follows; deeper documents take
// the general path.
const fastMaxDepth = 64

type fastParser struct {
	lines []fastLine // lines with content: no blank or comment-only lines
	pos   int
	depth int
}

type fastLine struct {
	indent int
	text   string // after the indentation; not empty, not a comment
}

// maxFastLine: longer lines take the general path (found by FuzzFastTree:
// a key of 1,025 characters that go-yaml refuses).
const maxFastLine = 1000

// split cuts doc into lines with content, refusing bytes outside printable
// ASCII (tabs, carriage returns, UTF-8) and directive or document marker
// lines.
func (p *fastParser) split(doc []byte) bool {
	s := string(doc) // one copy: every string of the tree is a part of it
	p.lines = make([]fastLine, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if len(line) > maxFastLine {
			return false // go-yaml refuses simple keys over 1,024 characters: let it say so
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c < 0x20 || c > 0x7e {
				return false
			}
		}
		if len(p.lines) == 0 && (line == "---" || strings.HasPrefix(line, "--- ")) {
			// The document's start marker: yamlDocuments leaves it, followed
			// by nothing but a comment, in the first document.
			if rest := strings.TrimLeft(line[3:], " "); rest == "" || rest[0] == '#' {
				continue
			}
			return false
		}
		if strings.HasPrefix(line, "%") || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...") {
			return false
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		text := line[indent:]
		if text == "" || text[0] == '#' {
			continue
		}
		p.lines = append(p.lines, fastLine{indent, text})
	}
	return true
}

// node reads the block node whose first line is the current one, at indent.
func (p *fastParser) node(indent int) (any, bool) {
	if p.depth >= fastMaxDepth {
		return nil, false
	}
	p.depth++
	defer func() { p.depth-- }()
	text := p.lines[p.pos].text
	switch {
	case isSeqLine(text):
		return p.sequence(indent)
	case isMapLine(text):
		return p.mapping(indent)
	}
	v, ok := inlineValue(text)
	p.pos++
	return v, ok
}

func isSeqLine(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

func isMapLine(text string) bool {
	_, _, ok := splitKey(text)
	return ok
}

// splitKey splits "key: rest" or "key:"; the key is a plain word that YAML
// reads as a string.
func splitKey(text string) (key, rest string, ok bool) {
	n := 0
	for n < len(text) && isKeyChar(text[n], n == 0) {
		n++
	}
	if n == 0 || n == len(text) || text[n] != ':' {
		return "", "", false
	}
	if n+1 < len(text) && text[n+1] != ' ' {
		return "", "", false
	}
	key = text[:n]
	if _, special := yaml11Word(key); special {
		return "", "", false
	}
	return key, strings.TrimLeft(text[n+1:], " "), true
}

func isKeyChar(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case first:
		return false
	}
	return c >= '0' && c <= '9' || c == '-' || c == '.'
}

// yaml11Word is how go.yaml.in/yaml/v2 reads s when its resolve table
// holds it (special): booleans, null, and declined{} for what fastTree
// leaves to the general path (NaN, infinities, not representable in JSON,
// and the merge key). A switch: it runs for every key and scalar.
func yaml11Word(s string) (v any, special bool) {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	case "", "~", "null", "Null", "NULL":
		return nil, true
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<":
		return declined{}, true
	}
	return nil, false
}

type declined struct{}

// mapping reads a block mapping whose keys are at indent.
func (p *fastParser) mapping(indent int) (any, bool) {
	m := map[string]any{}
	for p.pos < len(p.lines) && p.lines[p.pos].indent == indent {
		key, rest, ok := splitKey(p.lines[p.pos].text)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false // go-yaml reports it
		}
		var v any
		if rest == "" || rest[0] == '#' {
			p.pos++
			if p.pos < len(p.lines) {
				next := p.lines[p.pos]
				switch {
				case next.indent > indent:
					v, ok = p.node(next.indent)
				case next.indent == indent && isSeqLine(next.text):
					v, ok = p.node(indent) // a list may sit at its key's indentation
				}
			}
		} else {
			v, ok = inlineValue(rest)
			p.pos++
		}
		if !ok {
			return nil, false
		}
		m[key] = v
	}
	if p.pos < len(p.lines) && p.lines[p.pos].indent > indent {
		return nil, false // a continuation or an error: the general path
	}
	return m, true
}

// sequence reads a block sequence whose dashes are at indent.
func (p *fastParser) sequence(indent int) (any, bool) {
	list := []any{}
	for p.pos < len(p.lines) && p.lines[p.pos].indent == indent && isSeqLine(p.lines[p.pos].text) {
		text := p.lines[p.pos].text
		spaces := 1
		for spaces < len(text) && text[spaces] == ' ' {
			spaces++
		}
		content := text[spaces:]
		if content == "" || content[0] == '#' || isSeqLine(content) {
			return nil, false // the item on the next lines, or a list in a list
		}
		var v any
		var ok bool
		if isMapLine(content) {
			// "- key: value": a mapping whose keys are where key is.
			p.lines[p.pos] = fastLine{indent + spaces, content}
			v, ok = p.node(indent + spaces)
		} else {
			v, ok = inlineValue(content)
			p.pos++
		}
		if !ok {
			return nil, false
		}
		list = append(list, v)
	}
	if p.pos < len(p.lines) && p.lines[p.pos].indent > indent {
		return nil, false
	}
	return list, true
}

// inlineValue reads the rest of a line: a scalar or a one-line flow list or
// mapping, and an optional comment.
func inlineValue(s string) (any, bool) {
	var v any
	var rest string
	var ok bool
	switch s[0] {
	case '[':
		v, rest, ok = flowList(s)
	case '{':
		v, rest, ok = flowMapping(s)
	default:
		v, rest, ok = scalar(s, false)
	}
	if !ok {
		return nil, false
	}
	return v, lineEnd(rest)
}

// lineEnd reports whether rest is only spaces and a comment.
func lineEnd(rest string) bool {
	t := strings.TrimLeft(rest, " ")
	return t == "" || t[0] == '#' && len(t) < len(rest)
}

// scalar reads a quoted or plain scalar at the start of s and returns its
// value and what follows it. In flow context a plain scalar ends at , ] }.
func scalar(s string, flow bool) (any, string, bool) {
	switch s[0] {
	case '"', '\'':
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return nil, "", false
		}
		v, rest := s[1:1+end], s[2+end:]
		if strings.ContainsRune(v, '\\') || rest != "" && rest[0] == s[0] {
			return nil, "", false // escapes: the general path
		}
		return v, rest, true
	}
	n := 0
	for n < len(s) && isPlainChar(s[n]) {
		n++
	}
	if n < len(s) {
		switch c := s[n]; {
		case c == '#' && n > 0 && s[n-1] == ' ':
		case flow && (c == ',' || c == ']' || c == '}'):
		default:
			return nil, "", false
		}
	}
	v := strings.TrimRight(s[:n], " ")
	rest := s[len(v):]
	if v == "" {
		return nil, "", false
	}
	r, ok := resolvePlain(v)
	return r, rest, ok
}

func isPlainChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == '/' || c == ' ' || c == '~'
}

// resolvePlain is go.yaml.in/yaml/v2's reading of a plain scalar, for the
// scalars fastTree accepts: words of its table, decimal integers, and
// strings that cannot be anything else.
func resolvePlain(s string) (any, bool) {
	if v, ok := yaml11Word(s); ok {
		_, no := v.(declined)
		return v, !no
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		if s == "0" || s[0] != '0' && len(s) <= 18 && strings.Trim(s, "0123456789") == "" {
			return json.Number(s), true
		}
		return nil, false // octal, hexadecimal, floats, timestamps, ...
	case c == '-' || c == '+':
		return nil, false
	case c == '.':
		if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
			return nil, false // a float
		}
	}
	return s, true
}

// flowList reads a one-line [a, b, "c"] of scalars.
func flowList(s string) (any, string, bool) {
	list := []any{}
	rest, ok := flowItems(s, ']', func(s string) (string, bool) {
		if s[0] == '[' || s[0] == '{' {
			return "", false
		}
		v, rest, ok := scalar(s, true)
		list = append(list, v)
		return rest, ok
	})
	if !ok {
		return nil, "", false
	}
	return list, rest, true
}

// flowItems reads the items of a one-line flow collection, s at its
// opening bracket and end its closing one; item reads one item (s not
// empty) and returns what follows it.
func flowItems(s string, end byte, item func(s string) (string, bool)) (string, bool) {
	s = strings.TrimLeft(s[1:], " ")
	if s != "" && s[0] == end {
		return s[1:], true
	}
	for s != "" {
		rest, ok := item(s)
		if !ok {
			return "", false
		}
		next, done, ok := nextItem(rest, end)
		switch {
		case !ok:
			return "", false
		case done:
			return next, true
		}
		s = next
	}
	return "", false
}

// nextItem reads what follows an item of a flow collection that end
// closes: the end (done), or a comma and the start of the next item.
func nextItem(rest string, end byte) (next string, done, ok bool) {
	rest = strings.TrimLeft(rest, " ")
	switch {
	case rest == "":
		return "", false, false
	case rest[0] == end:
		return rest[1:], true, true
	case rest[0] != ',':
		return "", false, false
	}
	return strings.TrimLeft(rest[1:], " "), false, true
}

// flowMapping reads a one-line {key: value, ...} whose values are scalars
// or flow lists.
func flowMapping(s string) (any, string, bool) {
	m := map[string]any{}
	rest, ok := flowItems(s, '}', func(s string) (string, bool) {
		n := 0
		for n < len(s) && isKeyChar(s[n], n == 0) {
			n++
		}
		if n == 0 || n+1 >= len(s) || s[n] != ':' || s[n+1] != ' ' {
			return "", false
		}
		key := s[:n]
		if _, special := yaml11Word(key); special {
			return "", false
		}
		if _, dup := m[key]; dup {
			return "", false
		}
		if s = strings.TrimLeft(s[n+1:], " "); s == "" {
			return "", false
		}
		var v any
		var rest string
		var ok bool
		switch s[0] {
		case '[':
			v, rest, ok = flowList(s)
		case '{', ',', '}':
			return "", false
		default:
			v, rest, ok = scalar(s, true)
		}
		m[key] = v
		return rest, ok
	})
	if !ok {
		return nil, "", false
	}
	return m, rest, true
}
