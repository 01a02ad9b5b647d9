// Package runmeta holds the conventions of a run that the controller
// writes and its readers (report, metrics, render, logstream, cli) read:
// the labels and names of a run's objects, the states of its Jobs, when a
// Job has finished, why its pods failed, the run's outcome (Result) and its
// transitions, duration rounding, and the run's informer filter. It imports
// no package of ours but pkg/config (Job names are made from model jobs)
// and pkg/record, so that reading a run never pulls in the orchestrator,
// as kubernetes' pkg/controller/job/util serves the Job and CronJob
// controllers alike.
package runmeta
