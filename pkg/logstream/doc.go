// Package logstream reads the logs of a run's pods, once or following the
// run as it creates them, and prints them line by line, each prefixed with
// its phase/job: the log engine of `jobernetes logs`, apart from its cobra
// command as stern keeps its tailer apart from its flags.
package logstream
