package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, n := range []int{0, 3, 10000} { // 10,000 Jobs take the gzip path
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := &Record{Version: 1, RunID: "r", Fingerprint: "f", Result: ResultRunning, Jobs: map[string]*JobRecord{}}
			for i := 0; i < n; i++ {
				r.Jobs[fmt.Sprintf("job-%05d-abcdefgh", i)] = &JobRecord{Job: fmt.Sprintf("job_%05d", i), Phase: "p", UID: "0d7b4c2e-6a0e-4a4e-9d55-0f3f4b8b9c1a", CreatedAt: 1, FinishedAt: 2, Result: JobSucceeded}
			}
			cm := &corev1.ConfigMap{}
			if err := Encode(cm, r); err != nil {
				t.Fatal(err)
			}
			size := len(cm.Data[recordKey]) + len(cm.BinaryData[recordGzipKey])
			if size > 1<<20-64<<10 {
				t.Errorf("%d Jobs encode to %d bytes: too big for a ConfigMap", n, size)
			}
			got, err := Decode(cm)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Jobs) != n || got.RunID != "r" {
				t.Errorf("decoded %d Jobs, run %q", len(got.Jobs), got.RunID)
			}
		})
	}
}

// The controller's encoder keeps its buffers between writes: a ConfigMap
// encoded earlier must not change when the next record is encoded.
func TestRecordEncoderReuse(t *testing.T) {
	var e encoder
	record := func(n int) *Record {
		r := &Record{Version: 1, RunID: fmt.Sprint("run-", n), Jobs: map[string]*JobRecord{}}
		for i := 0; i < n; i++ {
			r.Jobs[fmt.Sprintf("job-%05d-abcdefgh", i)] = &JobRecord{Job: fmt.Sprintf("job_%05d", i), UID: fmt.Sprintf("uid-%d-%d", n, i), Result: JobSucceeded}
		}
		return r
	}
	for _, sizes := range [][2]int{{8000, 9000}, {8000, 2}, {2, 8000}} {
		first, second := &corev1.ConfigMap{}, &corev1.ConfigMap{}
		if err := e.encode(first, record(sizes[0])); err != nil {
			t.Fatal(err)
		}
		if err := e.encode(second, record(sizes[1])); err != nil {
			t.Fatal(err)
		}
		for i, cm := range []*corev1.ConfigMap{first, second} {
			got, err := Decode(cm)
			if err != nil {
				t.Fatalf("%v: record %d: %v", sizes, i, err)
			}
			if want := fmt.Sprint("run-", sizes[i]); got.RunID != want || len(got.Jobs) != sizes[i] {
				t.Errorf("%v: record %d decodes to %s with %d Jobs, want %s with %d", sizes, i, got.RunID, len(got.Jobs), want, sizes[i])
			}
		}
	}
}

// The streamed record is json.Marshal's, byte for byte.
func TestRecordWriteJSONIsMarshal(t *testing.T) {
	full := &Record{Version: 1, RunID: "r<&>", Model: "m.yaml", Fingerprint: "f", StartedAt: 5, Result: ResultFailed, Message: "job \"a\" failed\n",
		Plan: []PlanJob{{Phase: "p", Job: "a", KubernetesJobs: []string{"a-1"}}, {Phase: "p", Job: "b", DependsOn: []string{"a"}, KubernetesJobs: []string{"b-1", "b-2"}}},
		Jobs: map[string]*JobRecord{"b-2": {Job: "b", Phase: "p", Result: JobSkipped}, "a-1": {Job: "a", Phase: "p", UID: "u", CreatedAt: 1, Result: JobFailed, Message: "<oom>"}, "b-1": {Job: "b", Result: JobCreated}}}
	for name, r := range map[string]*Record{
		"empty":        {},
		"full":         full,
		"empty slices": {RunID: "r", Plan: []PlanJob{}, Jobs: map[string]*JobRecord{}},
		"no plan":      {RunID: "r", Jobs: full.Jobs},
		"no jobs":      {RunID: "r", Plan: full.Plan},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := r.writeJSON(&got); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got.String(), want)
		}
	}
}
