package runmeta

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jobernetes/jobernetes/pkg/config"
)

func TestJobName(t *testing.T) {
	long := strings.Repeat("very_long_job_name_", 6)
	cases := []struct {
		name     string
		runID    string
		job      config.Job
		rel      string
		prefix   string
		distinct string // another run ID: must give another name
	}{
		{"file job", "r1", config.Job{Name: "dream_a", Type: "file"}, "a.yaml", "dream-a-", "r2"},
		{"directory job", "r1", config.Job{Name: "wakeup", Type: "directory"}, "dir/Final_Step.yml", "wakeup-final-step-", "r2"},
		{"truncated", "r1", config.Job{Name: long, Type: "file"}, "a.yaml", "very-long-job-name-", "r2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &config.Manifest{RelPath: tc.rel}
			got := JobName(tc.runID, &tc.job, m)
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Errorf("%q is not a DNS label: %v", got, errs)
			}
			if !strings.HasPrefix(got, tc.prefix) {
				t.Errorf("%q does not start with %q", got, tc.prefix)
			}
			if again := JobName(tc.runID, &tc.job, m); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
			if other := JobName(tc.distinct, &tc.job, m); other == got {
				t.Errorf("run IDs %q and %q give the same name %q", tc.runID, tc.distinct, got)
			}
		})
	}
}

func TestRunIDs(t *testing.T) {
	id := NewRunID("Nightly_ETL", time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC))
	if !strings.HasPrefix(id, "nightly-etl-20261127-110000-") {
		t.Errorf("run ID %q", id)
	}
	if err := ValidateRunID(id); err != nil {
		t.Errorf("generated run ID invalid: %v", err)
	}
	for _, bad := range []string{"", "Upper", "has_underscore", strings.Repeat("x", 64), "-dash"} {
		if ValidateRunID(bad) == nil {
			t.Errorf("ValidateRunID(%q) accepted it", bad)
		}
	}
}
