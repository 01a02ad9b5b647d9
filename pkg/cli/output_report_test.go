package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// failedResult is a run of 5 Kubernetes Jobs: two succeeded, one failed,
// two never ran.
func failedResult() *runmeta.Result {
	d := func(sec float64) time.Duration { return time.Duration(sec * float64(time.Second)) }
	return &runmeta.Result{
		RunID: "etl-20261127-120000-ab12", Namespace: "data",
		Started: runStart, Finished: at(41.25),
		Jobs: []runmeta.JobReport{
			{Phase: "prepare", Job: "extract", Name: "extract-aaaaaaaa", State: "succeeded", JobTimes: runmeta.JobTimes{Created: at(0.2), Finished: at(12.5),
				Wait: d(0.2), Run: d(12.3), Total: d(12.5)}, Reason: "CompletionsReached"},
			{Phase: "process", Job: "transform", Name: "transform-bbbbbbbb", State: "failed", JobTimes: runmeta.JobTimes{Created: at(12.8), Finished: at(41),
				Wait: d(12.8), Run: d(28.2), Total: d(41)}, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
			{Phase: "process", Job: "load", Name: "load-cccccccc", State: "skipped", Reason: "Skipped",
				Message: "a Job of the run failed (failure_policy abort)"},
			{Phase: "process", Job: "report", Name: "report-dddddddd", State: "succeeded", JobTimes: runmeta.JobTimes{Created: at(12.9), Finished: at(20),
				Wait: d(12.9), Run: d(7.1), Total: d(20)}},
			{Phase: "publish", Job: "notify", Name: "notify-ffffffff", State: "waiting"},
		},
		NeverRan:     []string{"load", "notify"},
		Skipped:      []string{"load"},
		CriticalPath: []string{"extract", "transform"},
		CriticalTime: d(40.5),
		SummedTime:   d(47.6),
	}
}

func succeededResult() *runmeta.Result {
	r := failedResult()
	r.Jobs = r.Jobs[:1]
	r.NeverRan, r.Skipped, r.CriticalPath, r.CriticalTime, r.SummedTime = nil, nil, []string{"extract"}, r.Jobs[0].Run, r.Jobs[0].Run
	r.Succeeded, r.Finished = true, at(12.6)
	return r
}

// `run -o json` prints a report.RunReport; its schema is this golden file.
func TestRunReportGolden(t *testing.T) {
	res := failedResult()
	res.Failure = &res.Jobs[1]
	var buf bytes.Buffer
	if err := render.WriteJSON(&buf, report.NewRunReport(res, "examples/etl/jobermodel.yaml")); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.json", buf.String())

	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	var r report.RunReport
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Result != "Failed" || r.Failure == nil || r.Failure.Job != "transform" || len(r.Jobs) != 5 || r.WallSeconds != 41.25 {
		t.Errorf("decoded report: %+v", r)
	}

	// A succeeded run: no failure key, empty (not null) lists.
	buf.Reset()
	if err := render.WriteJSON(&buf, report.NewRunReport(succeededResult(), "m.yaml")); err != nil {
		t.Fatal(err)
	}
	var raw map[string]interface{}
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["failure"]; ok {
		t.Errorf("a succeeded run has a failure key")
	}
	if nr, ok := raw["neverRan"].([]interface{}); !ok || len(nr) != 0 {
		t.Errorf("neverRan = %#v, want []", raw["neverRan"])
	}
	if raw["result"] != "Succeeded" {
		t.Errorf("result %v", raw["result"])
	}
}

// The JUnit report parses back with encoding/xml: one test case per
// Kubernetes Job, a failure for the failed one, skipped for those that never
// ran.
func TestJUnitReport(t *testing.T) {
	res := failedResult()
	res.Failure = &res.Jobs[1]
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := report.WriteJUnitFile(path, res, "examples/etl/jobermodel.yaml"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.junit.xml", string(data))

	var got struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Classname string  `xml:"classname,attr"`
				Name      string  `xml:"name,attr"`
				Time      float64 `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Tests != 5 || got.Failures != 1 || got.Skipped != 2 || len(got.Suites) != 1 || len(got.Suites[0].Cases) != 5 {
		t.Fatalf("counts: tests %d failures %d skipped %d suites %d", got.Tests, got.Failures, got.Skipped, len(got.Suites))
	}
	for i, c := range got.Suites[0].Cases {
		j := res.Jobs[i]
		if c.Classname != j.Phase || c.Name != j.Job+"/"+j.Name {
			t.Errorf("case %d: classname %q name %q", i, c.Classname, c.Name)
		}
		switch j.State {
		case "failed":
			if c.Failure == nil || c.Failure.Type != "BackoffLimitExceeded" || !strings.Contains(c.Failure.Message, "backoff limit") {
				t.Errorf("case %d: failure %+v", i, c.Failure)
			}
			if c.Time != 28.2 {
				t.Errorf("case %d: time %v, want 28.2", i, c.Time)
			}
		case "waiting", "skipped":
			if c.Skipped == nil || c.Failure != nil {
				t.Errorf("case %d: not skipped", i)
			}
		default:
			if c.Skipped != nil || c.Failure != nil {
				t.Errorf("case %d: succeeded Job marked %+v %+v", i, c.Skipped, c.Failure)
			}
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left next to the report: %v", entries)
	}
}

func TestCheckJUnitPath(t *testing.T) {
	dir := t.TempDir()
	if err := report.CheckJUnitPath(filepath.Join(dir, "r.xml")); err != nil {
		t.Error(err)
	}
	if err := report.CheckJUnitPath(filepath.Join(dir, "missing", "r.xml")); err == nil {
		t.Error("a missing folder is accepted")
	}
	if err := report.CheckJUnitPath(dir); err == nil {
		t.Error("a folder is accepted as the report file")
	}
}

// Flags are checked before anything is created: usage errors, exit 2.
func TestRunOutputFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "wide"}, `unknown -o "wide"`},
		{[]string{"-o", "jsonpath={.runID"}, `-o jsonpath={.runID`},
		{[]string{"-o", "jsonpath-file=" + filepath.Join(t.TempDir(), "nope")}, `-o jsonpath-file=`},
		{[]string{"--junit", filepath.Join(t.TempDir(), "nope", "r.xml")}, "--junit"},
	} {
		args := append([]string{"run", "-f", simple, "--kubeconfig", writeKubeconfig(t)}, tc.args...)
		code, _, stderr := run(args...)
		if code != ExitInvalid || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

// writeKubeconfig points at a server nobody listens on: the tests above
// must fail before any request.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]
current-context: x
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The controller's events become the progress lines on Info: on stdout for
// -o text, on stderr for a machine format; a line held for a diagnosis
// that never came goes out when the term ends.
func TestRunOutputProgress(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			f := outputOptions{format: format, getenv: func(string) string { return "" }}
			o, err := f.open(genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}, &config.Model{}, "ns", "r1")
			if err != nil {
				t.Fatal(err)
			}
			o.OnTransition(runmeta.Transition{Phase: "p", Job: "a", Name: "a-x", State: runmeta.StateRunning})
			o.OnTransition(runmeta.Transition{Phase: "p", Job: "a", Name: "a-x", State: runmeta.StateFailed, Reason: "R", Message: "m", DiagnosisDue: true})
			o.OnNote(runmeta.Note{Kind: runmeta.NoteWarning, Text: "warning: w\n"})
			info := map[string]*bytes.Buffer{"text": &out, "json": &errOut}[format]
			want := "[     +0s] created   p/a (Job a-x)\n"
			if info.String() != want {
				t.Fatalf("before the diagnosis: %q, want %q", info.String(), want)
			}
			o.EndTerm()
			want += "[     +0s] FAILED    p/a (Job a-x): R: m\nwarning: w\n"
			if info.String() != want {
				t.Errorf("after the term: %q, want %q", info.String(), want)
			}
		})
	}
}
