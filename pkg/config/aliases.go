package config

import (
	"bytes"
	"strconv"

	yamlv2 "go.yaml.in/yaml/v2"
)

// YAML aliases (*name) repeat what an anchor (&name) marks. go-yaml refuses
// documents whose aliases multiply the number of nodes ("excessive
// aliasing", the billion laughs), but not a few aliases of one huge value:
// a 1 MiB string aliased 1,000 times is a 1 MiB file that becomes 1 GiB of
// JSON on its way to a Job or a model. expansionProblem measures what a
// document expands to before anything writes it out.

// expansionProblem returns a problem if doc, its aliases expanded, holds
// more than limit bytes of keys and values; "" if it does not, or if it is
// not valid YAML (the decoders that follow report that).
func expansionProblem(doc []byte, limit int64) string {
	if !bytes.Contains(doc, []byte("&")) || !bytes.Contains(doc, []byte("*")) {
		return "" // no anchor or no alias: nothing is repeated
	}
	// Decoding shares an aliased string instead of copying it, and
	// go-yaml's own guard bounds the number of nodes: this is cheap.
	var tree any
	if err := yamlv2.Unmarshal(doc, &tree); err != nil {
		return ""
	}
	budget := limit
	if expandedSize(tree, &budget) {
		return ""
	}
	return "the YAML expands to more than " + strconv.FormatInt(limit>>20, 10) +
		" MiB through aliases (*name); write the values out, or use fewer aliases"
}

// expandedSize subtracts the size of v, aliases expanded, from budget and
// reports whether it fits; it stops as soon as it does not.
func expandedSize(v any, budget *int64) bool {
	switch v := v.(type) {
	case string:
		*budget -= int64(len(v)) + 3
	case map[any]any:
		*budget -= 2
		for k, x := range v {
			if !expandedSize(k, budget) || !expandedSize(x, budget) {
				return false
			}
		}
	case []any:
		*budget -= 2
		for _, x := range v {
			if !expandedSize(x, budget) {
				return false
			}
		}
	default:
		*budget -= 8
	}
	return *budget >= 0
}
