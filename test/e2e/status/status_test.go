package status

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

var (
	runIDLine   = regexp.MustCompile(`run ID: (\S+)`)
	metricsLine = regexp.MustCompile(`metrics: http://(\S+)/metrics`)
)

// The run of TestWatchingARun:
//
//	phase one:  a --> b           (b runs 6s)
//	            a --> c --> d     (c fails after 4s: d never runs)
//	phase two:  e (a directory of 2 Jobs, never runs)
//
// cleanup is on: a and b are deleted once recorded, c (failed) is kept.
func failingRun(t *testing.T) string {
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": `jobernetes_config:
  cleanup: true
  jobname: watchme
jobernetes:
  - phase_name: one
    jobs:
      - {name: a, job_path: ok1.yaml}
      - {name: b, job_path: ok6.yaml, depends_on: [a]}
      - {name: c, job_path: fail4.yaml, depends_on: [a]}
      - {name: d, job_path: ok0.yaml, depends_on: [c]}
  - phase_name: two
    jobs:
      - {name: e, type: directory, job_path: two}
`,
		"ok0.yaml":   e2eutil.JobYAML("0s", false),
		"ok1.yaml":   e2eutil.JobYAML("1s", false),
		"ok6.yaml":   e2eutil.JobYAML("6s", false),
		"fail4.yaml": e2eutil.JobYAML("4s", true),
		"two/x.yaml": e2eutil.JobYAML("0s", false),
		"two/y.yaml": e2eutil.JobYAML("0s", false),
	})
	return filepath.Join(dir, "jobermodel.yaml")
}

// statusJSON runs `status -o json` and decodes it strictly into the
// documented schema.
func statusJSON(t *testing.T, ns, runID string) *report.RunStatus {
	t.Helper()
	code, stdout, _ := jobernetes(t, "status", "--run-id", runID, "-n", ns, "-o", "json")
	if code != 0 {
		t.Fatalf("status exit %d", code)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	st := &report.RunStatus{}
	if err := dec.Decode(st); err != nil {
		t.Fatalf("status -o json does not decode into RunStatus: %v", err)
	}
	if dec.More() {
		t.Fatalf("status -o json: more than one JSON value on stdout")
	}
	if st.APIVersion != "jobernetes.io/v1alpha1" || st.Kind != "RunStatus" || st.RunID != runID || st.Namespace != ns {
		t.Errorf("status header: %s %s %s %s", st.APIVersion, st.Kind, st.RunID, st.Namespace)
	}
	return st
}

// checkAgainstWatch: every Job's state in st agrees with what the test's
// watch saw before the status was taken (before) and after it (after). A
// Job that changed between the two may show either side.
func checkAgainstWatch(t *testing.T, when string, st *report.RunStatus, before, after map[string]jobLife) map[string]string {
	t.Helper()
	states := map[string]string{}
	for _, js := range st.Jobs {
		b, inBefore := before[js.KubernetesJob]
		a, inAfter := after[js.KubernetesJob]
		var allowed []string
		switch {
		case !inAfter: // never created: waiting, or skipped once the run decided it never will be
			allowed = []string{"waiting", "skipped"}
		case inBefore && b.state() != "running":
			allowed = []string{b.state()}
		case inBefore && a.state() == "running":
			allowed = []string{"running"}
		case inBefore:
			allowed = []string{"running", a.state()}
		default:
			allowed = []string{"waiting", "running", a.state()}
		}
		ok := false
		for _, s := range allowed {
			ok = ok || s == js.State
		}
		if !ok {
			t.Errorf("%s: status says %s/%s (Job %s) is %s; the watch allows %v", when, js.Phase, js.Job, js.KubernetesJob, js.State, allowed)
		}
		states[js.Job] = js.State
	}
	t.Logf("%s: status states %v", when, states)
	return states
}

// One failing run, watched every way a user can: status while it goes, the
// metrics endpoint, `run -o json`, the JUnit file, status after it ended and
// after cleanup, Events.
func TestWatchingARun(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	rec := watchJobs(t, ns)
	junit := filepath.Join(t.TempDir(), "report.xml")
	runStarted := time.Now()
	p := start(t, nil, nil, "run", "-f", failingRun(t), "-n", ns, "-o", "json", "--junit", junit, "--metrics-addr", "127.0.0.1:0")

	var runID, metricsAddr string
	e2eutil.WaitFor(t, 30*time.Second, "the run ID and the metrics address on stderr", func() bool {
		s := p.stderr.String()
		if m := runIDLine.FindStringSubmatch(s); m != nil {
			runID = m[1]
		}
		if m := metricsLine.FindStringSubmatch(s); m != nil {
			metricsAddr = m[1]
		}
		return runID != "" && metricsAddr != ""
	})

	// During the run: a succeeded, b and c were created.
	e2eutil.WaitFor(t, 60*time.Second, "b and c to be created", func() bool {
		s := rec.snapshot()
		return len(byNode(s, "b")) == 1 && len(byNode(s, "c")) == 1
	})
	t.Logf("MEASURE b and c created %.1fs after the run started", time.Since(runStarted).Seconds())
	before := rec.snapshot()
	st := statusJSON(t, ns, runID)
	time.Sleep(300 * time.Millisecond) // let the watch catch up with what status read
	during := checkAgainstWatch(t, "during the run", st, before, rec.snapshot())
	if st.Result != "Running" {
		t.Errorf("during the run: result %s, want Running", st.Result)
	}
	if during["a"] != "succeeded" || during["d"] == "running" || during["e"] == "running" {
		t.Errorf("during the run: %v", during)
	}
	code, text, _ := jobernetes(t, "status", "--run-id", runID, "-n", ns)
	if code != 0 || !strings.Contains(text, "run "+runID+" in namespace "+ns+": ") || !strings.Contains(text, "KUBERNETES-JOB") {
		t.Errorf("status text during the run: exit %d\n%s", code, text)
	}

	// The metrics endpoint, scraped during the run.
	mfs := scrape(t, metricsAddr)
	for _, name := range []string{"jobernetes_run_jobs", "jobernetes_job_transitions_total", "jobernetes_reaction_seconds",
		"jobernetes_job_duration_seconds", "jobernetes_run_duration_seconds", "jobernetes_run_info", "jobernetes_run_result"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("metrics: no series %s", name)
		}
	}
	total := 0.0
	for _, m := range mfs["jobernetes_run_jobs"].GetMetric() {
		total += m.GetGauge().GetValue()
	}
	if total != 6 {
		t.Errorf("metrics: jobernetes_run_jobs sums to %v, want the run's 6 Jobs", total)
	}
	if v := metricValue(mfs, "jobernetes_run_info", "run_id", runID); v != 1 {
		t.Errorf("metrics: jobernetes_run_info{run_id=%q} = %v", runID, v)
	}
	if v := metricValue(mfs, "jobernetes_job_transitions_total", "state", "running"); v < 3 {
		t.Errorf("metrics: %v Jobs created, want at least 3 (a, b, c)", v)
	}
	if v := metricValue(mfs, "jobernetes_run_result", "result", "Running"); v != 1 {
		t.Errorf("metrics: run_result{Running} = %v during the run", v)
	}
	if h := mfs["jobernetes_reaction_seconds"].GetMetric()[0].GetHistogram(); h.GetSampleCount() < 2 {
		t.Errorf("metrics: %d reaction times, want b's and c's", h.GetSampleCount())
	} else {
		t.Logf("MEASURE reaction (ready -> created): %d samples, mean %.1fms", h.GetSampleCount(), 1000*h.GetSampleSum()/float64(h.GetSampleCount()))
	}
	if v := mfs["jobernetes_run_duration_seconds"].GetMetric()[0].GetGauge().GetValue(); v <= 0 {
		t.Errorf("metrics: run_duration_seconds = %v", v)
	}

	// The end: exit 1, and stdout is one JSON document, the RunReport.
	if code := p.wait(t, 2*time.Minute); code != 1 {
		t.Fatalf("run exit %d, want 1", code)
	}
	stdout := p.stdout.String()
	if !strings.HasPrefix(stdout, "{") || !strings.HasSuffix(stdout, "}\n") {
		t.Errorf("stdout of run -o json is not only JSON:\n%s", stdout)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var rep report.RunReport
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("run -o json: %v", err)
	}
	if dec.More() {
		t.Errorf("run -o json: more than one JSON value on stdout")
	}
	if rep.Kind != "RunReport" || rep.RunID != runID || rep.Result != "Failed" || rep.Failure == nil || rep.Failure.Job != "c" ||
		strings.Join(rep.NeverRan, ",") != "d,e" || len(rep.Jobs) != 6 || rep.WallSeconds <= 0 {
		t.Errorf("run report: %+v", rep)
	}
	for _, want := range []string{"run ID: " + runID, "FAILED    one/c", "never ran: d, e"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}

	// The JUnit file: one case per Job, c failed, d and e skipped.
	checkJUnit(t, junit, rep)

	// After the run, and again once cleanup has deleted a and b.
	time.Sleep(300 * time.Millisecond)
	after := checkAgainstWatch(t, "after the run", statusJSON(t, ns, runID), rec.snapshot(), rec.snapshot())
	want := map[string]string{"a": "succeeded", "b": "succeeded", "c": "failed", "d": "skipped", "e": "skipped"}
	checkFinal := func(when string, got map[string]string) {
		for job, s := range want {
			if got[job] != s && !(s == "skipped" && got[job] == "waiting") {
				t.Errorf("%s: %s is %s, want %s", when, job, got[job], s)
			}
		}
	}
	checkFinal("after the run", after)
	e2eutil.WaitFor(t, 30*time.Second, "cleanup to delete a and b", func() bool {
		s := rec.snapshot()
		a, b := byNode(s, "a"), byNode(s, "b")
		return len(a) == 1 && len(b) == 1 && !a[0].deleted.IsZero() && !b[0].deleted.IsZero()
	})
	jobs, err := cp.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(jobs.Items) != 1 || jobs.Items[0].Labels["jobernetes.io/job"] != "c" {
		t.Errorf("after cleanup the cluster should hold only c's Job: %v %v", err, jobs)
	}
	st = statusJSON(t, ns, runID)
	checkFinal("after cleanup", checkAgainstWatch(t, "after cleanup", st, rec.snapshot(), rec.snapshot()))
	if st.Result != "Failed" || !strings.Contains(st.Message, "job c") || st.FinishedAt == nil {
		t.Errorf("after cleanup: result %s message %q finishedAt %v", st.Result, st.Message, st.FinishedAt)
	}
	code, text, _ = jobernetes(t, "status", "--run-id", runID, "-n", ns)
	if code != 0 || !strings.Contains(text, ": Failed (6/6 Jobs done") || !strings.Contains(text, "BackoffLimitExceeded") {
		t.Errorf("status text after the run: exit %d\n%s", code, text)
	}
	code, mermaid, _ := jobernetes(t, "status", "--run-id", runID, "-n", ns, "-o", "mermaid")
	if code != 0 || !strings.Contains(mermaid, `["c: failed`) || !regexp.MustCompile(`class n\d+ failed`).MatchString(mermaid) {
		t.Errorf("status -o mermaid: exit %d\n%s", code, mermaid)
	}
	code, list, _ := jobernetes(t, "status", "-n", ns)
	if code != 0 || !regexp.MustCompile(regexp.QuoteMeta(runID)+`\s+Failed\s+\d/6\s`).MatchString(list) {
		t.Errorf("status (list): exit %d\n%s", code, list)
	}
	if code, _, stderr := jobernetes(t, "status", "--run-id", "no-such-run", "-n", ns); code != 2 || !strings.Contains(stderr, "no run") {
		t.Errorf("status of an unknown run: exit %d (want 2), %s", code, stderr)
	}

	// Events: Created on each Job the run created, and the run's summary.
	created := map[string]bool{}
	for name := range rec.snapshot() {
		created[name] = true
	}
	if len(created) != 3 {
		t.Errorf("the watch saw %d Jobs created, want 3 (a, b, c)", len(created))
	}
	checkEvents(t, ns, runID, created, "Warning", controller.ReasonRunFailed)
}

func checkJUnit(t *testing.T, path string, rep report.RunReport) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suite    []struct {
			Cases []struct {
				Classname string  `xml:"classname,attr"`
				Name      string  `xml:"name,attr"`
				Time      float64 `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("JUnit report does not parse: %v\n%s", err, data)
	}
	if suites.Tests != 6 || suites.Failures != 1 || suites.Skipped != 3 || len(suites.Suite) != 1 || len(suites.Suite[0].Cases) != 6 {
		t.Fatalf("JUnit counts: tests %d failures %d skipped %d\n%s", suites.Tests, suites.Failures, suites.Skipped, data)
	}
	for i, c := range suites.Suite[0].Cases {
		j := rep.Jobs[i]
		if c.Classname != j.Phase || c.Name != j.Job+"/"+j.KubernetesJob {
			t.Errorf("JUnit case %d: %s %s, want %s %s/%s", i, c.Classname, c.Name, j.Phase, j.Job, j.KubernetesJob)
		}
		switch j.Job {
		case "c":
			if c.Failure == nil || c.Failure.Type != "BackoffLimitExceeded" {
				t.Errorf("JUnit: c has no BackoffLimitExceeded failure: %+v", c.Failure)
			}
		case "d", "e":
			if c.Skipped == nil {
				t.Errorf("JUnit: %s is not skipped", c.Name)
			}
		default:
			if c.Failure != nil || c.Skipped != nil || c.Time <= 0 {
				t.Errorf("JUnit: %s should pass with a time: %+v", c.Name, c)
			}
		}
	}
}

// checkEvents waits for a Created Event on each Job in created and for the
// run's summary Event on its record ConfigMap.
func checkEvents(t *testing.T, ns, runID string, created map[string]bool, typ, reason string) {
	t.Helper()
	var missing []string
	var summary string
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := framework.Current.Client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		summary = ""
		for _, ev := range evs.Items {
			io := ev.InvolvedObject
			if io.Kind == "Job" && ev.Reason == "Created" && strings.Contains(ev.Message, runID) {
				seen[io.Name] = true
			}
			if io.Kind == "ConfigMap" && io.Name == record.Name(runID) && ev.Reason == reason && ev.Type == typ {
				summary = ev.Message
			}
		}
		missing = missing[:0]
		for name := range created {
			if !seen[name] {
				missing = append(missing, name)
			}
		}
		if (len(missing) == 0 && summary != "") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no Created Event for Jobs %v", missing)
	}
	if summary == "" {
		t.Errorf("no %s %s Event on the run's ConfigMap", typ, reason)
	} else {
		t.Logf("summary Event: %s %s: %s", typ, reason, summary)
	}
}

func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape metrics: %s %v", resp.Status, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "jobernetes_") && !strings.Contains(l, "_bucket") {
			lines = append(lines, l)
		}
	}
	t.Logf("scraped:\n%s", strings.Join(lines, "\n"))
	return mfs
}

// metricValue is the gauge or counter of family name with label k=v.
func metricValue(mfs map[string]*dto.MetricFamily, name, k, v string) float64 {
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				if m.Gauge != nil {
					return m.GetGauge().GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}
