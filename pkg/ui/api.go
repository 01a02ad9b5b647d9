package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/pkg/webpage"
)

var staticFS = webpage.FS

var pageTemplate = template.Must(template.ParseFS(staticFS, "static/index.html"))

// page serves the page of / and /runs/NS/RUN (one page; its script reads
// the path). The token goes into the page for the header of its POSTs: the
// cookie that carries it otherwise is out of the script's reach.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplate.Execute(w, map[string]any{"Token": s.opts.Token, "AllNamespaces": s.opts.AllNamespaces,
		"Namespace": s.opts.Namespace})
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || name == "index.html" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	_, _ = w.Write(b)
}

func writeJSONBody(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ") // as status -o json prints it
	_ = enc.Encode(v)
}

// httpError maps the errors of reading and acting on runs to statuses.
func httpError(w http.ResponseWriter, err error) {
	var notFound *record.NotFoundError
	var finished *runmeta.FinishedError
	var running *runmeta.RunningError
	code := http.StatusBadGateway // the cluster said no, or did not answer
	switch {
	case errors.As(err, &notFound):
		code = http.StatusNotFound
	case errors.As(err, &finished), errors.As(err, &running):
		code = http.StatusConflict
	case apierrors.IsForbidden(err):
		code = http.StatusForbidden
	}
	writeJSONBody(w, code, map[string]string{"kind": "Error", "message": err.Error()})
}

// runPath reads NS and RUN from the path; false: answered already. A run
// of any namespace may be asked for (the user's rights decide); the
// namespace in view is what the run list shows.
func (s *Server) runPath(w http.ResponseWriter, r *http.Request) (ns, runID string, ok bool) {
	ns, runID = r.PathValue("ns"), r.PathValue("run")
	if err := runmeta.ValidateRunID(runID); err != nil {
		writeJSONBody(w, http.StatusBadRequest, map[string]string{"kind": "Error", "message": err.Error()})
		return "", "", false
	}
	return ns, runID, true
}

// apiRuns is the run list: the document of `status -A -o json` (every
// namespace the user may read, whatever the namespace in view); with
// ?namespace=NS, of `status -n NS -o json`. Read as status reads it.
func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	ns := r.URL.Query().Get("namespace")
	var runs []report.RunSummary
	var err error
	if ns == "" {
		runs, err = report.ListAllRuns(r.Context(), s.opts.Client)
	} else {
		runs, err = report.ListRuns(r.Context(), s.opts.Client, ns)
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSONBody(w, http.StatusOK, s.opts.RunList(ns, runs))
}

// apiRun is one run: the document of `status --run-id RUN -n NS -o json`.
func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	ns, runID, ok := s.runPath(w, r)
	if !ok {
		return
	}
	st, err := s.runStatus(r.Context(), ns, runID)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSONBody(w, http.StatusOK, st)
}

func (s *Server) runStatus(ctx context.Context, ns, runID string) (*report.RunStatus, error) {
	st, err := report.GetRunStatus(ctx, s.opts.Client, ns, runID, s.opts.Now())
	if err != nil {
		return nil, err
	}
	if st.Jobs == nil {
		st.Jobs = []report.JobStatus{}
	}
	return st, nil
}

// timeline is the run's SVG timeline, as `status -o svg` draws it; the
// page reloads it when the run changes.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	ns, runID, ok := s.runPath(w, r)
	if !ok {
		return
	}
	if s.opts.Timeline == nil {
		http.NotFound(w, r)
		return
	}
	nv := s.views.namespace(ns)
	if err := nv.wait(r.Context()); err != nil {
		httpError(w, err)
		return
	}
	st, err := (&runFeed{nv: nv, runID: runID}).build()
	if err != nil {
		httpError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_ = s.opts.Timeline(w, st, s.opts.Now())
}

// cancel cancels a running run, as `jobernetes cancel` does.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	ns, runID, ok := s.runPath(w, r)
	if !ok {
		return
	}
	reason := r.URL.Query().Get("reason")
	if reason == "" {
		reason = "from jobernetes ui"
	}
	n, err := s.opts.Cancel(r.Context(), s.opts.Client, ns, runID, reason, time.Now(), s.opts.CancelTimeout)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSONBody(w, http.StatusOK, map[string]any{"kind": "Cancelled", "runID": runID, "namespace": ns, "deletedJobs": n})
}

// delete deletes a finished run, as `jobernetes delete` does; with
// ?force=true a running run is cancelled first (delete --force).
func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	ns, runID, ok := s.runPath(w, r)
	if !ok {
		return
	}
	err := s.opts.Delete(r.Context(), s.opts.Client, ns, runID, s.opts.DeleteTimeout)
	var running *runmeta.RunningError
	if errors.As(err, &running) && r.URL.Query().Get("force") == "true" {
		if _, err = s.opts.Cancel(r.Context(), s.opts.Client, ns, runID, "deleted from jobernetes ui", time.Now(), s.opts.CancelTimeout); err == nil {
			err = s.opts.Delete(r.Context(), s.opts.Client, ns, runID, s.opts.DeleteTimeout)
		}
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSONBody(w, http.StatusOK, map[string]any{"kind": "Deleted", "runID": runID, "namespace": ns})
}

// LogLine is one event of GET /api/runs/NS/RUN/logs?job=KUBERNETES-JOB.
type LogLine struct {
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Line      string `json:"line"`
}

// logs streams the logs of a Kubernetes Job's pods (the newest five) as
// events: the last ?tail lines (default 200), and with ?follow=true what
// comes after.
func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	ns, runID, ok := s.runPath(w, r)
	if !ok {
		return
	}
	job := r.URL.Query().Get("job")
	tail := int64(200)
	if t, err := strconv.ParseInt(r.URL.Query().Get("tail"), 10, 64); err == nil && t > 0 {
		tail = min(t, 10000)
	}
	follow := r.URL.Query().Get("follow") == "true"
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: runID, "batch.kubernetes.io/job-name": job}).String()
	pods, err := s.opts.Client.CoreV1().Pods(ns).List(r.Context(), metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		httpError(w, runmeta.ClusterError("list pods", err))
		return
	}
	items := pods.Items
	sort.Slice(items, func(i, k int) bool { return items[k].CreationTimestamp.Before(&items[i].CreationTimestamp) })
	if len(items) > 5 {
		items = items[:5]
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ch := make(chan []byte, 256)
	var wg sync.WaitGroup
	for i := range items {
		pod := &items[i]
		for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.streamLog(ctx, pod, c.Name, tail, follow, ch)
			}()
		}
	}
	go func() { wg.Wait(); close(ch) }()
	s.stream(w, r, ch, true)
}

func (s *Server) streamLog(ctx context.Context, pod *corev1.Pod, container string, tail int64, follow bool, ch chan<- []byte) {
	req := s.opts.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{
		Container: container, TailLines: &tail, Follow: follow})
	rc, err := req.Stream(ctx)
	if err != nil {
		return // a container that has not started has no log yet
	}
	defer rc.Close()
	go func() { <-ctx.Done(); rc.Close() }()
	sc := bufio.NewScanner(io.LimitReader(rc, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		select {
		case ch <- mustJSON(LogLine{Pod: pod.Name, Container: container, Line: sc.Text()}):
		case <-ctx.Done():
			return
		}
	}
}
