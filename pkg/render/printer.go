package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// ObjectPrinter prints jobernetes' own objects (report.RunReport, RunStatus,
// RunList, version) for -o json, yaml, jsonpath=TEMPLATE,
// jsonpath-file=FILE and name, with k8s.io/cli-runtime's printers, so that
// the formats behave as kubectl's do.
type ObjectPrinter struct {
	format  string // json, yaml, name, jsonpath, jsonpath-file
	printer printers.ResourcePrinter
}

// NewObjectPrinter returns the printer for -o output, and false when output
// is none of the machine formats (a command's own text formats).
func NewObjectPrinter(output string, allowName bool) (*ObjectPrinter, bool, error) {
	format, _, _ := strings.Cut(output, "=")
	switch format {
	case "json", "yaml", "jsonpath", "jsonpath-file":
	case "name":
		if !allowName {
			return nil, false, nil
		}
	default:
		return nil, false, nil
	}
	pf := genericclioptions.NewPrintFlags("")
	pf.OutputFormat = &output
	p, err := pf.ToPrinter()
	if err != nil {
		return nil, true, fmt.Errorf("-o %s: %w", output, err)
	}
	return &ObjectPrinter{format: format, printer: p}, true, nil
}

// Format is the printer's format: json, yaml, name, jsonpath or
// jsonpath-file.
func (p *ObjectPrinter) Format() string { return p.format }

// Print writes v. -o json keeps the two-space indentation jobernetes has
// always printed (scripts and golden files diff it); the other formats go
// through the printers as runtime.Unknown, whose raw JSON they all read.
// For -o name, names are the Kubernetes objects that stand for v.
func (p *ObjectPrinter) Print(w io.Writer, v any, names ...runtime.Object) error {
	switch p.format {
	case "json":
		return WriteJSON(w, v)
	case "name":
		for _, n := range names {
			if err := p.printer.PrintObj(n, w); err != nil {
				return err
			}
		}
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// As kubectl, jsonpath output ends without a newline.
	return p.printer.PrintObj(&runtime.Unknown{Raw: raw, ContentType: runtime.ContentTypeJSON}, w)
}

// RunRecordObject is what -o name prints for a run: its record ConfigMap,
// as "configmap/jobernetes-run-<ID>", so that
// `kubectl get $(jobernetes status --run-id ID -o name)` shows the record.
func RunRecordObject(runID string) runtime.Object {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: record.Name(runID)},
	}
}
