// Package ui is `jobernetes ui`: a web page of the user's runs, served on
// loopback from their kubeconfig, with their rights (docs/ui.md). The page
// and the JSON API read runs with pkg/report, the same code as `status`;
// live updates come from informers (views.go) over Server-Sent Events
// (events.go); cancel and delete go through the functions pkg/cli gives
// (pkg/runctl's, as the commands use; actions.go).
package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// TokenHeader carries the token on every state-changing request (POST).
const TokenHeader = "X-Jobernetes-Token"

// Options configure a Server.
type Options struct {
	Client kubernetes.Interface
	// Cancel and Delete act on a run as `jobernetes cancel` and `delete`
	// do. pkg/cli gives runctl.CancelRun and runctl.DeleteRun (pkg/runctl):
	// the page reads runs and does not import the orchestrator
	// (docs/architecture.md).
	Cancel func(ctx context.Context, client kubernetes.Interface, ns, runID, reason string, now time.Time, timeout time.Duration) (int, error)
	Delete func(ctx context.Context, client kubernetes.Interface, ns, runID string, timeout time.Duration) error
	// Namespace is the one namespace in view; AllNamespaces shows every
	// namespace the user can read (Namespace is then ignored).
	Namespace     string
	AllNamespaces bool
	// Token authenticates every request (docs/ui.md, "Security").
	Token string
	Now   func() time.Time
	// RunList builds `status -o json`'s run list document (ns empty with
	// AllNamespaces), so that /api/runs is that document; default
	// report.NewRunList.
	RunList func(ns string, runs []report.RunSummary) any
	// Timeline writes a run's SVG timeline; default render.GanttSVG, the
	// drawing of status -o svg.
	Timeline func(w io.Writer, st *report.RunStatus, now time.Time) error
	// Debounce gathers the changes of a run into one event (default 100ms).
	Debounce time.Duration
	// CancelTimeout bounds how long a cancel deletes Jobs (default 30s);
	// DeleteTimeout how long a delete waits for the Jobs to go (default 1m).
	CancelTimeout, DeleteTimeout time.Duration
}

// Server serves the page, the JSON API and the events.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	cookie string
	views  *views
}

// New makes a Server; Serve or Handler use it.
func New(opts Options) (*Server, error) {
	if opts.Client == nil || opts.Token == "" || opts.Cancel == nil || opts.Delete == nil {
		return nil, errors.New("ui: a client, a token, Cancel and Delete are needed")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.CancelTimeout <= 0 {
		opts.CancelTimeout = 30 * time.Second
	}
	if opts.DeleteTimeout <= 0 {
		opts.DeleteTimeout = time.Minute
	}
	if opts.RunList == nil {
		opts.RunList = func(ns string, runs []report.RunSummary) any { return report.NewRunList(ns, runs) }
	}
	if opts.Timeline == nil {
		opts.Timeline = render.GanttSVG
	}
	if opts.AllNamespaces {
		opts.Namespace = ""
	}
	// One cookie per server: cookies do not tell ports apart, and two
	// servers on one machine must not overwrite each other's.
	sum := sha256.Sum256([]byte(opts.Token))
	s := &Server{opts: opts, mux: http.NewServeMux(), cookie: "jobernetes-token-" + hex.EncodeToString(sum[:4])}
	s.views = newViews(opts.Client, opts.Namespace, opts.Debounce, opts.Now)
	s.routes()
	if !opts.AllNamespaces {
		s.views.namespace(opts.Namespace) // the one namespace in view: watched from the start
	}
	return s, nil
}

// Close stops the informers.
func (s *Server) Close() { s.views.close() }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /runs/{ns}/{run}", s.page)
	s.mux.HandleFunc("GET /static/{file}", s.static)
	s.mux.HandleFunc("GET /api/runs", s.apiRuns)
	s.mux.HandleFunc("GET /api/events", s.listEvents)
	s.mux.HandleFunc("GET /api/runs/{ns}/{run}", s.apiRun)
	s.mux.HandleFunc("GET /api/runs/{ns}/{run}/events", s.runEvents)
	s.mux.HandleFunc("GET /api/runs/{ns}/{run}/timeline.svg", s.timeline)
	s.mux.HandleFunc("GET /api/runs/{ns}/{run}/logs", s.logs)
	s.mux.HandleFunc("POST /api/runs/{ns}/{run}/cancel", s.cancel)
	s.mux.HandleFunc("POST /api/runs/{ns}/{run}/delete", s.delete)
}

// Handler is the server's handler: security headers, the token, then the
// routes.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // the token may be in the URL
		h.Set("Cache-Control", "no-store")
		if !s.authenticate(w, r) {
			s.unauthorized(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead &&
			subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(s.opts.Token)) != 1 {
			http.Error(w, "a state-changing request needs the token in the "+TokenHeader+" header", http.StatusForbidden)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy is sent with every response: the page loads only
// its own scripts, styles and images and talks only to this server; no
// inline script, no frame.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// authenticate accepts the token from the query (then sets the cookie, so
// that the page's later requests need not carry it), the token header, a
// Bearer header, or the cookie.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if t := r.URL.Query().Get("token"); t != "" {
		if !s.tokenOK(t) {
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: s.opts.Token, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode})
		return true
	}
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.tokenOK(t) {
		return true
	}
	if c, err := r.Cookie(s.cookie); err == nil && s.tokenOK(c.Value) {
		return true
	}
	return s.tokenOK(r.Header.Get(TokenHeader))
}

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.opts.Token)) == 1
}

// unauthorized: 401; a page asks for the token with a form.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="jobernetes ui"`)
	if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/static/") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, tokenForm)
		return
	}
	http.Error(w, "unauthorized: the token is missing or wrong (jobernetes ui prints the URL with it)", http.StatusUnauthorized)
}

const tokenForm = `<!doctype html><html><head><meta charset="utf-8"><title>jobernetes ui: token</title></head>
<body><h1>jobernetes ui</h1><p>This page needs the token that <code>jobernetes ui</code> printed with its URL.</p>
<form method="get"><label>Token <input name="token" type="password" autofocus></label> <button>Open</button></form></body></html>
`

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx) // event streams end with ctx (BaseContext)
	s.Close()
	return nil
}

// URL is the address to print: http://HOST:PORT/?token=TOKEN, with
// 127.0.0.1 for an unspecified host.
func URL(addr net.Addr, token string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return fmt.Sprintf("http://%s/?token=%s", addr, token)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s/?token=%s", net.JoinHostPort(host, port), token)
}

// IsLoopback tells whether a listen address HOST:PORT is on loopback only.
func IsLoopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
