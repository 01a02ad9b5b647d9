package render

import (
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/report"
)

var runStart = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return runStart.Add(time.Duration(sec * float64(time.Second))) }

func TestSVGCriticalJobs(t *testing.T) {
	tm := func(sec float64) *time.Time { v := at(sec); return &v }
	st := &report.RunStatus{StartedAt: tm(0), FinishedAt: tm(30), Jobs: []report.JobStatus{
		{JobInModel: report.JobInModel{Phase: "a", Job: "x"}, KubernetesJob: "x-1", CreatedAt: tm(0), FinishedAt: tm(5)},
		{JobInModel: report.JobInModel{Phase: "b", Job: "short"}, KubernetesJob: "s-1", CreatedAt: tm(5), FinishedAt: tm(8)},
		{JobInModel: report.JobInModel{Phase: "b", Job: "long"}, KubernetesJob: "l-1", CreatedAt: tm(5), FinishedAt: tm(12)},
		{JobInModel: report.JobInModel{Phase: "b", Job: "after", DependsOn: []string{"short"}}, KubernetesJob: "a-1", CreatedAt: tm(8), FinishedAt: tm(20)},
		{JobInModel: report.JobInModel{Phase: "b", Job: "dir"}, KubernetesJob: "d-1", CreatedAt: tm(5), FinishedAt: tm(6)},
		{JobInModel: report.JobInModel{Phase: "c", Job: "fan"}, KubernetesJob: "f-1", CreatedAt: tm(20), FinishedAt: tm(22)},
		{JobInModel: report.JobInModel{Phase: "c", Job: "fan"}, KubernetesJob: "f-2", CreatedAt: tm(20), FinishedAt: tm(29)}, // the one waited for
		{JobInModel: report.JobInModel{Phase: "c", Job: "fan"}, KubernetesJob: "f-3", CreatedAt: tm(20), FinishedAt: tm(21)},
		{JobInModel: report.JobInModel{Phase: "b", Job: "x (revert)"}, KubernetesJob: "r-1", CreatedAt: tm(20), FinishedAt: tm(30)},
	}}
	got := criticalJobs(st, at(30))
	want := map[string]bool{"x-1": true, "s-1": true, "a-1": true, "f-2": true}
	if len(got) != len(want) {
		t.Fatalf("critical %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("critical %v, want %v", got, want)
		}
	}
}

func TestTickAxis(t *testing.T) {
	for _, tc := range []struct {
		total time.Duration
		step  time.Duration
	}{
		{time.Second, time.Second},
		{9 * time.Second, time.Second},
		{95 * time.Second, 10 * time.Second},
		{10 * time.Minute, time.Minute},
		{5 * time.Hour, 30 * time.Minute},
		{11 * time.Hour, 2 * time.Hour},
	} {
		if got := tickStep(tc.total); got != tc.step {
			t.Errorf("tickStep(%v) = %v, want %v", tc.total, got, tc.step)
		}
	}
	for d, want := range map[time.Duration]string{0: "0s", 30 * time.Second: "30s", time.Minute: "1m",
		90 * time.Second: "1m30s", time.Hour: "1h", 90 * time.Minute: "1h30m"} {
		if got := tickLabel(d); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", d, got, want)
		}
	}
}
