package controller

import (
	"errors"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runctl"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// A cancel recorded by another process ends the run at the next sync: the
// Jobs it deleted fail as Cancelled, nothing more is created, the record
// keeps the cancel and a resume is refused.
//
//	phase p0:   a    b
//	phase p1:   c
func TestCancelEndsTheRun(t *testing.T) {
	m := testModel(t, 0, false, []string{"a", "b"}, []string{"c"})
	f := newFixture(t, m)
	f.sync()
	f.finish("a", true)
	f.sync()

	if err := runctl.DeleteRun(f.ctx, f.client, "ns", "r1", 0); !errors.As(err, new(*runmeta.RunningError)) {
		t.Fatalf("delete of a running run: %v, want runmeta.RunningError", err)
	}
	n, err := runctl.CancelRun(f.ctx, f.client, "ns", "r1", "bad data", f.now, time.Second)
	if err != nil || n != 1 {
		t.Fatalf("cancel: %d deleted, %v; want b's Job deleted", n, err)
	}
	f.sync()
	if got := f.actions("create", "jobs"); len(got) != 0 {
		t.Errorf("created %v after the cancel", got)
	}
	r := f.c.end.result
	if r == nil || r.Succeeded || !r.Cancelled || r.Failure.Message != "cancelled: bad data" {
		t.Fatalf("result %+v, want cancelled with the reason", r)
	}
	if u := f.c.units[1]; u.state != unitFailed || u.reason != "Cancelled" {
		t.Errorf("b: %s %s, want failed Cancelled", u.state, u.reason)
	}
	if u := f.c.units[2]; u.state != unitSkipped {
		t.Errorf("c: %s, want skipped", u.state)
	}
	rec, err := record.Get(f.ctx, f.client, "ns", "r1")
	if err != nil || rec.Result != record.ResultCancelled {
		t.Fatalf("record result %v (%v), want Cancelled", rec.Result, err)
	}
	if _, err := runctl.CancelRun(f.ctx, f.client, "ns", "r1", "", f.now, time.Second); !errors.As(err, new(*runmeta.FinishedError)) {
		t.Errorf("second cancel: %v, want runmeta.FinishedError", err)
	}

	c, err := NewController(f.ctx, f.client, f.factory.Batch().V1().Jobs(), Options{Namespace: "ns", RunID: "r1", Model: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prepare(f.ctx); !errors.As(err, new(*CancelledError)) {
		t.Errorf("resume of a cancelled run: %v, want CancelledError", err)
	}
	if err := runctl.DeleteRun(f.ctx, f.client, "ns", "r1", 0); err != nil {
		t.Errorf("delete of the cancelled run: %v", err)
	}
}
