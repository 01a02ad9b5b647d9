package status

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/jobernetes/jobernetes/pkg/cli"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// version reports the real API server's version (and skips it with
// --client), as kubectl version does.
func TestVersionShowsTheServer(t *testing.T) {
	framework.RequireCluster(t)
	code, stdout, stderr := jobernetes(t, "version", "-o", "json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var v cli.Versions
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.ServerVersion == nil || !strings.HasPrefix(v.ServerVersion.GitVersion, "v1.") || v.ClientVersion.Version == "" {
		t.Errorf("version -o json: %s", stdout)
	}
	_, stdout, _ = jobernetes(t, "version", "--client", "-o", "yaml")
	if strings.Contains(stdout, "serverVersion") || !strings.Contains(stdout, "clientVersion:") {
		t.Errorf("version --client -o yaml: %s", stdout)
	}
}

// run -o yaml prints the RunReport, status -o yaml|jsonpath|name the run,
// all read from the real cluster; -o name is what kubectl takes.
func TestOutputFormats(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": "jobernetes:\n  - phase_name: one\n    jobs:\n      - {name: a, job_path: ok.yaml}\n" +
			"      - {name: b, job_path: ok.yaml, depends_on: [a], trigger_rule: all_done}\n",
		"ok.yaml": e2eutil.JobYAML("0s", false),
	})
	code, stdout, stderr := jobernetes(t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "-o", "yaml")
	if code != 0 {
		t.Fatalf("run exit %d: %s", code, stderr)
	}
	var rep report.RunReport
	if err := yaml.UnmarshalStrict([]byte(stdout), &rep); err != nil {
		t.Fatalf("run -o yaml: %v\n%s", err, stdout)
	}
	if rep.Kind != "RunReport" || rep.Result != "Succeeded" || len(rep.Jobs) != 2 {
		t.Fatalf("run -o yaml: %+v", rep)
	}

	_, stdout, _ = jobernetes(t, "status", "--run-id", rep.RunID, "-n", ns, "-o", "yaml")
	var st report.RunStatus
	if err := yaml.UnmarshalStrict([]byte(stdout), &st); err != nil || st.RunID != rep.RunID || len(st.Jobs) != 2 || st.Jobs[1].TriggerRule != "all_done" {
		t.Errorf("status -o yaml: %v\n%s", err, stdout)
	}
	if _, out, _ := jobernetes(t, "status", "--run-id", rep.RunID, "-n", ns, "-o", "jsonpath={.result}"); out != "Succeeded" {
		t.Errorf("status -o jsonpath: %q", out)
	}
	_, name, _ := jobernetes(t, "status", "--run-id", rep.RunID, "-n", ns, "-o", "name")
	if name != "configmap/jobernetes-run-"+rep.RunID+"\n" {
		t.Fatalf("status -o name: %q", name)
	}
	if _, err := cp.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), strings.TrimPrefix(strings.TrimSpace(name), "configmap/"), metav1.GetOptions{}); err != nil {
		t.Errorf("-o name names no object: %v", err)
	}
	if _, mm, _ := jobernetes(t, "status", "--run-id", rep.RunID, "-n", ns, "-o", "mermaid"); !strings.Contains(mm, `["b (all_done): succeeded`) {
		t.Errorf("status -o mermaid shows no trigger rule:\n%s", mm)
	}
}
