package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func TestParseEnv(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  map[string]string
		err   string
	}{
		{flags: nil, want: nil},
		{flags: []string{"DAY=2026-01-01", "Q=a=b", "EMPTY=", "DAY=2026-01-02"}, want: map[string]string{"DAY": "2026-01-02", "Q": "a=b", "EMPTY": ""}},
		{flags: []string{"DAY"}, err: `-e "DAY": write KEY=VALUE`},
		{flags: []string{"1X=a"}, err: `invalid environment variable name "1X"`},
		{flags: []string{"JOBERNETES_JOB=x"}, err: `"JOBERNETES_JOB" is set by jobernetes itself`},
	} {
		got, err := parseEnv(tc.flags)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseEnv(%q) error %v, want %q", tc.flags, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseEnv(%q) = %v, %v; want %v", tc.flags, got, err, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("parseEnv(%q)[%s] = %q, want %q", tc.flags, k, got[k], v)
			}
		}
	}
}

// --dry-run=client contacts no cluster: a table, a YAML stream or a List
// of exactly the Jobs the run would create, with the run's labels and env.
func TestRunDryRunClient(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent") // no cluster is needed
	code, stdout, stderr := run("run", "-f", simple, "-n", "demo", "--run-id", "r-1", "--dry-run=client", "-e", "DAY=2026-01-01")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if lines[0] != "run ID: r-1 (namespace demo, client dry run: nothing is created)" ||
		!strings.HasPrefix(lines[1], "PHASE") || len(lines) != 2+6 {
		t.Errorf("text output:\n%s", stdout)
	}
	if !strings.Contains(stdout, "end_sleep     wakeup ") || !strings.Contains(stdout, "phase-three-sleep-3.json") {
		t.Errorf("the directory job's manifests are missing:\n%s", stdout)
	}

	code, stdout, stderr = run("run", "-f", simple, "-n", "demo", "--run-id", "r-1", "--dry-run=client", "-e", "DAY=2026-01-01", "-o", "yaml")
	if code != ExitOK || !strings.Contains(stderr, "run ID: r-1") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stdout)))
	var docs []batchv1.Job
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var j batchv1.Job
		if err := yaml.UnmarshalStrict(doc, &j); err != nil {
			t.Fatalf("document %d: %v", len(docs), err)
		}
		docs = append(docs, j)
	}
	if len(docs) != 6 {
		t.Fatalf("%d YAML documents, want 6", len(docs))
	}
	for _, j := range docs {
		env := j.Spec.Template.Spec.Containers[0].Env
		if j.Namespace != "demo" || j.Labels["jobernetes.io/run"] != "r-1" || len(j.OwnerReferences) != 0 ||
			len(env) < 5 || env[0].Name != "JOBERNETES_RUN_ID" || env[4].Name != "DAY" || env[4].Value != "2026-01-01" {
			t.Errorf("Job %s: namespace %s labels %v owners %v env %v", j.Name, j.Namespace, j.Labels, j.OwnerReferences, env)
		}
	}

	code, stdout, _ = run("run", "-f", simple, "-n", "demo", "--run-id", "r-1", "--dry-run=client", "-o", "json")
	var list struct {
		Kind  string        `json:"kind"`
		Items []batchv1.Job `json:"items"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); code != ExitOK || err != nil || list.Kind != "List" || len(list.Items) != 6 || list.Items[0].Name != docs[0].Name {
		t.Errorf("-o json: exit %d, %v, kind %q, %d items", code, err, list.Kind, len(list.Items))
	}
}

func TestRunDryRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--dry-run=maybe"}, `unknown --dry-run "maybe"`},
		{[]string{"--dry-run=client", "-o", "table"}, `unknown -o "table"`},
		{[]string{"--dry-run=server", "-o", "yaml"}, "--dry-run=server prints text only"},
		{[]string{"--dry-run=client", "-e", "NOPE"}, `write KEY=VALUE`},
		{[]string{"--concurrent-creates", "0"}, `--concurrent-creates 0: want 1 or more`},
	} {
		code, stdout, stderr := run(append([]string{"run", "-f", simple, "-n", "demo"}, tc.args...)...)
		if code != ExitInvalid || stdout != "" || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.err)
		}
	}
}
