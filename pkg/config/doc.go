// Package config loads a jobernetes model file (jobermodel.yaml) and the Job
// manifests it names, and validates all of it before anything touches a
// cluster: the model keys (strictly, backward compatible with the original
// tool's files), each manifest as a strict batch/v1 Job, what the API server
// would otherwise reject late, and the dependency graph (pkg/graph).
//
// Problems are collected, never thrown one at a time: Load returns a
// *ValidationError listing every problem of the model in model order, each
// naming the model file, the phase, the job and the manifest involved.
package config
