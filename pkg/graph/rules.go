package graph

// TriggerRule says when a node runs, given its upstream: its dependencies
// or, for a node without any, the whole previous phase.
type TriggerRule int

// The trigger rules.
const (
	RuleAllSucceeded TriggerRule = iota // default: every upstream node succeeded
	RuleAllDone                         // every upstream node finished or was skipped
	RuleOneFailed                       // at least one upstream node failed
)

// String is the rule as the model file spells it.
func (r TriggerRule) String() string {
	switch r {
	case RuleAllSucceeded:
		return "all_succeeded"
	case RuleAllDone:
		return "all_done"
	case RuleOneFailed:
		return "one_failed"
	}
	return "TriggerRule(" + itoa(int(r)) + ")"
}

// FailurePolicy is what the run does once a node has failed.
type FailurePolicy int

// The failure policies.
const (
	PolicyStop     FailurePolicy = iota // default: start nothing more that needs success
	PolicyAbort                         // start nothing more, and abort what runs
	PolicyContinue                      // run everything whose trigger rule allows it
)

// String is the policy as the model file spells it.
func (p FailurePolicy) String() string {
	switch p {
	case PolicyStop:
		return "stop"
	case PolicyAbort:
		return "abort"
	case PolicyContinue:
		return "continue"
	}
	return "FailurePolicy(" + itoa(int(p)) + ")"
}
