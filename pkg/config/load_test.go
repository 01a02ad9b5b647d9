package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// problemLines loads a model and returns its problems as the user reads
// them, without the model file prefix and with the case folder dropped from
// manifest paths, so that the tables below stay readable.
func problemLines(t *testing.T, model string, opts LoadOptions) []string {
	t.Helper()
	m, err := Load(model, opts)
	if err == nil {
		t.Fatalf("Load(%s) accepted an invalid model: %d jobs", model, len(m.Jobs()))
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load(%s) error is %T, want *ValidationError: %v", model, err, err)
	}
	if m != nil {
		t.Errorf("Load returned a model along with problems")
	}
	dir := filepath.Dir(model) + string(filepath.Separator)
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		if p.File != model {
			t.Errorf("problem %d names file %q, want %q", i, p.File, model)
		}
		out[i] = strings.ReplaceAll(strings.TrimPrefix(unplaced(p).String(), p.File+": "), dir, "")
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(ve.Problems) {
		t.Errorf("Error() has %d lines for %d problems", got, len(ve.Problems))
	}
	return out
}

// unplaced is p without its line and column (TestProblemPositions checks
// those), so that the tables compare messages.
func unplaced(p Problem) Problem {
	p.Line, p.Column, p.ManifestLine, p.ManifestColumn = 0, 0, 0, 0
	return p
}

// sameLines compares problems with expectations; an expectation ending in
// "..." only fixes the start of the line (for apimachinery's long texts).
func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if w, prefix := strings.CutSuffix(want[i], "..."); prefix {
			ok = strings.HasPrefix(got[i], w)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestLoadInvalid(t *testing.T) {
	const (
		labelValue = "it must be usable as a Kubernetes label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character..."
		yaml11     = " (YAML reads unquoted yes, no, on, off, y, n, true, false and numbers as such; put the value in quotes)"
		reserved   = ": the jobernetes.io/ prefix is reserved: jobernetes sets these keys on the Jobs it creates"
		notRel     = " does not exist (job_path is relative to the model file's folder)"
		longPhase  = `phase "a-very-long-phase-name-that-goes-on-and-on-past-sixty-three-characters": `
	)
	tests := []struct {
		dir  string // under testdata/invalid
		want []string
	}{{
		dir: "unknown-keys",
		want: []string{
			`extra: unknown key; valid keys are jobernetes, jobernetes_config`,
			`jobernetes_config.cleanpu: unknown key (did you mean "cleanup"?); valid keys are cleanup, env, failure_policy, finally_phase, incluster, jobname, kubernetes_namespace, max_matrix, parallelization, queue, refresh_time, run_timeout, ssl_insecure_warnings`,
			`jobernetes_config.colour: unknown key; valid keys are cleanup, env, failure_policy, finally_phase, incluster, jobname, kubernetes_namespace, max_matrix, parallelization, queue, refresh_time, run_timeout, ssl_insecure_warnings`,
			`phase "p": jobernetes[0].job: unknown key (did you mean "jobs"?); valid keys are jobs, phase_name`,
			`phase "p": jobernetes[0].jobs: required: every phase needs at least one job`,
			`phase "q": job "a": jobernetes[1].jobs[0].dependson: unknown key (did you mean "depends_on"?); valid keys are depends_on, env, job_path, matrix, name, queue, results, revert_path, trigger_rule, type, when`,
			`phase "q": job "a": jobernetes[1].jobs[0].true: unknown key; YAML reads unquoted keys such as on, off, yes, no, y and n as booleans; valid keys are depends_on, env, job_path, matrix, name, queue, results, revert_path, trigger_rule, type, when`,
		},
	}, {
		dir: "duplicate-keys",
		want: []string{
			`duplicate key "cleanup"; each key may appear only once`,
			`duplicate key "name"; each key may appear only once`,
		},
	}, {
		dir: "bad-options",
		want: []string{
			`jobernetes_config.cleanup: must be true or false, not the string "maybe"`,
			`jobernetes_config.incluster: must be true or false, not the string "auto"`,
			`jobernetes_config.jobname: "--" cannot be a model name: ` + labelValue,
			`jobernetes_config.kubernetes_namespace: "Bad_NS" is not a valid namespace name: a lowercase RFC 1123 label must consist of...`,
			`jobernetes_config.parallelization: must be 0 (unlimited) or more, not -1`,
			`jobernetes_config.refresh_time: must be 0 or more, not -2`,
			`jobernetes_config.ssl_insecure_warnings: must be true or false, not the number 1`,
		},
	}, {
		dir: "bad-option-types",
		want: []string{
			`jobernetes_config.kubernetes_namespace: must be a string, not a list`,
			`jobernetes_config.parallelization: must be a whole number (0 = unlimited), not the number 1.5`,
			`jobernetes_config.refresh_time: must be a number of seconds, not the string "5s"`,
		},
	}, {
		dir:  "options-not-mapping",
		want: []string{`jobernetes_config: must be a mapping of options, not a list`},
	}, {
		dir:  "empty-file",
		want: []string{`the model file is empty; the model must be a mapping with the keys jobernetes_config and jobernetes`},
	}, {
		dir:  "top-level-list",
		want: []string{`the model must be a mapping with the keys jobernetes_config and jobernetes, not a list`},
	}, {
		dir:  "two-documents",
		want: []string{`the model file holds 2 YAML documents; it must hold exactly one`},
	}, {
		dir:  "not-yaml",
		want: []string{`not valid YAML: did not find expected '-' indicator`},
	}, {
		dir:  "no-phases",
		want: []string{`jobernetes: required: the list of phases is missing or empty`},
	}, {
		dir:  "phases-not-list",
		want: []string{`jobernetes: must be a list of phases, not a mapping`},
	}, {
		dir: "bad-entries",
		want: []string{
			`jobernetes[0]: a phase must be a mapping with the keys phase_name and jobs, not the string "just_a_string"`,
			`phase "p": jobernetes[1].jobs[0]: a job must be a mapping with the keys name and job_path, not the string "sleep_one"`,
			`phase "p": job "ok": jobernetes[1].jobs[1].depends_on: must be a list of job names, not the string "dream_a"; write [dream_a]`,
			`phase "q": jobernetes[2].jobs: must be a list of jobs, not a mapping`,
			`phase "r": jobernetes[3].jobs: required: every phase needs at least one job`,
		},
	}, {
		dir: "names",
		want: []string{
			`jobernetes[0].phase_name: required: the phase name must not be empty`,
			`job "dream a": jobernetes[0].jobs[0].name: "dream a" cannot be a job name: ` + labelValue,
			`jobernetes[1].phase_name: required: every phase needs a phase_name`,
			`jobernetes[1].jobs[0].name: must be a string, not the boolean true` + yaml11,
			`jobernetes[1].jobs[1].name: must be a string, not the number 83` + yaml11,
			longPhase + `jobernetes[2].phase_name: "a-very-long-phase-name-that-goes-on-and-on-past-sixty-three-characters" cannot be a phase name: it must be usable as a Kubernetes label value: must be no more than 63 bytes`,
			longPhase + `jobernetes[2].jobs[0].name: required: every job needs a name`,
			longPhase + `job "ok": jobernetes[2].jobs[3].depends_on[0]: required: a dependency must name a job`,
			longPhase + `job "ok": jobernetes[2].jobs[3].depends_on[1]: must be a string, not the number 7` + yaml11,
		},
	}, {
		dir: "job-paths",
		want: []string{
			`phase "p": job "missing_file": jobernetes[0].jobs[0].job_path: nope.yaml` + notRel,
			`phase "p": job "file_is_dir": jobernetes[0].jobs[1].job_path: jobs is a folder; add type: directory to run every Job manifest in it`,
			`phase "p": job "dir_is_file": jobernetes[0].jobs[2].job_path: job.yaml is a file, but type is directory; remove type: directory to run this one manifest`,
			`phase "p": job "empty_dir": jobernetes[0].jobs[3].job_path: folder empty holds no Job manifest (no .yaml, .yml or .json file, subfolders included)`,
			`phase "p": job "no_path": jobernetes[0].jobs[4].job_path: required: the path of the Job manifest file (or folder, with type: directory), relative to the model file's folder`,
			`phase "p": job "bad_type": jobernetes[0].jobs[5].type: Unsupported value "folder": must be file (the default), directory or model`,
			`phase "p": job "empty_path": jobernetes[0].jobs[6].job_path: required: job_path must not be empty`,
			`phase "p": job "missing_dir": jobernetes[0].jobs[7].job_path: nowhere` + notRel,
		},
	}, {
		dir: "manifests",
		want: []string{
			`phase "m": job "pod_yaml": pod.yaml: apiVersion "v1", kind "Pod" is not a Job: expected apiVersion: batch/v1 and kind: Job`,
			`phase "m": job "v1beta1_yaml": v1beta1.yaml: apiVersion "batch/v1beta1", kind "Job" is not a Job: expected apiVersion: batch/v1 and kind: Job`,
			`phase "m": job "unknown_field_yaml": unknown-field.yaml: unknown field "spec.paralelism"`,
			`phase "m": job "unknown_field_yaml": unknown-field.yaml: unknown field "spec.template.spec.containers[0].imagee"`,
			`phase "m": job "unknown_field_json": unknown-field.json: unknown field "spec.completion"`,
			`phase "m": job "malformed_yaml": malformed.yaml: not valid YAML or JSON: did not find expected node content`,
			`phase "m": job "multi_doc_yaml": multi-doc.yaml: the manifest holds 2 YAML documents; it must hold exactly one`,
			`phase "m": job "empty_yaml": empty.yaml: the file is empty; expected a batch/v1 Job`,
			`phase "m": job "no_kind_yaml": no-kind.yaml: apiVersion and kind are required: expected apiVersion: batch/v1 and kind: Job`,
			`phase "m": job "list_yaml": list.yaml: not a Kubernetes object: expected a mapping with apiVersion: batch/v1 and kind: Job`,
			`phase "m": job "wrong_type_yaml": wrong-type.yaml: cannot decode as a batch/v1 Job: json: cannot unmarshal string into Go struct field JobSpec.spec.parallelism of type int32`,
			`phase "m": job "duplicate_field_yaml": duplicate-field.yaml: duplicate key "labels"; each key may appear only once`,
			`phase "m": job "no_containers_yaml": no-containers.yaml: spec.template.spec.containers: Required value: a Job needs at least one container`,
			`phase "m": job "container_basics_yaml": container-basics.yaml: spec.template.spec.initContainers[0].image: Required value: every container needs an image`,
			`phase "m": job "container_basics_yaml": container-basics.yaml: spec.template.spec.containers[0].name: Required value: every container needs a name`,
			`phase "m": job "container_basics_yaml": container-basics.yaml: spec.template.spec.containers[1].name: Invalid value "Main_1": a lowercase RFC 1123 label must consist of...`,
			`phase "m": job "container_basics_yaml": container-basics.yaml: spec.template.spec.containers[2].name: Duplicate value "init": container names must be unique`,
			`phase "m": job "container_basics_yaml": container-basics.yaml: spec.template.spec.containers[2].image: Required value: every container needs an image`,
			`phase "m": job "restart_always_yaml": restart-always.yaml: spec.template.spec.restartPolicy: Unsupported value "Always": a Job's pods must use Never or OnFailure`,
			`phase "m": job "restart_empty_yaml": restart-empty.yaml: spec.template.spec.restartPolicy: Required value: the API server would default it to Always, which a Job rejects; use Never or OnFailure`,
			`phase "m": job "namespace_yaml": namespace.yaml: metadata.namespace: "other" differs from the run's namespace "team-a"; remove it: every Job of a run is created in the run's namespace`,
			`phase "m": job "owner_yaml": owner.yaml: metadata.ownerReferences: must be empty: jobernetes owns the Jobs it creates`,
			`phase "m": job "reserved_yaml": reserved.yaml: metadata.labels[jobernetes.io/run]` + reserved,
			`phase "m": job "reserved_yaml": reserved.yaml: metadata.annotations[jobernetes.io/note]` + reserved,
			`phase "m": job "reserved_yaml": reserved.yaml: spec.template.metadata.labels[jobernetes.io/phase]` + reserved,
			`phase "m": job "bad_labels_yaml": bad-labels.yaml: metadata.labels: Invalid value: "a b": name part must consist of...`,
			`phase "m": job "bad_labels_yaml": bad-labels.yaml: metadata.labels: Invalid value: "not ok!": a valid label must be an empty string or consist of...`,
			// The same broken file, named by a second job, is reported for it too.
			`phase "m": job "pod_again": pod.yaml: apiVersion "v1", kind "Pod" is not a Job: expected apiVersion: batch/v1 and kind: Job`,
			// A directory job: the bad file is named; notes.md is ignored.
			`phase "m": job "mixed_dir": mixed/b-bad.yml: spec.template.spec.restartPolicy: Unsupported value "Always": a Job's pods must use Never or OnFailure`,
		},
	}, {
		dir: "graph",
		want: []string{
			`phase "mid": job "fetch": jobernetes[1].jobs[0].depends_on: dependency cycle: fetch -> index -> load -> fetch (each job depends on the next); remove one of these dependencies`,
			`phase "mid": job "report": jobernetes[1].jobs[3].depends_on[0]: unknown job "indx" (did you mean "index"?); depends_on names jobs of the same phase`,
			`phase "mid": job "report": jobernetes[1].jobs[3].depends_on[1]: a job cannot depend on itself`,
			`phase "mid": job "report": jobernetes[1].jobs[3].depends_on[3]: "load" is listed more than once`,
			`phase "mid": job "clean": jobernetes[1].jobs[4].depends_on[0]: job "prep" is in phase "start"; depends_on may only name jobs of the same phase ("start" is an earlier phase, which always finishes before this one starts: remove the dependency)`,
			`phase "mid": job "clean": jobernetes[1].jobs[4].depends_on[1]: job "wrap" is in phase "end"; depends_on may only name jobs of the same phase ("end" is a later phase, which only starts after this one has finished)`,
			`phase "mid": jobernetes[2].phase_name: duplicate phase name "mid": phase names must be unique`,
			`phase "end": job "prep": jobernetes[3].jobs[1].name: duplicate job name "prep": job names must be unique in the whole model (also used in phase "start")`,
		},
	}}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			model := filepath.Join("testdata", "invalid", tc.dir, "jobermodel.yaml")
			got := problemLines(t, model, LoadOptions{})
			sameLines(t, got, tc.want)
			// Deterministic: a second load says exactly the same.
			sameLines(t, problemLines(t, model, LoadOptions{}), got)
		})
	}
}

func TestLoadYAML11AndEmptyDependencies(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "valid", "yaml11", "jobermodel.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := m.Options
	if !o.Cleanup || o.InCluster == nil || *o.InCluster || o.SSLInsecureWarnings ||
		o.Parallelization != 3 || o.RefreshTime != 2.5 || o.Namespace != "team-a" || o.JobName != "Nightly_ETL" {
		t.Errorf("options = %+v (incluster %v)", o, o.InCluster)
	}
	jobs := m.Jobs()
	if len(jobs) != 3 || len(jobs[0].DependsOn) != 0 || len(jobs[1].DependsOn) != 0 || len(jobs[2].DependsOn) != 2 {
		t.Fatalf("jobs = %+v", jobs)
	}
	if c := jobs[2]; c.Type != TypeFile || c.Path != "./sub/../job.yaml" || c.Manifests[0].RelPath != "job.yaml" {
		t.Errorf("c: type %q path %q rel %q", c.Type, c.Path, c.Manifests[0].RelPath)
	}
	// Three jobs name one file: it is decoded once and shared, read-only.
	if jobs[0].Manifests[0] != jobs[1].Manifests[0] || jobs[0].Manifests[0] != jobs[2].Manifests[0] {
		t.Error("jobs naming one file got separate copies of its manifest")
	}
	if got := m.Graph.Decide(make([]graph.NodeState, m.Graph.Len()), graph.Run{}).Create; len(got) != 2 {
		t.Errorf("Decide creates %v, want a and b", got)
	}
}

func TestLoadDefaults(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "valid", "defaults", "jobermodel.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Options, DefaultOptions()) || m.Options.InCluster != nil || m.Options.Cleanup || !m.Options.SSLInsecureWarnings {
		t.Errorf("options = %+v, want the original tool's defaults", m.Options)
	}
	if m.Dir != filepath.Join("testdata", "valid", "defaults") || m.Path != filepath.Join(m.Dir, "jobermodel.yaml") {
		t.Errorf("Path %q Dir %q", m.Path, m.Dir)
	}
	mf := m.Jobs()[0].Manifests[0]
	if mf.Path != filepath.Join(m.Dir, "job.json") || mf.RelPath != "job.json" || mf.Job.Namespace != "anything" {
		t.Errorf("manifest %+v", mf)
	}
	if m.KubernetesJobs() != 1 || m.Jobs()[0].PhaseIndex != 0 || m.Jobs()[0].Phase != "only" {
		t.Errorf("model %+v", m)
	}
}

// TestLoadNamespace: a manifest's namespace is compared with -n when given,
// else with kubernetes_namespace; with neither it is not compared.
func TestLoadNamespace(t *testing.T) {
	model := filepath.Join("testdata", "valid", "namespaced", "jobermodel.yaml")
	for _, ns := range []string{"", "default"} {
		if _, err := Load(model, LoadOptions{Namespace: ns}); err != nil {
			t.Errorf("-n %q: %v", ns, err)
		}
	}
	sameLines(t, problemLines(t, model, LoadOptions{Namespace: "other"}), []string{
		`phase "p": job "a": job.yaml: metadata.namespace: "default" differs from the run's namespace "other"; remove it: every Job of a run is created in the run's namespace`,
	})
	sameLines(t, problemLines(t, model, LoadOptions{Namespace: "Not_Valid"}), []string{
		`namespace (-n) "Not_Valid" is not a valid namespace name: a lowercase RFC 1123 label must consist of...`,
	})
}

func TestLoadModelFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.yaml")
	sameLines(t, problemLines(t, missing, LoadOptions{}), []string{"model file not found (use -f to name another one)"})
	sameLines(t, problemLines(t, dir, LoadOptions{}), []string{"is a folder; -f must name the model file (such as jobermodel.yaml)"})
}

// TestLoadFileSystem covers what testdata cannot hold: absolute paths,
// special files, and the sort order of nested folders.
func TestLoadFileSystem(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("testdata", "valid", "yaml11", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// "a.yaml" sorts before "a/b.yaml" (as path strings), whatever order
	// the folder walk visits them in.
	for _, f := range []string{"d/a/b.yaml", "d/a.yaml", "d/a-c.json", "d/z/y/x.yml", "d/README"} {
		write(f, good)
	}
	abs := filepath.Join(dir, "d", "a.yaml")
	if err := os.Symlink("/dev/null", filepath.Join(dir, "null.yaml")); err != nil {
		t.Fatal(err)
	}
	model := `jobernetes:
  - phase_name: p
    jobs:
      - name: dir
        type: directory
        job_path: d
      - name: abs
        job_path: ` + abs + "\n"
	write("jobermodel.yaml", []byte(model))
	m, err := Load(filepath.Join(dir, "jobermodel.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, mf := range m.Jobs()[0].Manifests {
		rel = append(rel, mf.RelPath)
	}
	sameLines(t, rel, []string{"d/a-c.json", "d/a.yaml", "d/a/b.yaml", "d/z/y/x.yml"})
	if got := m.Jobs()[1].Manifests[0]; got.RelPath != "d/a.yaml" || got.Path != abs {
		t.Errorf("absolute job_path: Path %q RelPath %q", got.Path, got.RelPath)
	}
	if m.KubernetesJobs() != 5 {
		t.Errorf("KubernetesJobs = %d, want 5", m.KubernetesJobs())
	}

	write("jobermodel.yaml", []byte(model+"      - name: null_device\n        job_path: null.yaml\n"))
	sameLines(t, problemLines(t, filepath.Join(dir, "jobermodel.yaml"), LoadOptions{}), []string{
		`phase "p": job "null_device": null.yaml: not a regular file`,
	})

	// confine (used by the fuzz target) refuses paths outside the folder.
	sameLines(t, problemLines(t, filepath.Join(dir, "jobermodel.yaml"), LoadOptions{confine: true}), []string{
		`phase "p": job "abs": jobernetes[0].jobs[1].job_path: "d/a.yaml" is outside the model's folder`, // dir/ dropped by problemLines
		`phase "p": job "null_device": null.yaml: not a regular file`,
	})
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Message: "m"}, "m"},
		{Problem{File: "f.yaml", Message: "m"}, "f.yaml: m"},
		{Problem{File: "x/jobermodel.yaml", Phase: "mid_sleep", Job: "dream_a", Manifest: "x/test-dir/a.yaml",
			Field: "spec.template.spec.restartPolicy", Message: `Unsupported value "Always": a Job's pods must use Never or OnFailure`},
			`x/jobermodel.yaml: phase "mid_sleep": job "dream_a": x/test-dir/a.yaml: spec.template.spec.restartPolicy: Unsupported value "Always": a Job's pods must use Never or OnFailure`},
		{Problem{File: "f", Job: "j", Field: "x"}, `f: job "j": x`},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	e := &ValidationError{Problems: []Problem{{Message: "a"}, {Message: "b"}}}
	if e.Error() != "a\nb" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestSanitizeDNS(t *testing.T) {
	tests := map[string]string{
		"dream_a":           "dream-a",
		"Nightly.ETL":       "nightly-etl",
		"__a__b..c--d__":    "a-b-c-d",
		"ok":                "ok",
		"123":               "123",
		"":                  "",
		"___":               "",
		"Ünïcode Straße 9!": "n-code-stra-e-9",
	}
	for in, want := range tests {
		if got := SanitizeDNS(in); got != want {
			t.Errorf("SanitizeDNS(%q) = %q, want %q", in, got, want)
		}
	}
}
