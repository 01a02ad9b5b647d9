package config

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// SanitizeDNS turns s into something usable inside a DNS label: lower case,
// every rune other than a-z and 0-9 ('_' and '.' included) becomes '-',
// runs of '-' collapse into one and leading and trailing '-' are trimmed.
// It returns "" if nothing usable is left. It does not shorten s: callers
// that build names from several parts shorten or hash them themselves.
func SanitizeDNS(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// nameProblem says why name cannot name a phase, a job or a model, or ""
// when it can: it must be a valid label value (jobernetes labels every Job
// with its phase and job) and must keep something once sanitised for DNS
// (it is part of Job names).
func nameProblem(what, name string) string {
	if simpleName(name) {
		return "" // the usual case, without the label value's regular expression
	}
	if name == "" {
		return "required: the " + what + " must not be empty"
	}
	if errs := validation.IsValidLabelValue(name); len(errs) > 0 {
		return strconv.Quote(name) + " cannot be a " + what + ": it must be usable as a Kubernetes label value: " + strings.Join(errs, "; ")
	}
	if SanitizeDNS(name) == "" {
		return strconv.Quote(name) + " cannot be a " + what + ": it must contain a letter or digit to be part of a Kubernetes name"
	}
	return ""
}

// namespaceProblem says why ns is not a valid namespace name, or "".
func namespaceProblem(ns string) string {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return strconv.Quote(ns) + " is not a valid namespace name: " + strings.Join(errs, "; ")
	}
	return ""
}

// simpleName reports whether name is a valid label value that keeps a
// letter or digit for DNS: at most 63 of A-Z, a-z, 0-9, '-', '_' and '.',
// beginning and ending with a letter or digit. nameProblem checks every
// other name in full.
func simpleName(name string) bool {
	if name == "" || len(name) > validation.LabelValueMaxLength ||
		!isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
