package render

import (
	"fmt"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/jobernetes/jobernetes/pkg/report"
)

// A StatusFormat is one way `jobernetes status -o` shows a run, or a list
// of runs: a drawing of its own (text, mermaid, svg) or a machine format of
// ObjectPrinter (json, yaml, name, jsonpath=..., jsonpath-file=...). As
// kubectl's printers, the command picks one by name and hands it what it
// read; it does not know how each is drawn.
type StatusFormat struct {
	// Run shows one run.
	Run func(w io.Writer, st *report.RunStatus, now time.Time) error
	// List shows a list of runs; nil when the format shows one run only.
	List func(w io.Writer, list *report.RunList, now time.Time) error
	// Human formats say "No runs found" (on stderr) rather than show an
	// empty list.
	Human bool
}

// statusFormats are the drawings of pkg/render, by -o name.
var statusFormats = map[string]StatusFormat{
	"text": {
		Run: func(w io.Writer, st *report.RunStatus, now time.Time) error {
			StatusText(w, st, now)
			return nil
		},
		List: func(w io.Writer, list *report.RunList, now time.Time) error {
			if list.Namespace == "" {
				AllRunsText(w, list.Items, now)
			} else {
				RunListText(w, list.Items, now)
			}
			return nil
		},
		Human: true,
	},
	"mermaid": {Run: func(w io.Writer, st *report.RunStatus, _ time.Time) error {
		StatusMermaid(w, st)
		return nil
	}},
	"svg":  {Run: GanttSVG},
	"html": {Run: StatusHTML},
}

// StatusFormatFor returns the format `status -o output` names.
func StatusFormatFor(output string) (StatusFormat, error) {
	if f, ok := statusFormats[output]; ok {
		return f, nil
	}
	p, ok, err := NewObjectPrinter(output, true)
	if !ok {
		err = fmt.Errorf("unknown -o %q: use text, json, yaml, name, jsonpath=TEMPLATE, jsonpath-file=FILE, mermaid, svg or html", output)
	}
	if err != nil {
		return StatusFormat{}, err
	}
	return StatusFormat{
		Run: func(w io.Writer, st *report.RunStatus, _ time.Time) error {
			return p.Print(w, st, RunRecordObject(st.RunID))
		},
		List: func(w io.Writer, list *report.RunList, _ time.Time) error {
			names := make([]runtime.Object, len(list.Items))
			for i, r := range list.Items {
				names[i] = RunRecordObject(r.RunID)
			}
			return p.Print(w, list, names...)
		},
	}, nil
}
