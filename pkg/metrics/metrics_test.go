package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// scrape GETs /metrics and parses the text format.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// value of the series of family name whose labels include want.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no series %s", name)
	}
	for _, m := range mf.Metric {
		match := true
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no series %s%v", name, want)
	return 0
}

func TestRunMetrics(t *testing.T) {
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	now := start.Add(3 * time.Second)
	r := New(Options{
		RunID: "r1", Namespace: "ns", Model: "m.yaml", Start: start, Now: func() time.Time { return now },
		Jobs: map[string]string{"a-1": "waiting", "b-1": "waiting", "c-1": "waiting"},
	})
	srv, err := Serve("127.0.0.1:0", r.Registry(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	mfs := scrape(t, srv.Addr())
	if v := value(t, mfs, "jobernetes_run_jobs", map[string]string{"state": "waiting"}); v != 3 {
		t.Errorf("waiting = %v, want 3", v)
	}
	if v := value(t, mfs, "jobernetes_run_info", map[string]string{"run_id": "r1", "namespace": "ns", "model": "m.yaml"}); v != 1 {
		t.Errorf("run_info = %v", v)
	}
	if v := value(t, mfs, "jobernetes_run_result", map[string]string{"result": "Running"}); v != 1 {
		t.Errorf("run_result{Running} = %v", v)
	}
	if v := value(t, mfs, "jobernetes_run_duration_seconds", nil); v != 3 {
		t.Errorf("run_duration_seconds = %v, want 3", v)
	}

	tr := func(sec float64, name, state string, reaction time.Duration) {
		at := start.Add(time.Duration(sec * float64(time.Second)))
		r.Observe(runmeta.Transition{Time: at, Elapsed: at.Sub(start), Job: strings.TrimSuffix(name, "-1"), Name: name, State: state, Reaction: reaction})
	}
	r.Observe(runmeta.Transition{Time: start, Phase: "p", State: "started"}) // phases are not counted
	tr(0, "a-1", "running", 0)
	tr(5, "a-1", "succeeded", 0)
	tr(5.01, "b-1", "running", 10*time.Millisecond)
	tr(5.02, "c-1", "running", 20*time.Millisecond)
	tr(7, "c-1", "failed", 0)
	tr(8, "b-1", "skipped", 0) // a state this version does not know
	now = start.Add(9 * time.Second)

	mfs = scrape(t, srv.Addr())
	for state, want := range map[string]float64{"waiting": 0, "running": 0, "succeeded": 1, "failed": 1, "skipped": 1} {
		if v := value(t, mfs, "jobernetes_run_jobs", map[string]string{"state": state}); v != want {
			t.Errorf("run_jobs{%s} = %v, want %v", state, v, want)
		}
	}
	for state, want := range map[string]float64{"running": 3, "succeeded": 1, "failed": 1, "skipped": 1} {
		if v := value(t, mfs, "jobernetes_job_transitions_total", map[string]string{"state": state}); v != want {
			t.Errorf("job_transitions_total{%s} = %v, want %v", state, v, want)
		}
	}
	if v := value(t, mfs, "jobernetes_reaction_seconds", nil); v != 2 {
		t.Errorf("reaction_seconds count = %v, want 2 (first-phase roots have no reaction)", v)
	}
	if v := value(t, mfs, "jobernetes_job_duration_seconds", map[string]string{"state": "succeeded"}); v != 1 {
		t.Errorf("job_duration_seconds{succeeded} count = %v", v)
	}
	if _, ok := mfs["go_goroutines"]; !ok {
		t.Errorf("no Go runtime metrics")
	}

	r.Finish(&runmeta.Result{Started: start, Finished: start.Add(8 * time.Second)})
	now = start.Add(time.Hour)
	mfs = scrape(t, srv.Addr())
	if v := value(t, mfs, "jobernetes_run_duration_seconds", nil); v != 8 {
		t.Errorf("run_duration_seconds after the end = %v, want 8", v)
	}
	if value(t, mfs, "jobernetes_run_result", map[string]string{"result": "Failed"}) != 1 ||
		value(t, mfs, "jobernetes_run_result", map[string]string{"result": "Running"}) != 0 {
		t.Errorf("run_result after a failed end is not Failed")
	}
}

// A resumed run starts with some Jobs finished.
func TestSeed(t *testing.T) {
	r := New(Options{Jobs: map[string]string{"a": "waiting", "b": "waiting"}, NoProcessMetrics: true})
	r.Seed(map[string]string{"a-2": "succeeded", "b-2": "waiting"}) // a retry: other names
	got := r.StateCounts()
	if got["succeeded"] != 1 || got["waiting"] != 1 || len(r.states) != 2 {
		t.Errorf("states after Seed: %v", got)
	}
}

func TestServeAddressInUse(t *testing.T) {
	r := New(Options{NoProcessMetrics: true})
	a, err := Serve("127.0.0.1:0", r.Registry(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if b, err := Serve(a.Addr(), r.Registry(), false); err == nil {
		b.Close()
		t.Fatal("a second server on the same address")
	}
}

// --profiling adds Go's profiles next to /metrics, and only then.
func TestServeProfiling(t *testing.T) {
	for _, tc := range []struct {
		profiling bool
		want      int
	}{{false, http.StatusNotFound}, {true, http.StatusOK}} {
		r := New(Options{NoProcessMetrics: true})
		srv, err := Serve("127.0.0.1:0", r.Registry(), tc.profiling)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get("http://" + srv.Addr() + "/debug/pprof/heap?debug=1")
		if err != nil {
			srv.Close()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("profiling=%v: GET /debug/pprof/heap: %d, want %d", tc.profiling, resp.StatusCode, tc.want)
		}
		if tc.profiling && !strings.Contains(string(body), "heap profile") {
			t.Errorf("profiling=%v: not a heap profile: %.200s", tc.profiling, body)
		}
	}
}
