package graph

import "strconv"

// Small helpers, kept here so that the package imports nothing but the
// standard library's basics.

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }
