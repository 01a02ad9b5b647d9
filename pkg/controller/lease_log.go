package controller

import (
	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// leaseLogSink passes leader election's logs through, except for the
// errors that mean "another orchestrator holds or just took the Lease"
// (AlreadyExists when two create it at once, Conflict when two update it):
// client-go logs them with Error, which no verbosity hides, though waiting
// for the Lease is the correct behaviour of a second orchestrator. They are
// logged as info at V(2), with the error.
type leaseLogSink struct{ logr.LogSink }

func quietLeaseLogger(l logr.Logger) logr.Logger {
	if l.GetSink() == nil {
		return l
	}
	return l.WithSink(leaseLogSink{l.GetSink()})
}

func (s leaseLogSink) Error(err error, msg string, kv ...interface{}) {
	if apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
		if s.Enabled(2) {
			s.LogSink.Info(2, msg, append(kv, "err", err)...)
		}
		return
	}
	s.LogSink.Error(err, msg, kv...)
}

func (s leaseLogSink) WithValues(kv ...interface{}) logr.LogSink {
	return leaseLogSink{s.LogSink.WithValues(kv...)}
}

func (s leaseLogSink) WithName(name string) logr.LogSink {
	return leaseLogSink{s.LogSink.WithName(name)}
}
