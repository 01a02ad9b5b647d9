package config

import (
	"path/filepath"
	"slices"
	"testing"
)

// The shipped examples must load, and load as the model says.
func TestLoadExamples(t *testing.T) {
	tests := []struct {
		dir       string
		phases    []string
		jobs      []string
		manifests map[string][]string // job -> RelPaths
		cleanup   bool
	}{{
		dir:    "simple",
		phases: []string{"start_sleep", "mid_sleep", "end_sleep"},
		jobs:   []string{"sleep_one", "dream_a", "dream_b", "wakeup"},
		manifests: map[string][]string{
			"sleep_one": {"test-dir/0-prepare/phase-one-sleep-5.yaml"},
			"wakeup": {
				"test-dir/2-finalize/phase-three-sleep-10.yml",
				"test-dir/2-finalize/phase-three-sleep-20.yaml",
				"test-dir/2-finalize/reports/phase-three-sleep-3.json",
			},
		},
		cleanup: true,
	}, {
		dir:    "advanced",
		phases: []string{"start_sleep", "mid_sleep", "end_sleep"},
		jobs:   []string{"sleep_one", "dream_a", "sleep_hickup_a", "dream_b", "sleep_hickup_b", "wakeup"},
		manifests: map[string][]string{
			"sleep_hickup_b": {"test-dir/1-gather/phase-two-sleep-10a.yaml"},
		},
		cleanup: true,
	}}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			path := filepath.Join("..", "..", "examples", tc.dir, "jobermodel.yaml")
			m, err := Load(path, LoadOptions{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var phases, jobs []string
			for _, p := range m.Phases {
				phases = append(phases, p.Name)
			}
			for i, j := range m.Jobs() {
				jobs = append(jobs, j.Name)
				if j.Index != i || m.Graph.Node(i).Name != j.Name {
					t.Errorf("job %s: Index %d, graph node %q", j.Name, j.Index, m.Graph.Node(i).Name)
				}
				for _, mf := range j.Manifests {
					if mf.Job == nil || len(mf.Job.Spec.Template.Spec.Containers) == 0 {
						t.Errorf("%s: manifest %s not decoded", j.Name, mf.Path)
					}
					if ann := mf.Job.Spec.Template.Annotations["test.jobernetes.io/duration"]; ann == "" {
						t.Errorf("%s: %s has no test.jobernetes.io/duration", j.Name, mf.Path)
					}
				}
			}
			if !slices.Equal(phases, tc.phases) || !slices.Equal(jobs, tc.jobs) {
				t.Errorf("phases %v jobs %v, want %v %v", phases, jobs, tc.phases, tc.jobs)
			}
			for name, want := range tc.manifests {
				i, _ := m.Graph.Index(name)
				var got []string
				for _, mf := range m.Jobs()[i].Manifests {
					got = append(got, mf.RelPath)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s manifests = %v, want %v", name, got, want)
				}
			}
			if m.Options.Cleanup != tc.cleanup || !m.Options.SSLInsecureWarnings {
				t.Errorf("options = %+v", m.Options)
			}
		})
	}
}

// A Model built by hand (as controller tests do) still lists its jobs.
func TestJobsOfHandBuiltModel(t *testing.T) {
	a, b, c := &Job{Name: "a"}, &Job{Name: "b"}, &Job{Name: "c", Manifests: []*Manifest{{}, {}}}
	m := &Model{Phases: []Phase{{Name: "p", Jobs: []*Job{a, b}}, {Name: "q", Jobs: []*Job{c}}}}
	if got := m.Jobs(); !slices.Equal(got, []*Job{a, b, c}) {
		t.Errorf("Jobs() = %v", got)
	}
	if m.KubernetesJobs() != 2 {
		t.Errorf("KubernetesJobs() = %d, want 2", m.KubernetesJobs())
	}
}
