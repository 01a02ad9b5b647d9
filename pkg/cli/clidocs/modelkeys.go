package clidocs

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// The table of every key of the model file in docs/model.md lies between
// these markers; Generate writes it from the JSON Schema.
const (
	keysBegin = "<!-- model keys: generated from pkg/config/jobermodel.schema.json by make docs; do not edit -->"
	keysEnd   = "<!-- end of model keys -->"
)

// schemaNode is the part of a JSON Schema the table reads.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Description          string                 `json:"description"`
	Properties           map[string]*schemaNode `json:"properties"`
	Items                *schemaNode            `json:"items"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
	OneOf                []*schemaNode          `json:"oneOf"`
	AnyOf                []*schemaNode          `json:"anyOf"`
	AllOf                []*schemaNode          `json:"allOf"`
	Defs                 map[string]*schemaNode `json:"$defs"`
}

// ModelKey is one property of the model file: its path (such as
// jobernetes[].jobs[].depends_on) and the schema's description.
type ModelKey struct {
	Path, Description string
}

// ModelKeys lists every property the schema defines, in the schema's
// order of nesting (each key before the keys under it, siblings sorted).
func ModelKeys(schema []byte) ([]ModelKey, error) {
	var root schemaNode
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, fmt.Errorf("the model's JSON Schema: %w", err)
	}
	var out []ModelKey
	seen := map[string]bool{}
	var walk func(n *schemaNode, path string)
	walk = func(n *schemaNode, path string) {
		if n == nil {
			return
		}
		if name, ok := strings.CutPrefix(n.Ref, "#/$defs/"); ok && !seen[name+"@"+path] {
			seen[name+"@"+path] = true
			walk(root.Defs[name], path)
		}
		for _, k := range sortedKeys(n.Properties) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, ModelKey{Path: p, Description: n.Properties[k].Description})
			walk(n.Properties[k], p)
		}
		walk(n.Items, path+"[]")
		if len(n.AdditionalProperties) > 0 && n.AdditionalProperties[0] == '{' {
			var ap schemaNode
			if err := json.Unmarshal(n.AdditionalProperties, &ap); err == nil {
				walk(&ap, path+".*")
			}
		}
		for _, list := range [][]*schemaNode{n.OneOf, n.AnyOf, n.AllOf} {
			for _, s := range list {
				walk(s, path)
			}
		}
	}
	walk(&root, "")
	return dedupe(out), nil
}

func sortedKeys(m map[string]*schemaNode) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// dedupe keeps the first of keys met twice (through oneOf branches).
func dedupe(keys []ModelKey) []ModelKey {
	seen := map[string]bool{}
	out := keys[:0]
	for _, k := range keys {
		if !seen[k.Path] {
			seen[k.Path] = true
			out = append(out, k)
		}
	}
	return out
}

// modelKeysTable is the Markdown table of keys, between its markers.
func modelKeysTable(keys []ModelKey) string {
	var b strings.Builder
	b.WriteString(keysBegin + "\n\n| key | meaning |\n|---|---|\n")
	for _, k := range keys {
		d := strings.ReplaceAll(strings.Join(strings.Fields(k.Description), " "), "|", `\|`)
		if d == "" {
			d = "see above"
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", k.Path, d)
	}
	b.WriteString("\n" + keysEnd)
	return b.String()
}

// UpdateModelKeys rewrites the table of model keys in the page at path
// (docs/model.md) from the model's JSON Schema.
func UpdateModelKeys(path string, schema []byte) error {
	page, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	keys, err := ModelKeys(schema)
	if err != nil {
		return err
	}
	s := string(page)
	i, j := strings.Index(s, keysBegin), strings.Index(s, keysEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %q ... %q markers for the table of model keys", path, keysBegin, keysEnd)
	}
	s = s[:i] + modelKeysTable(keys) + s[j+len(keysEnd):]
	return os.WriteFile(path, []byte(s), 0o644)
}
