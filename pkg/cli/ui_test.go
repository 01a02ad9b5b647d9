package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/ui"
)

// The page's API gives status's own documents, byte for byte: GET
// /api/runs/NS/RUN is `status --run-id RUN -n NS -o json`, GET /api/runs
// is `status -A -o json` (with -A or -n), GET /api/runs?namespace=NS is
// `status -n NS -o json`.
func TestUIAPIIsStatusJSON(t *testing.T) {
	client := statusCluster(t)
	const run = "etl-20261127-120000-ab12"
	get := func(all bool, path string) string {
		t.Helper()
		srv, err := ui.New(uiServerOptions(client, "data", all, "tok", func() time.Time { return statusNow }))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	status := func(args ...string) string {
		t.Helper()
		code, out, errOut := runStatusCmd(t, client, args...)
		if code != 0 {
			t.Fatalf("status %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	for _, c := range []struct {
		name, got, want string
	}{
		{"run", get(false, "/api/runs/data/"+run), status("--run-id", run, "-n", "data", "-o", "json")},
		{"list, ui -A", get(true, "/api/runs"), status("-A", "-o", "json")},
		{"list, ui -n", get(false, "/api/runs"), status("-A", "-o", "json")},
		{"list of a namespace", get(false, "/api/runs?namespace=data"), status("-n", "data", "-o", "json")},
	} {
		if c.got != c.want {
			t.Errorf("%s: the API's document differs from status's:\n%s\nwant\n%s", c.name, c.got, c.want)
		}
	}
}

// Usage errors of jobernetes ui exit 2 before anything is contacted.
func TestUIUsage(t *testing.T) {
	for _, args := range [][]string{
		{"ui", "-n", "a", "-A"},
		{"ui", "--address", "no-port"},
		{"ui", "extra"},
	} {
		streams, _, _, errOut := genericiooptions.NewTestIOStreams()
		if code := Run(context.Background(), args, streams); code != ExitInvalid {
			t.Errorf("%v: exit %d, want %d: %s", args, code, ExitInvalid, errOut)
		}
	}
}

// jobernetes ui prints http://127.0.0.1:PORT/?token=TOKEN and serves until
// its context ends; an address that is not loopback is served with a
// warning.
func TestUIPrintsURL(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	url := regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/\?token=[A-Za-z0-9_-]{43}\n$`)
	for _, c := range []struct {
		address string
		warn    bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}} {
		out, errOut := &lockedBuffer{}, &lockedBuffer{}
		streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() { done <- Run(ctx, []string{"ui", "--kubeconfig", kubeconfig, "--address", c.address}, streams) }()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "\n") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("%s: exit %d: %s", c.address, code, errOut)
		}
		if !url.MatchString(out.String()) {
			t.Errorf("%s: printed %q", c.address, out)
		}
		if warned := strings.Contains(errOut.String(), "warning: --address"); warned != c.warn {
			t.Errorf("%s: warning %v, want %v: %q", c.address, warned, c.warn, errOut)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
