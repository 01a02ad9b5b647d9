package logstream

import (
	"strings"
	"testing"

	"github.com/jobernetes/jobernetes/pkg/report"
)

func TestLogPrefixColors(t *testing.T) {
	jobs := []report.JobStatus{{JobInModel: report.JobInModel{Phase: "p", Job: "a"}, KubernetesJob: "a-1"}, {JobInModel: report.JobInModel{Phase: "p", Job: "b"}, KubernetesJob: "b-1"}}
	for _, tc := range []struct {
		name  string
		color bool
		want  string
	}{
		{"plain when piped", false, "p/a x\np/b y\n"},
		{"a colour per job on a terminal", true, "\x1b[32mp/a\x1b[0m x\n\x1b[33mp/b\x1b[0m y\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			p := NewPrinter(&b, jobs, tc.color)
			p.line("a-1", "x")
			p.line("b-1", "y")
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}
