package cli

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
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
	const critColor = "#8250df" // the critical path's outline
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
		"#dafbe1 " + critColor: "x", // extract
		"#ddf4ff " + critColor: "x", // transform
		"#dafbe1 #1a7f37":      "x", // report-daily
		"#ffebe9 #cf222e":      "x", // report-weekly
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
