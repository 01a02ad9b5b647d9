package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/metrics"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// outputOptions are the flags of `run` about what it prints and serves.
type outputOptions struct {
	format      string // text, or a machine format of render.ObjectPrinter
	junit       string
	noColor     bool
	metricsAddr string
	profiling   bool
	// getenv reads NO_COLOR and TERM; tests replace it.
	getenv func(string) string
}

func (f *outputOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&f.format, "output", "o", "text",
		"text: progress and the summary on stdout; json, yaml, jsonpath=TEMPLATE, jsonpath-file=FILE: the report.RunReport object on stdout when the run ends, everything else on stderr; name: the run's record as configmap/jobernetes-run-<ID>; with --dry-run=client also yaml (the Jobs)")
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to this file when the run ends: one test case per Kubernetes Job")
	fs.BoolVar(&f.noColor, "no-color", false, "plain progress lines even on a terminal (so does the NO_COLOR environment variable)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run on this address (host:port, e.g. :9090) at /metrics; off when empty")
	fs.BoolVar(&f.profiling, "profiling", false, "with --metrics-addr, also serve Go's profiles at /debug/pprof/ (heap, CPU, goroutines)")
}

// runOutput is where one run's output goes: human lines (stdout, or stderr
// under -o json), the live view on a terminal, the metrics endpoint, and at
// the end the JSON report and the JUnit file.
type runOutput struct {
	opts    outputOptions
	streams genericiooptions.IOStreams
	model   *config.Model
	// Info receives the human-readable lines: the run ID, the final table.
	Info io.Writer

	printer  *render.ObjectPrinter // nil for -o text
	live     *render.LiveView
	progress *render.Progress // the progress lines, to Info; nil with the live view
	metrics  *metrics.Run
	server   *metrics.Server
}

// open checks the flags and binds the metrics address, before anything is
// created: a mistake there is a usage error (exit 2).
func (f *outputOptions) open(streams genericiooptions.IOStreams, model *config.Model, ns, runID string) (*runOutput, error) {
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	o := &runOutput{opts: *f, streams: streams, model: model, Info: streams.Out}
	switch f.format {
	case "text":
		if render.Styled(streams.Out, f.noColor, getenv) {
			o.live = render.NewLiveView(streams.Out, model, runID, time.Now)
		}
	default:
		p, ok, err := render.NewObjectPrinter(f.format, true)
		if !ok {
			err = fmt.Errorf("unknown -o %q: use text, json, yaml, name, jsonpath=TEMPLATE or jsonpath-file=FILE", f.format)
		}
		if err != nil {
			return nil, &ExitError{Code: ExitInvalid, Err: err}
		}
		o.printer = p
		o.Info = streams.ErrOut
	}
	if o.live == nil {
		o.progress = render.NewProgress(o.Info)
	}
	if f.junit != "" {
		if err := report.CheckJUnitPath(f.junit); err != nil {
			return nil, &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	if f.metricsAddr != "" {
		states := map[string]string{}
		for _, j := range model.Jobs() {
			for _, m := range j.Manifests {
				states[runmeta.JobName(runID, j, m)] = report.StateWaiting
			}
		}
		o.metrics = metrics.New(metrics.Options{RunID: runID, Namespace: ns, Model: model.Path, Jobs: states})
		srv, err := metrics.Serve(f.metricsAddr, o.metrics.Registry(), f.profiling)
		if err != nil {
			return nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--metrics-addr: %w", err)}
		}
		o.server = srv
		fmt.Fprintf(streams.ErrOut, "metrics: http://%s/metrics\n", srv.Addr())
	}
	return o, nil
}

// The controller's events go to the progress lines (render.Progress), or
// to the live view when it shows the run, and transitions to the metrics.

// OnNote is the controller's Options.OnNote.
func (o *runOutput) OnNote(n runmeta.Note) {
	if o.live != nil {
		o.live.Note(n)
		return
	}
	o.progress.Note(n)
}

// OnDiagnosis is the controller's Options.OnDiagnosis.
func (o *runOutput) OnDiagnosis(d runmeta.Diagnosis) {
	if o.live != nil {
		o.live.Diagnosis(d)
		return
	}
	o.progress.Diagnosis(d)
}

// OnTransition is the controller's Options.OnTransition.
func (o *runOutput) OnTransition(t runmeta.Transition) {
	if o.live != nil {
		o.live.Observe(t)
	} else {
		o.progress.Transition(t)
	}
	if o.metrics != nil {
		o.metrics.Observe(t)
	}
}

// Started is called once the run's record is prepared, before its Jobs
// are watched: the live view and the metrics take the run's state from the
// record (a resumed run has finished Jobs already, and a retry's Job names
// differ from the model's), and the view starts.
func (o *runOutput) Started(rec *record.Stored) {
	if o.live == nil && o.metrics == nil {
		return
	}
	st := report.RunStatusFrom(rec, nil, time.Now())
	if o.metrics != nil {
		states := map[string]string{}
		for _, j := range st.Jobs {
			states[j.KubernetesJob] = j.State
		}
		o.metrics.Seed(states)
	}
	if o.live != nil {
		o.live.Seed(st)
		o.live.Start(100 * time.Millisecond)
	}
}

// StopLive draws the live view's last frame; lines printed afterwards go
// below it. Safe to call more than once.
func (o *runOutput) StopLive() {
	if o.live != nil {
		o.live.Close()
	}
}

// EndTerm writes the progress lines a controller left held when it stopped
// before their diagnosis came (an interrupt, a lost Lease: a next term
// starts over from the cluster).
func (o *runOutput) EndTerm() {
	if o.progress != nil {
		o.progress.Flush()
	}
}

// Finish writes the end of a run that has a result: the text table (to
// Info), the JSON report (stdout, -o json) and the JUnit file.
func (o *runOutput) Finish(res *runmeta.Result) error {
	o.StopLive()
	if o.metrics != nil {
		o.metrics.Finish(res)
	}
	report.WriteText(o.Info, res)
	if o.printer != nil {
		report := report.NewRunReport(res, o.model.Path)
		if err := o.printer.Print(o.streams.Out, report, render.RunRecordObject(report.RunID)); err != nil {
			return &ExitError{Code: ExitRunFailed, Err: fmt.Errorf("write the -o %s report: %w", o.opts.format, err)}
		}
	}
	if o.opts.junit != "" {
		if err := report.WriteJUnitFile(o.opts.junit, res, o.model.Path); err != nil {
			return &ExitError{Code: ExitRunFailed, Err: fmt.Errorf("write the JUnit report: %w", err)}
		}
		fmt.Fprintf(o.streams.ErrOut, "JUnit report: %s\n", o.opts.junit)
	}
	return nil
}

// Close stops the live view and the metrics endpoint.
func (o *runOutput) Close() {
	o.StopLive()
	if o.server != nil {
		o.server.Close()
	}
}
