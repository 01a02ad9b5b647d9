package run

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// A Job failing with exit code 3: its pod, container, exit code,
// termination message and last 20 log lines (of 25) are in the text
// report, the JSON report, JUnit and status.
func TestFailureDiagnosis(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	var logLines []string
	for i := 1; i <= 25; i++ {
		logLines = append(logLines, fmt.Sprintf("loading row %d", i))
	}
	cp.SetContainerLogs(t, ns, map[string][]string{"main": logLines})
	failing := strings.Replace(e2eutil.JobYAML("500ms", true), "        test.jobernetes.io/outcome: fail\n",
		"        test.jobernetes.io/outcome: fail\n        test.jobernetes.io/exit-code: \"3\"\n        test.jobernetes.io/termination-message: \"input file /data/in.csv is empty\"\n", 1)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", `
  - phase_name: one
    jobs:
      - {name: load, job_path: fail.yaml}
`),
		"fail.yaml": failing,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	start := time.Now()
	r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", "diag", "-o", "json", "--junit", junit)
	t.Logf("MEASURE failure diagnosis: run with a 0.5s failing Job ended, diagnosis printed, after %s", time.Since(start).Round(time.Millisecond))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	const msg = "input file /data/in.csv is empty"
	// Text (on stderr with -o json).
	for _, want := range []string{"container main: exit code 3 (Error): " + msg, "pod load-"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	// The default --log-lines 20: rows 6 to 25, below the pod line.
	if !strings.Contains(r.stderr, "last log lines:\n             | loading row 6\n") || !strings.Contains(r.stderr, "| loading row 25\n") ||
		strings.Contains(r.stderr, "| loading row 5\n") {
		t.Errorf("text report lacks the log tail (rows 6 to 25):\n%s", r.stderr)
	}
	var rep struct {
		Failure struct {
			Pods []struct {
				Pod, Container, Reason, Message string
				ExitCode                        int32
				LogTail                         []string
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if p := rep.Failure.Pods; len(p) != 1 || p[0].Container != "main" || p[0].ExitCode != 3 || p[0].Reason != "Error" || p[0].Message != msg || !strings.HasPrefix(p[0].Pod, "load-") {
		t.Errorf("JSON failure pods %+v, want main exit code 3 Error with the message", p)
	} else if tail := p[0].LogTail; len(tail) != 20 || tail[0] != "loading row 6" || tail[19] != "loading row 25" {
		t.Errorf("JSON logTail %q, want loading rows 6 to 25", tail)
	}
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &suites); err != nil || len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != 1 || suites.Suites[0].Cases[0].Failure == nil ||
		!strings.Contains(suites.Suites[0].Cases[0].Failure.Text, "exit code 3 (Error): "+msg) {
		t.Errorf("JUnit failure body lacks the pod's exit code and message:\n%s", raw)
	} else if body := suites.Suites[0].Cases[0].Failure.Text; !strings.Contains(body, "  | loading row 6\n") || !strings.Contains(body, "  | loading row 25\n") {
		t.Errorf("JUnit failure body lacks the log tail:\n%s", body)
	}
	r = jobernetes(ctx, t, "status", "-n", ns, "--run-id", "diag")
	if !strings.Contains(r.stdout, "exit code 3 (Error): "+msg) || !strings.Contains(r.stdout, "    | loading row 25\n") {
		t.Errorf("status does not say why load failed, with the log tail:\n%s", r.stdout)
	}
}

// A pod the scheduler cannot place (a nodeSelector no node matches) is
// said once, with the scheduler's message, while the run waits; status
// says it too. The run is then cancelled.
func TestUnschedulablePodIsReported(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	stuck := strings.Replace(e2eutil.JobYAML("0s", false), "      restartPolicy: Never\n",
		"      restartPolicy: Never\n      nodeSelector: {disk: nvme-that-no-node-has}\n", 1)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": modelWith("", `
  - phase_name: one
    jobs:
      - {name: stuck, job_path: stuck.yaml}
`),
		"stuck.yaml": stuck,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	start := time.Now()
	p := jn.Start(t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", "stuck")
	e2eutil.WaitFor(t, 30*time.Second, "the run to say the pod is unschedulable", func() bool {
		return strings.Contains(p.Stdout(), "Unschedulable")
	})
	t.Logf("MEASURE unschedulable pod reported %s after the run started", time.Since(start).Round(time.Millisecond))
	out := p.Stdout()
	if !strings.Contains(out, "waiting: one/stuck") || !strings.Contains(out, "node(s) didn't match") {
		t.Errorf("the waiting line lacks the job or the scheduler's message:\n%s", out)
	}
	r := jobernetes(ctx, t, "status", "-n", ns, "--run-id", "stuck")
	if !strings.Contains(r.stdout, "waits: Unschedulable") {
		t.Errorf("status does not say why stuck waits")
	}
	time.Sleep(2 * time.Second) // more resyncs: the line is not repeated
	if n := strings.Count(p.Stdout(), "Unschedulable"); n != 1 {
		t.Errorf("the unschedulable pod was reported %d times, want once", n)
	}
	if r := jobernetes(ctx, t, "cancel", "-n", ns, "--run-id", "stuck"); r.code != 0 {
		t.Errorf("cancel: exit %d", r.code)
	}
	res := p.Wait()
	t.Logf("orchestrator -> exit %d\n%s", res.Code, res.Stdout)
	if res.Code != 1 {
		t.Errorf("cancelled run: exit %d, want 1", res.Code)
	}
}
