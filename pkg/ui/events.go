package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// Events of a run (GET /api/runs/NS/RUN/events), as Server-Sent Events
// whose data is JSON with a "kind":
//   - RunStatus: the whole document of `status --run-id RUN -o json`; the
//     first event, and again whenever the run's list of Jobs changes shape;
//   - RunStatusPatch: the run's own fields ("run", its jobs left empty) and
//     the rows that changed ("jobs": [{"index": i, "job": row}]);
//   - RunDeleted: the record is gone.
// The feed of a run is shared by its subscribers and built from the
// caches, at most once per debounce interval.

// Patch is a RunStatusPatch event.
type Patch struct {
	Kind string            `json:"kind"`
	Run  *report.RunStatus `json:"run"`
	Jobs []PatchRow        `json:"jobs"`
}

// PatchRow is a changed row of the run's Jobs.
type PatchRow struct {
	Index int              `json:"index"`
	Job   report.JobStatus `json:"job"`
}

type runFeed struct {
	nv    *nsView
	runID string
	kick  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	subs    map[chan []byte]struct{}
	last    *report.RunStatus
	lastKey []string // the Jobs' keys of last, in order
	recKey  string   // names and resource versions of the record's objects
	rec     *record.Stored
}

// feed returns the run's feed, started if it was not.
func (nv *nsView) feed(runID string) *runFeed {
	nv.mu.Lock()
	defer nv.mu.Unlock()
	f := nv.feeds[runID]
	if f == nil {
		f = &runFeed{nv: nv, runID: runID, kick: make(chan struct{}, 1), done: make(chan struct{}), subs: map[chan []byte]struct{}{}}
		nv.feeds[runID] = f
		go f.loop()
	}
	return f
}

func (f *runFeed) poke() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *runFeed) loop() {
	for {
		select {
		case <-f.done:
			return
		case <-f.kick:
		}
		// Gather what comes in the next debounce interval into one event.
		select {
		case <-f.done:
			return
		case <-time.After(f.nv.debounce):
		}
		select {
		case <-f.kick:
		default:
		}
		f.mu.Lock()
		f.publish()
		f.mu.Unlock()
	}
}

// build makes the run's document from the caches; the record is decoded
// again only when one of its objects changed.
func (f *runFeed) build() (*report.RunStatus, error) {
	cms, jobs, pods := f.nv.runObjects(f.runID)
	keys := make([]string, len(cms))
	for i, cm := range cms {
		keys[i] = cm.Name + "@" + cm.ResourceVersion
	}
	slices.Sort(keys)
	if key := strings.Join(keys, ","); key != f.recKey || f.rec == nil {
		rec, err := record.FromObjects(f.nv.ns, f.runID, cms)
		if err != nil {
			f.rec, f.recKey = nil, ""
			return nil, err
		}
		f.rec, f.recKey = rec, key
	}
	return report.RunStatusFromCache(f.rec, jobs, pods, f.nv.now()), nil
}

// publish sends what changed since the last document to every subscriber
// (f.mu held).
func (f *runFeed) publish() {
	if len(f.subs) == 0 {
		return
	}
	st, err := f.build()
	if errors.Is(err, record.ErrNotFound) {
		f.broadcast(mustJSON(map[string]string{"kind": "RunDeleted", "runID": f.runID, "namespace": f.nv.ns}))
		return
	}
	if err != nil {
		f.broadcast(mustJSON(map[string]string{"kind": "Error", "message": err.Error()}))
		return
	}
	if msg := f.diff(st); msg != nil {
		f.broadcast(msg)
	}
}

// diff is the event that takes last to st (nil: nothing changed), and
// makes st the last.
func (f *runFeed) diff(st *report.RunStatus) []byte {
	keys := jobKeys(st)
	prev, prevKeys := f.last, f.lastKey
	f.last, f.lastKey = st, keys
	if prev == nil || !slices.Equal(keys, prevKeys) {
		return mustJSON(st)
	}
	p := Patch{Kind: "RunStatusPatch", Run: headerOf(st)}
	for i := range st.Jobs {
		if !sameRow(&prev.Jobs[i], &st.Jobs[i]) {
			p.Jobs = append(p.Jobs, PatchRow{Index: i, Job: st.Jobs[i]})
		}
	}
	if len(p.Jobs) == 0 && bytes.Equal(mustJSON(headerOf(prev)), mustJSON(p.Run)) {
		return nil
	}
	if p.Jobs == nil {
		p.Jobs = []PatchRow{}
	}
	return mustJSON(p)
}

func jobKeys(st *report.RunStatus) []string {
	keys := make([]string, len(st.Jobs))
	for i, j := range st.Jobs {
		keys[i] = j.KubernetesJob
	}
	return keys
}

// headerOf is the run's own fields: the document without its Jobs.
func headerOf(st *report.RunStatus) *report.RunStatus {
	h := *st
	h.Jobs = []report.JobStatus{}
	return &h
}

// sameRow compares two rows, but for the duration of a running Job, which
// grows with the clock (the page counts it itself).
func sameRow(a, b *report.JobStatus) bool {
	x, y := *a, *b
	if x.FinishedAt == nil {
		x.DurationSeconds = 0
	}
	if y.FinishedAt == nil {
		y.DurationSeconds = 0
	}
	return reflect.DeepEqual(x, y)
}

func (f *runFeed) broadcast(msg []byte) {
	for ch := range f.subs {
		select {
		case ch <- msg:
		default: // too slow: it reconnects and starts from the whole document
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// subscribe adds a subscriber; its first message is the whole document.
func (f *runFeed) subscribe() (chan []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.build()
	if err != nil {
		return nil, err
	}
	if msg := f.diff(st); msg != nil && f.last != nil { // bring the others to the same document
		f.broadcast(msg)
	}
	ch := make(chan []byte, 64)
	ch <- mustJSON(st)
	f.subs[ch] = struct{}{}
	return ch, nil
}

func (f *runFeed) unsubscribe(ch chan []byte) {
	f.mu.Lock()
	if _, ok := f.subs[ch]; ok {
		delete(f.subs, ch)
		close(ch)
	}
	empty := len(f.subs) == 0
	f.mu.Unlock()
	if !empty {
		return
	}
	f.nv.mu.Lock()
	defer f.nv.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.subs) == 0 && f.nv.feeds[f.runID] == f {
		delete(f.nv.feeds, f.runID)
		close(f.done)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"kind": "Error", "message": err.Error()})
	}
	return b
}

// runEvents serves a run's events.
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request) {
	ns, runID, ok := s.runPath(w, r)
	if !ok {
		return
	}
	nv := s.views.namespace(ns)
	if err := nv.wait(r.Context()); err != nil {
		httpError(w, err)
		return
	}
	f := nv.feed(runID)
	ch, err := f.subscribe()
	// A run just started may not have its record yet: give it a few
	// seconds to appear in the cache before answering 404.
	for deadline := time.Now().Add(5 * time.Second); errors.Is(err, record.ErrNotFound) && time.Now().Before(deadline); {
		select {
		case <-r.Context().Done():
			f.unsubscribe(nil)
			return
		case <-time.After(100 * time.Millisecond):
		}
		ch, err = f.subscribe()
	}
	if err != nil {
		f.unsubscribe(nil)
		httpError(w, err)
		return
	}
	defer f.unsubscribe(ch)
	s.stream(w, r, ch, false)
}

// stream writes each message of ch as an event until the client goes or
// ch closes, with a comment every 20 s to keep proxies from closing it.
// With end, a closed ch is told with an "end" event (else the browser's
// EventSource connects again: what a slow subscriber dropped wants).
func (s *Server) stream(w http.ResponseWriter, r *http.Request, ch <-chan []byte, end bool) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	id := 0
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.views.ctx.Done(): // the server closes
			return
		case <-ping.C:
			_, _ = fmt.Fprint(w, ": ping\n\n")
		case msg, ok := <-ch:
			if !ok {
				if end {
					_, _ = fmt.Fprint(w, "event: end\ndata: {}\n\n")
					_ = rc.Flush()
				}
				return
			}
			id++
			if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", id, msg); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// listFeed is the run list's feed: the whole list on every change.
type listFeed struct {
	s    *Server
	kick chan struct{}
	mu   sync.Mutex
	subs map[chan []byte]struct{}
	last []byte
}

func (l *listFeed) poke() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

func (s *Server) listFeed() *listFeed {
	v := s.views
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.list == nil {
		v.list = &listFeed{s: s, kick: make(chan struct{}, 1), subs: map[chan []byte]struct{}{}}
		go v.list.loop(v.ctx)
	}
	return v.list
}

func (l *listFeed) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.s.opts.Debounce):
		}
		select {
		case <-l.kick:
		default:
		}
		l.mu.Lock()
		if len(l.subs) > 0 {
			if msg, err := l.s.listDocument(ctx); err == nil && !bytes.Equal(msg, l.last) {
				l.send(msg)
			}
		}
		l.mu.Unlock()
	}
}

// send sends msg to every subscriber and makes it the last (l.mu held).
func (l *listFeed) send(msg []byte) {
	l.last = msg
	for ch := range l.subs {
		select {
		case ch <- msg:
		default:
			delete(l.subs, ch)
			close(ch)
		}
	}
}

// listDocument is the run list from the caches: the document of
// `status -A -o json` (or -n NS).
func (s *Server) listDocument(ctx context.Context) ([]byte, error) {
	heads, err := s.views.headObjects(ctx)
	if err != nil {
		return nil, err
	}
	runs := make([]report.RunSummary, 0, len(heads))
	for _, cm := range heads {
		if rec, err := record.HeadOf(cm); err == nil {
			runs = append(runs, report.SummaryOf(rec))
		}
	}
	report.SortRuns(runs)
	if !s.opts.AllNamespaces {
		for i := range runs {
			runs[i].Namespace = ""
		}
	}
	return mustJSON(s.opts.RunList(s.opts.Namespace, runs)), nil
}

// listEvents serves the run list's events: the whole list, first and on
// every change.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	msg, err := s.listDocument(r.Context())
	if err != nil {
		httpError(w, err)
		return
	}
	l := s.listFeed()
	ch := make(chan []byte, 16)
	l.mu.Lock()
	if !bytes.Equal(msg, l.last) {
		l.send(msg) // bring the others to the same list
	}
	ch <- msg
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if _, ok := l.subs[ch]; ok {
			delete(l.subs, ch)
			close(ch)
		}
		l.mu.Unlock()
	}()
	s.stream(w, r, ch, false)
}
