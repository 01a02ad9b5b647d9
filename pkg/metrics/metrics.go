// Package metrics exposes one jobernetes run as Prometheus metrics: how
// many of its Jobs are in each state, the state changes seen, how fast a
// Job is created once it became ready, how long Jobs and the run take.
// It is fed by the controller's OnTransition hook and served on
// `jobernetes run --metrics-addr`.
package metrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// Namespace prefixes every series: jobernetes_...
const Namespace = "jobernetes"

// States always present in jobernetes_run_jobs (0 when no Job is in it);
// other states a future version reports appear when first seen.
var States = runmeta.States

// Results of jobernetes_run_result, one-hot.
var Results = []string{record.ResultRunning, record.ResultSucceeded, record.ResultFailed}

// Run holds the metrics of one run. Observe and Finish may be called from
// any goroutine.
type Run struct {
	reg *prometheus.Registry
	now func() time.Time

	mu       sync.Mutex
	states   map[string]string    // Kubernetes Job name -> state
	created  map[string]time.Time // when this process saw it created
	start    time.Time
	finished time.Time

	jobs        *prometheus.GaugeVec
	transitions *prometheus.CounterVec
	reaction    prometheus.Histogram
	jobDuration *prometheus.HistogramVec
	result      *prometheus.GaugeVec
}

// Options describe the run being measured.
type Options struct {
	RunID, Namespace, Model string
	// Jobs maps every Kubernetes Job of the run to its state when the
	// process starts (all "waiting" for a new run; a resumed run has some
	// finished already).
	Jobs map[string]string
	// Start is when the run started (its record's start for a resumed run).
	Start time.Time
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// NoProcessMetrics leaves out the go_* and process_* collectors.
	NoProcessMetrics bool
}

// New registers the run's metrics in a registry of its own.
func New(o Options) *Run {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Start.IsZero() {
		o.Start = o.Now()
	}
	r := &Run{
		reg: prometheus.NewRegistry(), now: o.Now,
		states: map[string]string{}, created: map[string]time.Time{}, start: o.Start,
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "run_jobs",
			Help: "Kubernetes Jobs of the run by state (waiting, running, succeeded, failed, ...).",
		}, []string{"state"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "job_transitions_total",
			Help: "Job state changes seen by this process, by the state entered (running = created).",
		}, []string{"state"}),
		reaction: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "reaction_seconds",
			Help:    "Time from a Job becoming ready (its last predecessor seen finished) to its creation.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "job_duration_seconds",
			Help:    "Time from a Job's creation to its end, for Jobs this process created, by final state.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13), // 1s .. ~68m
		}, []string{"state"}),
		result: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "run_result",
			Help: "1 for the run's current result (Running, Succeeded, Failed), 0 for the others.",
		}, []string{"result"}),
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "run_info",
		Help: "Always 1; labels identify the run.",
	}, []string{"run_id", "namespace", "model"})
	info.WithLabelValues(o.RunID, o.Namespace, o.Model).Set(1)
	duration := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "run_duration_seconds",
		Help: "Seconds since the run started; frozen at its end.",
	}, r.duration)
	r.reg.MustRegister(r.jobs, r.transitions, r.reaction, r.jobDuration, r.result, info, duration)
	if !o.NoProcessMetrics {
		r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	for _, s := range States {
		r.jobs.WithLabelValues(s)
		r.transitions.WithLabelValues(s)
	}
	for name, s := range o.Jobs {
		r.states[name] = s
		r.jobs.WithLabelValues(s).Inc()
	}
	r.setResult(record.ResultRunning)
	return r
}

// Seed replaces every Job and its state with the run's plan as the cluster
// holds it: a resumed run has Jobs running or finished already, and a retry
// names its Jobs after its attempt.
func (r *Run) Seed(states map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs.Reset()
	for _, s := range States {
		r.jobs.WithLabelValues(s)
	}
	r.states = make(map[string]string, len(states))
	for name, s := range states {
		r.states[name] = s
		r.jobs.WithLabelValues(s).Inc()
	}
}

// Registry is where the run's metrics are registered.
func (r *Run) Registry() *prometheus.Registry { return r.reg }

// Observe takes one transition of the run (controller.Options.OnTransition).
func (r *Run) Observe(t runmeta.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !t.Time.IsZero() && t.Elapsed >= 0 {
		r.start = t.Time.Add(-t.Elapsed)
	}
	if t.Name == "" {
		return // a phase: its Jobs tell the story
	}
	r.transitions.WithLabelValues(t.State).Inc()
	if old, ok := r.states[t.Name]; ok {
		r.jobs.WithLabelValues(old).Dec()
	}
	r.states[t.Name] = t.State
	r.jobs.WithLabelValues(t.State).Inc()
	switch t.State {
	case runmeta.StateRunning, runmeta.StateQueued:
		// created once; a queued Job goes on to running (admitted)
		if _, ok := r.created[t.Name]; ok {
			break
		}
		r.created[t.Name] = t.Time
		if t.Reaction > 0 {
			r.reaction.Observe(t.Reaction.Seconds())
		}
	case runmeta.StateWaiting:
	default: // finished, whatever the state's name
		if c, ok := r.created[t.Name]; ok && !t.Time.IsZero() {
			r.jobDuration.WithLabelValues(t.State).Observe(t.Time.Sub(c).Seconds())
			delete(r.created, t.Name)
		}
	}
}

// Finish freezes the run's duration and sets its result.
func (r *Run) Finish(res *runmeta.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = res.Finished
	if !res.Started.IsZero() {
		r.start = res.Started
	}
	if r.finished.IsZero() {
		r.finished = r.now()
	}
	if res.Succeeded {
		r.setResult(record.ResultSucceeded)
	} else {
		r.setResult(record.ResultFailed)
	}
}

func (r *Run) setResult(result string) {
	for _, s := range Results {
		v := 0.0
		if s == result {
			v = 1
		}
		r.result.WithLabelValues(s).Set(v)
	}
}

func (r *Run) duration() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.finished
	if end.IsZero() {
		end = r.now()
	}
	if d := end.Sub(r.start); d > 0 {
		return d.Seconds()
	}
	return 0
}

// StateCounts is how many Jobs are in each state, for tests and logs.
func (r *Run) StateCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, s := range r.states {
		out[s]++
	}
	return out
}

// Server serves /metrics (and /healthz) over HTTP.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Serve listens on addr (host:port; port 0 picks one) and serves the
// registry until Close; with profiling, also net/http/pprof's handlers at
// /debug/pprof/, as Kubernetes components' --profiling does. Listening
// happens before it returns, so an address in use is reported at once.
func Serve(addr string, reg *prometheus.Registry, profiling bool) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if profiling {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	s := &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		// Serve returns ErrServerClosed after Close; any other error means
		// the listener broke, and there is nothing left to serve either way.
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the address actually listened on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving, letting scrapes in flight finish for up to a second.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}
