package controller

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// ParamsMismatchError says a run is resumed with other parameter values
// than it started with: its Jobs would mix both.
type ParamsMismatchError struct {
	RunID, Key string
	Was, Now   *string // nil: not set
}

func (e *ParamsMismatchError) Error() string {
	show := func(v *string) string {
		if v == nil {
			return "not set"
		}
		return strconv.Quote(*v)
	}
	return fmt.Sprintf("run %q was started with parameter %s %s, now it is %s; resume with the same values (-e %s=...), or start a new run without --run-id",
		e.RunID, e.Key, show(e.Was), show(e.Now), e.Key)
}

// checkParams compares the recorded parameters with this process's and
// names the first key (in sorted order) that differs.
func checkParams(runID string, was, now map[string]string) error {
	keys := slices.Sorted(maps.Keys(was))
	for k := range now {
		if _, ok := was[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		w, wok := was[k]
		n, nok := now[k]
		if wok == nok && w == n {
			continue
		}
		e := &ParamsMismatchError{RunID: runID, Key: k}
		if wok {
			e.Was = &w
		}
		if nok {
			e.Now = &n
		}
		return e
	}
	return nil
}
