package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The model is decoded into the generic JSON tree that sigs.k8s.io/yaml
// produces (map[string]any, []any, string, bool, json.Number, nil; fastTree
// builds the same tree for plain block YAML) and then walked by hand: unlike decoding into structs, a walk can report every
// unknown key and every wrong type, each with its field path, in one pass.

// describe names a value's kind for messages ("a list", `the string "x"`).
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "empty"
	case bool:
		return "the boolean " + strconv.FormatBool(v)
	case json.Number:
		return "the number " + v.String()
	case string:
		return "the string " + strconv.Quote(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// yaml11Hint explains the surprise behind a boolean or a number where a
// string was meant: YAML 1.1 (which the original tool's files use, and which
// sigs.k8s.io/yaml implements) reads yes/no/on/off/y/n/true/false as
// booleans and 010 as the number 8.
func yaml11Hint(v any) string {
	switch v.(type) {
	case bool, json.Number:
		return " (YAML reads unquoted yes, no, on, off, y, n, true, false and numbers as such; put the value in quotes)"
	}
	return ""
}

// sortedKeys returns the keys of m in sorted order, so that problems come
// out in the same order every time.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unknownKeyMessage says a key is unknown and what it might have been.
func unknownKeyMessage(key string, known []string) string {
	msg := "unknown key"
	if s := closest(key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	if key == "true" || key == "false" {
		msg += "; YAML reads unquoted keys such as on, off, yes, no, y and n as booleans"
	}
	return msg + "; valid keys are " + strings.Join(known, ", ")
}

// closest returns the candidate within a small edit distance of s, if any.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	if len(s) <= 4 {
		bestD = 2
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, for short strings only.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
