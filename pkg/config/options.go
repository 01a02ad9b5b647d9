package config

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Options is the jobernetes_config section. Absent keys keep the original
// tool's defaults.
type Options struct {
	Cleanup             bool    // `cleanup`, default false (the original tool's default)
	Namespace           string  // `kubernetes_namespace`; "" when absent (the CLI then falls back to kubeconfig's namespace, then "default")
	InCluster           *bool   // `incluster`; nil = detect automatically
	Parallelization     int     // `parallelization`, 0 = unlimited; negative is an error
	RefreshTime         float64 // legacy `refresh_time`, accepted, no effect; must be >= 0
	SSLInsecureWarnings bool    // legacy `ssl_insecure_warnings`, default true
	JobName             string  // `jobname`, optional model name: must be usable in a label value / DNS label once sanitised

	// Failure handling (new keys; absent = the original tool's behaviour).
	FailurePolicy string        // `failure_policy`: stop (default), abort or continue
	FinallyPhase  string        // `finally_phase`: the last phase, which runs whatever happened
	RunTimeout    time.Duration // `run_timeout`: "30m", "90s" or seconds; 0 = none

	// Env is `env`: parameters injected into every container of every Job
	// of the run (a job's env and `run -e` override them).
	Env map[string]string

	// MaxMatrix is `max_matrix`: at most this many Jobs per matrix job.
	MaxMatrix int

	// Queue is `queue`: the Kueue LocalQueue of the run's Jobs (the
	// kueue.x-k8s.io/queue-name label); a job's own `queue` wins.
	Queue string
}

// Failure policies: what the run does once a Job has failed.
const (
	PolicyStop     = "stop"     // launch nothing more that needs success; running Jobs finish
	PolicyAbort    = "abort"    // also delete running Jobs (with their pods)
	PolicyContinue = "continue" // keep running every job that does not depend on the failure
)

// Trigger rules: when a job runs, given its upstream (its depends_on, and
// for a job without depends_on the whole previous phase).
const (
	RuleAllSucceeded = "all_succeeded" // default: every upstream job succeeded
	RuleAllDone      = "all_done"      // every upstream job finished or was skipped, whatever the result
	RuleOneFailed    = "one_failed"    // at least one upstream job failed
)

// DefaultOptions are the options of a model without jobernetes_config.
func DefaultOptions() Options {
	return Options{RefreshTime: 5, SSLInsecureWarnings: true, FailurePolicy: PolicyStop, MaxMatrix: DefaultMaxMatrix}
}

// optionDecoders decode the keys of jobernetes_config, one entry a key; a
// key not here is unknown. A decoder reports what is wrong with its value
// and then leaves the default in place.
var optionDecoders = map[string]func(o *Options, x option){
	"cleanup":               func(o *Options, x option) { x.bool(&o.Cleanup) },
	"env":                   func(o *Options, x option) { o.Env = decodeEnv(x.v, x.fp, x.ps.at) },
	"failure_policy":        func(o *Options, x option) { x.failurePolicy(&o.FailurePolicy) },
	"finally_phase":         func(o *Options, x option) { x.string(&o.FinallyPhase, nil) },
	"incluster":             func(o *Options, x option) { x.boolPointer(&o.InCluster) },
	"jobname":               func(o *Options, x option) { x.string(&o.JobName, modelNameProblem) },
	"kubernetes_namespace":  func(o *Options, x option) { x.string(&o.Namespace, namespaceProblem) },
	"max_matrix":            func(o *Options, x option) { x.maxMatrix(&o.MaxMatrix) },
	"parallelization":       func(o *Options, x option) { x.parallelization(&o.Parallelization) },
	"queue":                 func(o *Options, x option) { o.Queue = queueValue(x.v, x.fp, x.ps.at) },
	"refresh_time":          func(o *Options, x option) { x.seconds(&o.RefreshTime) },
	"run_timeout":           func(o *Options, x option) { o.RunTimeout = durationValue(x.v, x.fp, x.ps) },
	"ssl_insecure_warnings": func(o *Options, x option) { x.bool(&o.SSLInsecureWarnings) },
}

// optionKeys are the valid keys of jobernetes_config, sorted for messages.
var optionKeys = slices.Sorted(maps.Keys(optionDecoders))

// decodeOptions reads the jobernetes_config mapping (nil: defaults).
func decodeOptions(v any, ps *problems) Options {
	o := DefaultOptions()
	if v == nil {
		return o
	}
	root := field.NewPath("jobernetes_config")
	m, ok := v.(map[string]any)
	if !ok {
		ps.at(root.String(), "must be a mapping of options, not "+describe(v))
		return o
	}
	for _, key := range sortedKeys(m) {
		fp := root.Child(key)
		val := m[key]
		if val == nil {
			// An empty value keeps the default; the original tool would
			// have used None, which only makes sense for incluster.
			continue
		}
		if decode, ok := optionDecoders[key]; ok {
			decode(&o, option{val, fp, ps})
		} else {
			ps.at(fp.String(), unknownKeyMessage(key, optionKeys))
		}
	}
	return o
}

// option is one value written in jobernetes_config, with its field path.
// Its methods store the value when it is valid and report it otherwise.
type option struct {
	v  any
	fp *field.Path
	ps *problems
}

func (x option) bool(dst *bool) {
	if b, ok := boolValue(x.v, x.fp, x.ps); ok {
		*dst = b
	}
}

func (x option) boolPointer(dst **bool) {
	if b, ok := boolValue(x.v, x.fp, x.ps); ok {
		*dst = &b
	}
}

// string stores a string that problem (when not nil) finds nothing wrong
// with.
func (x option) string(dst *string, problem func(string) string) {
	s, ok := stringValue(x.v, x.fp, x.ps.at)
	if !ok {
		return
	}
	if problem != nil {
		if msg := problem(s); msg != "" {
			x.ps.at(x.fp.String(), msg)
			return
		}
	}
	*dst = s
}

func modelNameProblem(s string) string { return nameProblem("model name", s) }

func (x option) failurePolicy(dst *string) {
	if s, ok := stringValue(x.v, x.fp, x.ps.at); ok {
		switch s {
		case PolicyStop, PolicyAbort, PolicyContinue:
			*dst = s
		default:
			x.ps.at(x.fp.String(), "Unsupported value "+strconv.Quote(s)+": must be stop (the default), abort or continue")
		}
	}
}

func (x option) parallelization(dst *int) {
	n, i, ok := x.wholeNumber(" (0 = unlimited)")
	switch {
	case !ok:
	case i < 0:
		x.ps.at(x.fp.String(), "must be 0 (unlimited) or more, not "+n.String())
	case i > math.MaxInt32:
		x.ps.at(x.fp.String(), "is too large: "+n.String())
	default:
		*dst = int(i)
	}
}

func (x option) maxMatrix(dst *int) {
	n, i, ok := x.wholeNumber("")
	switch {
	case !ok:
	case i < 1 || i > 100000:
		x.ps.at(x.fp.String(), "must be between 1 and 100000, not "+n.String())
	default:
		*dst = int(i)
	}
}

// wholeNumber is the value as a whole number; anything else is reported,
// with hint.
func (x option) wholeNumber(hint string) (json.Number, int64, bool) {
	n, ok := x.v.(json.Number)
	i, err := n.Int64()
	if !ok || err != nil {
		x.ps.at(x.fp.String(), "must be a whole number"+hint+", not "+describe(x.v))
		return n, 0, false
	}
	return n, i, true
}

// seconds stores a number of seconds, 0 or more.
func (x option) seconds(dst *float64) {
	n, ok := x.v.(json.Number)
	f, err := n.Float64()
	switch {
	case !ok || err != nil:
		x.ps.at(x.fp.String(), "must be a number of seconds, not "+describe(x.v))
	case f < 0:
		x.ps.at(x.fp.String(), "must be 0 or more, not "+n.String())
	default:
		*dst = f
	}
}

// durationValue accepts a Go duration ("90s", "1h30m") or a number of
// seconds; it must be positive.
func durationValue(v any, fp *field.Path, ps *problems) time.Duration {
	var d time.Duration
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil || f <= 0 || f > math.MaxInt64/float64(time.Second) {
			ps.at(fp.String(), "must be a positive number of seconds or a duration such as 30m, not "+x.String())
			return 0
		}
		d = time.Duration(f * float64(time.Second))
	case string:
		var err error
		if d, err = time.ParseDuration(x); err != nil || d <= 0 {
			ps.at(fp.String(), "must be a positive duration such as 90s or 1h30m, not "+strconv.Quote(x))
			return 0
		}
	default:
		ps.at(fp.String(), "must be a duration such as 30m or a number of seconds, not "+describe(v))
	}
	return d
}

// queueValue reads a Kueue LocalQueue name: a DNS label, as Kueue's
// webhook requires of the queue-name label.
func queueValue(v any, fp *field.Path, report func(field, msg string)) string {
	s, ok := stringValue(v, fp, report)
	if !ok {
		return ""
	}
	if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
		report(fp.String(), strconv.Quote(s)+" is not a valid Kueue queue name: "+strings.Join(errs, "; "))
		return ""
	}
	return s
}

// boolValue accepts a YAML boolean, which includes YAML 1.1's True, False,
// yes, no, on and off: sigs.k8s.io/yaml reads YAML through go.yaml.in/yaml/v2,
// a YAML 1.1 parser, so they arrive here as JSON booleans already.
func boolValue(v any, fp *field.Path, ps *problems) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		ps.at(fp.String(), "must be true or false, not "+describe(v))
	}
	return b, ok
}

// stringValue accepts a string and reports anything else through report.
func stringValue(v any, fp *field.Path, report func(field, msg string)) (string, bool) {
	s, ok := v.(string)
	if !ok {
		report(fp.String(), "must be a string, not "+describe(v)+yaml11Hint(v))
	}
	return s, ok
}
