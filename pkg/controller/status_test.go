package controller

import (
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// status is read from the cluster alone: the record for cleaned-up Jobs,
// the Jobs for running ones, the plan for the ones still waiting.
func TestGetRunStatus(t *testing.T) {
	f := newFixture(t, testModel(t, 0, true, []string{"a", "b<-a", "c"}, []string{"d"}))
	f.sync()
	f.finish("a", true)
	f.now = f.now.Add(5 * time.Second)
	f.sync() // a recorded and deleted; b created; c running

	st, err := GetRunStatus(f.ctx, f.client, "ns", "r1", f.now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "succeeded", "b": "running", "c": "running", "d": "waiting"}
	if len(st.Jobs) != len(want) {
		t.Fatalf("%d jobs in status, want %d", len(st.Jobs), len(want))
	}
	for _, js := range st.Jobs {
		if js.State != want[js.Job] {
			t.Errorf("job %s: state %s, want %s", js.Job, js.State, want[js.Job])
		}
	}
	if st.Result != record.ResultRunning || st.APIVersion != StatusAPIVersion {
		t.Errorf("result %s apiVersion %s", st.Result, st.APIVersion)
	}

	runs, err := ListRuns(f.ctx, f.client, "ns")
	if err != nil || len(runs) != 1 || runs[0].RunID != "r1" || runs[0].Jobs != 4 || runs[0].Finished != 1 {
		t.Errorf("ListRuns = %+v, %v", runs, err)
	}
}
