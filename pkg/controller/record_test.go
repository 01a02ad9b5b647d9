package controller

import (
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
			if err := EncodeRecord(cm, r); err != nil {
				t.Fatal(err)
			}
			size := len(cm.Data[recordKey]) + len(cm.BinaryData[recordGzipKey])
			if size > 1<<20-64<<10 {
				t.Errorf("%d Jobs encode to %d bytes: too big for a ConfigMap", n, size)
			}
			got, err := DecodeRecord(cm)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Jobs) != n || got.RunID != "r" {
				t.Errorf("decoded %d Jobs, run %q", len(got.Jobs), got.RunID)
			}
		})
	}
}
