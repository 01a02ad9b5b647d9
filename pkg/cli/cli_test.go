package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// run runs a jobernetes command line in-process.
func run(args ...string) (code int, stdout, stderr string) {
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	code = Run(context.Background(), args, streams)
	return code, out.String(), errOut.String()
}

var (
	simple   = filepath.Join("..", "..", "examples", "simple", "jobermodel.yaml")
	advanced = filepath.Join("..", "..", "examples", "advanced", "jobermodel.yaml")
	invalid  = filepath.Join("testdata", "invalid", "jobermodel.yaml")
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr []string // lines
	}{{
		name:   "simple example",
		args:   []string{"validate", "-f", simple},
		stdout: simple + " is valid: 3 phases, 4 jobs, 6 Kubernetes Jobs\n",
	}, {
		name:   "advanced example, long flag",
		args:   []string{"validate", "--filename", advanced},
		stdout: advanced + " is valid: 3 phases, 6 jobs, 8 Kubernetes Jobs\n",
	}, {
		name: "every problem on stderr, then a count",
		args: []string{"validate", "-f", invalid},
		code: ExitInvalid,
		stderr: []string{
			invalid + `:4:3: jobernetes_config.clean_up: unknown key (did you mean "cleanup"?); valid keys are cleanup, env, failure_policy, finally_phase, incluster, jobname, kubernetes_namespace, max_matrix, parallelization, queue, refresh_time, run_timeout, ssl_insecure_warnings`,
			invalid + `:9:9: phase "p": job "a": jobernetes[0].jobs[0].job_path: ` + filepath.Join("testdata", "invalid", "missing.yaml") + ` does not exist (job_path is relative to the model file's folder)`,
			invalid + `:10:9: phase "p": job "a": jobernetes[0].jobs[0].depends_on: dependency cycle: a -> b -> a (each job depends on the next); remove one of these dependencies`,
			invalid + `:12:9: phase "p": job "b": jobernetes[0].jobs[1].job_path: ` + filepath.Join("testdata", "invalid", "missing.yaml") + ` does not exist (job_path is relative to the model file's folder)`,
			"found 4 problems in " + invalid,
		},
	}, {
		name:   "missing model file",
		args:   []string{"validate", "-f", filepath.Join("testdata", "nope.yaml")},
		code:   ExitInvalid,
		stderr: []string{filepath.Join("testdata", "nope.yaml") + ": model file not found (use -f to name another one)", "found 1 problem in " + filepath.Join("testdata", "nope.yaml")},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if stdout != tc.stdout {
				t.Errorf("stdout:\n%q\nwant:\n%q", stdout, tc.stdout)
			}
			want := ""
			if tc.stderr != nil {
				want = strings.Join(tc.stderr, "\n") + "\n"
			}
			if stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
			}
		})
	}
}

// TestValidateDefaultFile: without -f, validate reads jobermodel.yaml in
// the current folder, as the original tool did.
func TestValidateDefaultFile(t *testing.T) {
	t.Chdir(filepath.Dir(simple))
	code, stdout, stderr := run("validate")
	if code != ExitOK || stdout != "jobermodel.yaml is valid: 3 phases, 4 jobs, 6 Kubernetes Jobs\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestGraphGolden(t *testing.T) {
	for _, model := range []string{"simple", "advanced", "failure-handling"} {
		for _, format := range []string{"text", "mermaid", "dot"} {
			t.Run(model+"/"+format, func(t *testing.T) {
				path := filepath.Join("..", "..", "examples", model, "jobermodel.yaml")
				code, stdout, stderr := run("graph", "-f", path, "--format", format)
				if code != ExitOK || stderr != "" {
					t.Fatalf("exit %d, stderr:\n%s", code, stderr)
				}
				golden := filepath.Join("testdata", "golden", model+"."+format)
				if *update {
					if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./pkg/cli -update to create it)", err)
				}
				if stdout != string(want) {
					t.Errorf("output differs from %s (go test ./pkg/cli -update rewrites it):\n%s", golden, stdout)
				}
			})
		}
	}
}

func TestGraphDefaultsToText(t *testing.T) {
	_, text, _ := run("graph", "-f", simple, "--format", "text")
	code, stdout, _ := run("graph", "-f", simple)
	if code != ExitOK || stdout != text {
		t.Errorf("graph without --format: exit %d, output:\n%s", code, stdout)
	}
}

func TestGraphErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string // first line
	}{
		{"invalid model", []string{"graph", "-f", invalid, "--format", "mermaid"}, invalid + ":4:3: jobernetes_config.clean_up: unknown key"},
		{"unknown format", []string{"graph", "-f", simple, "--format", "svg"}, `Error: unknown --format "svg": use text, mermaid or dot`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			if code != ExitInvalid || stdout != "" || !strings.HasPrefix(stderr, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and stderr starting %q", code, stdout, stderr, tc.stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"validate", "--bogus"}, "Error: unknown flag: --bogus\nRun 'jobernetes validate --help' for usage.\n"},
		{[]string{"nope"}, "Error: unknown command \"nope\" for \"jobernetes\"\nRun 'jobernetes --help' for usage.\n"},
		{[]string{"validate", "extra"}, "Error: unknown command \"extra\" for \"jobernetes validate\"\nRun 'jobernetes validate --help' for usage.\n"},
		{[]string{"graph", "-f"}, "Error: flag needs an argument: 'f' in -f\nRun 'jobernetes graph --help' for usage.\n"},
		{[]string{"version", "now"}, "Error: unknown command \"now\" for \"jobernetes version\"\nRun 'jobernetes version --help' for usage.\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			if code != ExitInvalid || stdout != "" || stderr != tc.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", code, stdout, stderr, tc.stderr)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, stdout, _ := run("version")
	if code != ExitOK || !strings.HasPrefix(stdout, "jobernetes ") || !strings.Contains(stdout, "commit: ") || !strings.Contains(stdout, "go: go1.") {
		t.Errorf("version: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = run("--help")
	for _, sub := range []string{"validate", "graph", "run", "version"} {
		if !strings.Contains(stdout, "  "+sub+" ") {
			t.Errorf("help does not list %s:\n%s", sub, stdout)
		}
	}
	if code != ExitOK {
		t.Errorf("help: exit %d", code)
	}
}

// TestExitCodes checks the mapping of RunE errors to exit codes, with
// commands made for the test.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"success", nil, ExitOK, ""},
		{"plain error is a run failure", errors.New("boom"), ExitRunFailed, "Error: boom\n"},
		{"cluster error", &ExitError{Code: ExitCluster, Err: errors.New("forbidden")}, ExitCluster, "Error: forbidden\n"},
		{"silent", &ExitError{Code: ExitRunFailed, Err: errors.New("said already"), Silent: true}, ExitRunFailed, ""},
		{"wrapped exit error keeps its code", errorsJoin(&ExitError{Code: ExitCluster, Err: errors.New("x")}), ExitCluster, "Error: x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := &cobra.Command{Use: "jobernetes", SilenceErrors: true, SilenceUsage: true}
			root.AddCommand(&cobra.Command{Use: "do", RunE: func(*cobra.Command, []string) error { return tc.err }})
			wrapRunErrors(root)
			root.SetArgs([]string{"do"})
			var out bytes.Buffer
			_, err := root.ExecuteC()
			if code := exitCode(err, "jobernetes do", &out); code != tc.code || out.String() != tc.stderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, out.String(), tc.code, tc.stderr)
			}
		})
	}
}

// errorsJoin wraps err the way a caller adding context would.
func errorsJoin(err error) error { return errors.Join(err) }
