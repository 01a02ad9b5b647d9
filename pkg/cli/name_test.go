package cli

import (
	"context"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func TestInvokedName(t *testing.T) {
	for arg0, want := range map[string]string{
		"jobernetes":                           "jobernetes",
		"/usr/local/bin/jobernetes":            "jobernetes",
		"./_output/bin/jobernetes":             "jobernetes",
		"/home/u/.krew/bin/kubectl-jobernetes": "kubectl jobernetes",
		"kubectl-jobernetes.exe":               "kubectl jobernetes",
		"kubectl-job_ernetes":                  "kubectl job-ernetes",
		"jb":                                   "jb",
		"":                                     "jobernetes",
	} {
		if got := invokedName(arg0); got != want {
			t.Errorf("invokedName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// runAs is run for a command invoked under another name.
func runAs(name string, args ...string) (code int, stdout, stderr string) {
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	code = RunAs(context.Background(), name, args, streams)
	return code, out.String(), errOut.String()
}

func TestKubectlPluginName(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		want      []string // in stdout+stderr
		forbidden string   // not in stdout+stderr
	}{
		{[]string{"--help"}, 0, []string{"kubectl jobernetes [command]", `Use "kubectl jobernetes [command] --help"`}, "\n  jobernetes "},
		{[]string{"cronjob", "--help"}, 0, []string{
			"kubectl jobernetes cronjob --schedule CRON",
			`  kubectl jobernetes cronjob --schedule "0 2 * * *" -f jobermodel.yaml | kubectl apply -f -`,
		}, "  jobernetes cronjob"},
		{[]string{"bundle", "--help"}, 0, []string{"what 'kubectl jobernetes cronjob' prints", "kubectl jobernetes bundle -f jobermodel.yaml"}, "'jobernetes cronjob'"},
		{[]string{"version", "--bogus"}, ExitInvalid, []string{"Run 'kubectl jobernetes version --help' for usage."}, ""},
		{[]string{"cronjob", "-f", simple, "--schedule", ""}, ExitInvalid, []string{"('kubectl jobernetes bundle' runs the model once)"}, ""},
	}
	for _, tc := range tests {
		code, stdout, stderr := runAs("kubectl jobernetes", tc.args...)
		all := stdout + stderr
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d:\n%s", tc.args, code, tc.code, all)
		}
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, all)
			}
		}
		if tc.forbidden != "" && strings.Contains(all, tc.forbidden) {
			t.Errorf("%v: output holds %q:\n%s", tc.args, tc.forbidden, all)
		}
	}
	// Under its own name nothing changes.
	if _, stdout, _ := run("cronjob", "--help"); !strings.Contains(stdout, "\n  jobernetes cronjob --schedule") || strings.Contains(stdout, "kubectl jobernetes") {
		t.Errorf("help under the own name:\n%s", stdout)
	}
}
