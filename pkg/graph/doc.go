// Package graph is the pure DAG of a jobernetes model: ordered phases whose
// nodes may depend on nodes of the same phase. Phase N+1 waits for all of
// phase N. It has no Kubernetes imports so that it can be tested, fuzzed and
// benchmarked on its own. It also holds the run's rules (trigger rules, failure
// policies, reverts, the finally phase) as one pure function, Decide: the
// controller folds its Jobs into node states, asks Decide, and acts.
package graph
