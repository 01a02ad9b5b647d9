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
func (r TriggerRule) String() string { return enumName(triggerRuleNames, "TriggerRule", int(r)) }

var triggerRuleNames = []string{"all_succeeded", "all_done", "one_failed"}

// FailurePolicy is what the run does once a node has failed.
type FailurePolicy int

// The failure policies.
const (
	PolicyStop     FailurePolicy = iota // default: start nothing more that needs success
	PolicyAbort                         // start nothing more, and abort what runs
	PolicyContinue                      // run everything whose trigger rule allows it
)

// String is the policy as the model file spells it.
func (p FailurePolicy) String() string { return enumName(failurePolicyNames, "FailurePolicy", int(p)) }

var failurePolicyNames = []string{"stop", "abort", "continue"}
