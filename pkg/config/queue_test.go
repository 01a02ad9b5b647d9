package config

import (
	"errors"
	"strings"
	"testing"
)

func TestQueue(t *testing.T) {
	tests := []struct {
		name       string
		config     string // jobernetes_config body
		jobA       string // extra keys of job a
		wantModel  string
		wantA      string
		wantErr    string // substring of the one problem, "" for none
		wantErrJob string // the job the problem names
	}{
		{name: "none"},
		{name: "model queue", config: "queue: team-a", wantModel: "team-a"},
		{name: "job queue over the model's", config: "queue: team-a", jobA: ", queue: urgent", wantModel: "team-a", wantA: "urgent"},
		{name: "bad model queue", config: "queue: Team_A", wantErr: `jobernetes_config.queue: "Team_A" is not a valid Kueue queue name`},
		{name: "bad job queue", jobA: ", queue: -x", wantErr: `jobernetes[0].jobs[0].queue: "-x" is not a valid Kueue queue name`, wantErrJob: "a"},
		{name: "not a string", jobA: ", queue: [a]", wantErr: "jobernetes[0].jobs[0].queue: must be a string", wantErrJob: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml" + tt.jobA + "}\n      - {name: b, job_path: job.yaml}\n"
			if tt.config != "" {
				model = "jobernetes_config:\n  " + tt.config + "\n" + model
			}
			p := writeEnvModel(t, model, map[string]string{"job.yaml": envJob})
			m, err := Load(p, LoadOptions{})
			if tt.wantErr != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) || len(ve.Problems) != 1 {
					t.Fatalf("err %v, want one problem", err)
				}
				pr := ve.Problems[0]
				if got := pr.Field + ": " + pr.Message; !strings.Contains(got, tt.wantErr) || pr.Job != tt.wantErrJob || pr.File == "" {
					t.Fatalf("problem %+v, want %q of job %q in the model file", pr, tt.wantErr, tt.wantErrJob)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Options.Queue != tt.wantModel || m.Jobs()[0].Queue != tt.wantA || m.Jobs()[1].Queue != "" {
				t.Errorf("queues: model %q, a %q, b %q; want %q, %q, \"\"", m.Options.Queue, m.Jobs()[0].Queue, m.Jobs()[1].Queue, tt.wantModel, tt.wantA)
			}
		})
	}
}
