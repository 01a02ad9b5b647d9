package cli

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/report"
)

// svgElements parses an SVG strictly and returns its elements by name, each
// with its attributes and text.
type svgElement struct {
	attrs map[string]string
	text  string
}

func parseSVG(t *testing.T, doc string) map[string][]svgElement {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = true
	out := map[string][]svgElement{}
	var stack []*svgElement
	var names []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &svgElement{attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			stack = append(stack, e)
			names = append(names, tk.Name.Local)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		case xml.EndElement:
			e, name := stack[len(stack)-1], names[len(names)-1]
			stack, names = stack[:len(stack)-1], names[:len(names)-1]
			out[name] = append(out[name], *e)
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements: %v", names)
	}
	return out
}

// The golden file's drawing, checked for what it must show: well-formed
// XML with the SVG namespace, one bar per created Job, the critical path
// (extract -> transform: the longest chain) outlined, waiting Jobs dashed.
func TestStatusSVG(t *testing.T) {
	code, stdout, stderr := runStatusCmd(t, statusCluster(t), "--run-id", "etl-20261127-120000-ab12", "-n", "data", "-o", "svg")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	els := parseSVG(t, stdout)
	if svg := els["svg"]; len(svg) != 1 || svg[0].attrs["xmlns"] != "http://www.w3.org/2000/svg" {
		t.Fatalf("root: %+v", svg)
	}
	if strings.Contains(stdout, "href") || strings.Contains(stdout, "<script") {
		t.Errorf("the SVG must be self-contained: no links, no scripts")
	}
	bars := map[string]string{} // Kubernetes Job -> bar stroke
	dashed := 0
	for _, r := range els["rect"] {
		if r.attrs["rx"] == "3" {
			bars[r.attrs["fill"]+" "+r.attrs["stroke"]] += "x"
		}
	}
	for _, l := range els["line"] {
		if l.attrs["stroke-dasharray"] != "" {
			dashed++
		}
	}
	// 4 created Jobs: extract (succeeded, critical), transform (running,
	// critical), report-daily (succeeded), report-weekly (failed).
	want := map[string]string{
		"#dafbe1 " + svgCritColor: "x", // extract
		"#ddf4ff " + svgCritColor: "x", // transform
		"#dafbe1 #1a7f37":         "x", // report-daily
		"#ffebe9 #cf222e":         "x", // report-weekly
	}
	if len(bars) != len(want) {
		t.Errorf("bars %v, want %v", bars, want)
	}
	for k, v := range want {
		if bars[k] != v {
			t.Errorf("bar %q: %q, want %q (all: %v)", k, bars[k], v, bars)
		}
	}
	if dashed != 2 { // load and notify have not been created
		t.Errorf("%d dashed wait lines, want 2 (load, notify)", dashed)
	}
	var titles []string
	for _, tl := range els["title"] {
		titles = append(titles, tl.text)
	}
	all := strings.Join(titles, "\n")
	for _, s := range []string{"jobernetes run etl-20261127-120000-ab12", "Job report-weekly-eeeeeeee\nfailed", "BackoffLimitExceeded"} {
		if !strings.Contains(all, s) {
			t.Errorf("no title holds %q:\n%s", s, all)
		}
	}
}

func TestSVGCriticalJobs(t *testing.T) {
	tm := func(sec float64) *time.Time { v := at(sec); return &v }
	st := &report.RunStatus{StartedAt: tm(0), FinishedAt: tm(30), Jobs: []report.JobStatus{
		{Phase: "a", Job: "x", KubernetesJob: "x-1", CreatedAt: tm(0), FinishedAt: tm(5)},
		{Phase: "b", Job: "short", KubernetesJob: "s-1", CreatedAt: tm(5), FinishedAt: tm(8)},
		{Phase: "b", Job: "long", KubernetesJob: "l-1", CreatedAt: tm(5), FinishedAt: tm(12)},
		{Phase: "b", Job: "after", DependsOn: []string{"short"}, KubernetesJob: "a-1", CreatedAt: tm(8), FinishedAt: tm(20)},
		{Phase: "b", Job: "dir", KubernetesJob: "d-1", CreatedAt: tm(5), FinishedAt: tm(6)},
		{Phase: "c", Job: "fan", KubernetesJob: "f-1", CreatedAt: tm(20), FinishedAt: tm(22)},
		{Phase: "c", Job: "fan", KubernetesJob: "f-2", CreatedAt: tm(20), FinishedAt: tm(29)}, // the one waited for
		{Phase: "c", Job: "fan", KubernetesJob: "f-3", CreatedAt: tm(20), FinishedAt: tm(21)},
		{Phase: "b", Job: "x (revert)", KubernetesJob: "r-1", CreatedAt: tm(20), FinishedAt: tm(30)},
	}}
	got := criticalJobs(st, at(30))
	want := map[string]bool{"x-1": true, "s-1": true, "a-1": true, "f-2": true}
	if len(got) != len(want) {
		t.Fatalf("critical %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("critical %v, want %v", got, want)
		}
	}
}

func TestTickAxis(t *testing.T) {
	for _, tc := range []struct {
		total time.Duration
		step  time.Duration
	}{
		{time.Second, time.Second},
		{9 * time.Second, time.Second},
		{95 * time.Second, 10 * time.Second},
		{10 * time.Minute, time.Minute},
		{5 * time.Hour, 30 * time.Minute},
		{11 * time.Hour, 2 * time.Hour},
	} {
		if got := tickStep(tc.total); got != tc.step {
			t.Errorf("tickStep(%v) = %v, want %v", tc.total, got, tc.step)
		}
	}
	for d, want := range map[time.Duration]string{0: "0s", 30 * time.Second: "30s", time.Minute: "1m",
		90 * time.Second: "1m30s", time.Hour: "1h", 90 * time.Minute: "1h30m"} {
		if got := tickLabel(d); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", d, got, want)
		}
	}
}
