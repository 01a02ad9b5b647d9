package config

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// position is a 1-based line and column in a file.
type position struct{ line, col int }

// positionIndex maps the field paths of a YAML document, as field.Path
// prints them (jobernetes[1].jobs[0].depends_on[2]), to where they are
// written: a mapping entry at its key, a list item at its value. It is built
// from go.yaml.in/yaml/v3's node tree only when there are problems to place,
// so that loading a valid model costs nothing more.
type positionIndex map[string]position

// indexPositions parses data (the whole file: v3's lines count from its
// start) and indexes its first non-empty document. Aliases are not
// followed: an alias's fields are placed at the alias.
func indexPositions(data []byte) positionIndex {
	idx := positionIndex{}
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			return idx
		}
		if len(doc.Content) > 0 && doc.Content[0].Kind != 0 && !(doc.Content[0].Kind == yamlv3.ScalarNode && doc.Content[0].Tag == "!!null") {
			idx.walk(doc.Content[0], "")
			return idx
		}
	}
}

func (idx positionIndex) walk(n *yamlv3.Node, path string) {
	switch n.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			if _, seen := idx[child]; !seen { // a duplicate key: the first
				idx[child] = position{k.Line, k.Column}
				// field.Path writes a map's keys (labels, annotations)
				// as path[key].
				idx[path+"["+k.Value+"]"] = position{k.Line, k.Column}
			}
			idx.walk(v, child)
		}
	case yamlv3.SequenceNode:
		for i, item := range n.Content {
			child := path + "[" + strconv.Itoa(i) + "]"
			idx[child] = position{item.Line, item.Column}
			idx.walk(item, child)
		}
	}
}

// find returns the position of path, or of its nearest written ancestor
// (a required key that is missing is placed at its mapping).
func (idx positionIndex) find(path string) (position, bool) {
	for path != "" {
		if p, ok := idx[path]; ok {
			return p, true
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut <= 0 {
			return position{}, false
		}
		path = path[:cut]
	}
	return position{}, false
}

// yamlLinePrefix is how go-yaml places its errors: "line 4: ...".
var yamlLinePrefix = regexp.MustCompile(`^((?:not valid YAML(?: or JSON)?: )?)line (\d+): `)

// yamlErrorPosition takes go-yaml's "line N: " out of msg and returns N
// moved by offset (the lines of data before the document go-yaml read)
// and a column: the key's for a duplicate key, else 1 (go-yaml gives no
// column).
func yamlErrorPosition(msg string, data []byte, offset int) (string, position, bool) {
	m := yamlLinePrefix.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg, position{}, false
	}
	n, err := strconv.Atoi(msg[m[4]:m[5]])
	if err != nil {
		return msg, position{}, false
	}
	pos := position{line: n + offset, col: 1}
	rest := msg[:m[3]] + msg[m[1]:]
	if key, ok := strings.CutPrefix(rest, "duplicate key "); ok {
		if k, err := strconv.Unquote(key[:strings.IndexByte(key+";", ';')]); err == nil {
			if line := lineOf(data, pos.line); line != "" {
				if i := strings.Index(line, k); i >= 0 {
					pos.col = i + 1
				}
			}
		}
	}
	return rest, pos, true
}

// lineOf returns line n (1-based) of data, "" past its end.
func lineOf(data []byte, n int) string {
	for i := 1; i < n; i++ {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return ""
		}
		data = data[nl+1:]
	}
	if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
		data = data[:nl]
	}
	return string(data)
}

// lineOffset is the number of lines of data before doc, one of its YAML
// documents (doc is a slice of data's lines, as the YAML reader returns it).
func lineOffset(data, doc []byte) int {
	i := bytes.Index(data, doc)
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n"))
}

// unknownField is how the strict decoder names a field it does not know.
var unknownField = regexp.MustCompile(`^unknown field "([^"]+)"`)

// manifestField is the field a manifest problem is about: its Field, or
// the one an "unknown field" message names.
func manifestField(p Problem) string {
	if p.Field != "" {
		return p.Field
	}
	if m := unknownField.FindStringSubmatch(p.Message); m != nil {
		return m[1]
	}
	return ""
}

// readManifestForPositions reads a manifest again to place its problems:
// only a regular file within the manifest size bound (a FIFO or device
// named by a job was reported, and must not be read now).
func readManifestForPositions(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxManifestSize {
		return nil, os.ErrInvalid
	}
	return os.ReadFile(path)
}
