package status

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// `status -w` (piped) prints each change of a run and ends with it;
// `status -A` lists the runs of two namespaces.
func TestStatusWatchAndAllNamespaces(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns1, ns2 := cp.NewNamespace(t), cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": `jobernetes_config:
  cleanup: false
jobernetes:
  - phase_name: one
    jobs:
      - {name: a, job_path: ok0.yaml}
      - {name: b, job_path: ok2.yaml, depends_on: [a]}
`,
		"ok0.yaml": e2eutil.JobYAML("0s", false),
		"ok2.yaml": e2eutil.JobYAML("2s", false),
	})
	model := filepath.Join(dir, "jobermodel.yaml")

	run := start(t, nil, nil, "run", "-f", model, "-n", ns1, "--run-id", "watched")
	e2eutil.WaitFor(t, 30*time.Second, "the run record", func() bool {
		_, err := cp.Client.CoreV1().ConfigMaps(ns1).Get(context.Background(), "jobernetes-run-watched", metav1.GetOptions{})
		return err == nil
	})
	watcher := start(t, nil, nil, "status", "-w", "-n", ns1, "--run-id", "watched")
	if code := run.wait(t, time.Minute); code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	runEnded := time.Now()
	if code := watcher.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("status -w: exit %d", code)
	}
	t.Logf("MEASURE status -w ended %s after the run", time.Since(runEnded).Round(time.Millisecond))
	out := watcher.stdout.String()
	for _, want := range []string{": Running (", "one/b", " running", " succeeded", "watched in namespace " + ns1 + ": Succeeded (2/2 Jobs done)"} {
		if !strings.Contains(out, want) {
			t.Errorf("status -w output lacks %q", want)
		}
	}
	if i, j := strings.Index(out, "one/b"), strings.LastIndex(out, "one/b"); i == j {
		t.Errorf("status -w printed b once; want a line when it ran and one when it succeeded")
	}

	if code, _, _ := jobernetes(t, "run", "-f", model, "-n", ns2, "--run-id", "other"); code != 0 {
		t.Fatalf("second run: exit %d", code)
	}
	code, stdout, _ := jobernetes(t, "status", "-A")
	if code != 0 {
		t.Fatalf("status -A: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "NAMESPACE RUN RESULT JOBS AGE DURATION" {
		t.Errorf("status -A header %q", lines[0])
	}
	found := map[string]bool{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 6 && f[2] == "Succeeded" && f[3] == "2/2" {
			found[f[0]+"/"+f[1]] = true
		}
	}
	if !found[ns1+"/watched"] || !found[ns2+"/other"] {
		t.Errorf("status -A lists %v, want %s/watched and %s/other, succeeded 2/2", found, ns1, ns2)
	}
	// Newest first: "other" started after "watched".
	if strings.Index(stdout, "other") > strings.Index(stdout, "watched") {
		t.Errorf("status -A is not sorted newest first")
	}
	_, stdout, _ = jobernetes(t, "status", "-A", "-o", "json")
	var list struct {
		Kind  string
		Items []struct{ Namespace, RunID string }
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || list.Kind != "RunList" || len(list.Items) < 2 {
		t.Errorf("status -A -o json: %+v (%v)", list, err)
	}
}
