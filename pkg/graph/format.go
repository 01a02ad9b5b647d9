package graph

import (
	"fmt"
	"strconv"
	"strings"
)

// Small helpers, kept here so that the package imports nothing but the
// standard library's basics.

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }

// enumName is names[v], or Type(v) for a value that has none: the String
// of the package's enums.
func enumName(names []string, typ string, v int) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return typ + "(" + itoa(v) + ")"
}

// Lines is one line per item, as its String gives it: a list of problems
// as an error message.
func Lines[T fmt.Stringer](items []T) string {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.String()
	}
	return strings.Join(lines, "\n")
}
