package record

import (
	"context"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
)

// What the store keeps in memory of what it wrote: no plan, and a Job whose
// entry is in a segment as its result only, while the record in the
// cluster holds all of it; a final result still stands over a later
// Created, and the head still counts the plan's Jobs.
func TestStoreKeepsLittleOfWhatItWrote(t *testing.T) {
	small := smallSegments(4 << 10)
	ctx := context.Background()
	client := withResourceVersions(fake.NewClientset())
	s := NewStore(client, "ns", "r1", nil, small)
	if err := s.Create(ctx, &Record{RunID: "r1", Result: ResultRunning, Plan: testPlan(500, 1), Jobs: map[string]*JobRecord{}}); err != nil {
		t.Fatal(err)
	}
	if s.Record().Plan != nil {
		t.Errorf("the store keeps the plan it wrote (%d entries), want it in the cluster only", len(s.Record().Plan))
	}
	runJobs(ctx, t, s, 500, 25)

	inMemory := s.Record().Jobs
	slim := 0
	for name, jr := range inMemory {
		if jr.Result != JobSucceeded {
			t.Fatalf("Job %s: %s in memory, want Succeeded", name, jr.Result)
		}
		if jr.UID == "" {
			slim++
		}
	}
	if len(inMemory) != 500 || slim == 0 || slim == 500 {
		t.Fatalf("%d Jobs in memory, %d of them result only: want 500, those in segments result only, the tail's whole", len(inMemory), slim)
	}

	sealed := ""
	for name, jr := range inMemory {
		if jr.UID == "" {
			sealed = name
			break
		}
	}
	if err := s.Update(ctx, Change{Jobs: map[string]*JobRecord{sealed: {Job: "late", Phase: "p", Result: JobCreated}}}); err != nil {
		t.Fatal(err)
	}
	if got := s.Record().Jobs[sealed].Result; got != JobSucceeded {
		t.Errorf("Job %s after a late Created: %s in memory, want Succeeded to stand", sealed, got)
	}

	got, err := Get(ctx, client, "ns", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Jobs) != 500 || got.Finished != 500 || len(got.Plan) != 500 || got.Planned != 500 {
		t.Fatalf("read back %d Jobs, %d finished, %d plan entries, %d planned: want 500 each", len(got.Jobs), got.Finished, len(got.Plan), got.Planned)
	}
	runs, err := List(ctx, client, "ns")
	if err != nil || len(runs) != 1 || runs[0].Planned != 500 || runs[0].Finished != 500 {
		t.Errorf("List (heads only) = %+v, %v: want 500 planned and finished after writes without the plan in memory", runs, err)
	}
	for name, jr := range got.Jobs {
		if jr.Result != JobSucceeded || jr.UID == "" || jr.FinishedAt == 0 {
			t.Fatalf("Job %s read back as %+v, want its whole final entry", name, jr)
		}
	}
}
