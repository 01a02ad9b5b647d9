package status

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

var (
	cursorUp = regexp.MustCompile(`\x1b\[\d+A`)
	anyEsc   = "\x1b["
)

// runOnPTY runs jobernetes with stdout on a pseudo-terminal and returns
// what the terminal received (stderr is kept apart).
func runOnPTY(t *testing.T, env []string, args ...string) (code int, screen string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var buf bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		b := make([]byte, 4096)
		for {
			n, err := ptmx.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return // EIO once the child has exited and closed the terminal
			}
		}
	}()
	p := start(t, env, tty, args...)
	tty.Close() // the child holds its own copy
	code = p.wait(t, 2*time.Minute)
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
		t.Errorf("the terminal was not closed after the process ended")
	}
	mu.Lock()
	defer mu.Unlock()
	return code, buf.String()
}

// On a terminal `run` redraws a table in place and prints the summary
// after it; piped, or with NO_COLOR, it prints plain lines and no escape
// sequence at all.
func TestLiveView(t *testing.T) {
	cp := framework.RequireCluster(t)
	ns := cp.NewNamespace(t)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": `jobernetes_config:
  cleanup: false
jobernetes:
  - phase_name: one
    jobs:
      - {name: a, job_path: ok2.yaml}
      - {name: b, job_path: ok0.yaml, depends_on: [a]}
`,
		"ok0.yaml": e2eutil.JobYAML("0s", false),
		"ok2.yaml": e2eutil.JobYAML("2s", false),
	})
	modelFile := filepath.Join(dir, "jobermodel.yaml")
	plainEnv := []string{"TERM=xterm", "NO_COLOR="}

	t.Run("terminal", func(t *testing.T) {
		rec := watchJobs(t, ns)
		code, screen := runOnPTY(t, plainEnv, "run", "-f", modelFile, "-n", ns)
		t.Logf("%d bytes on the terminal, %d redraws", len(screen), strings.Count(screen, "\x1b[J"))
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if !cursorUp.MatchString(screen) || !strings.Contains(screen, "\x1b[J") {
			t.Errorf("no redraw (cursor up, erase down) on the terminal:\n%q", screen)
		}
		for _, want := range []string{"run ID: ", "STATE", "ELAPSED", "2/2 Jobs succeeded", "\x1b[32msucceeded", "SUCCEEDED", "critical path"} {
			if !strings.Contains(screen, want) {
				t.Errorf("terminal lacks %q:\n%q", want, screen)
			}
		}
		// The summary comes after the last frame.
		if i, j := strings.LastIndex(screen, "\x1b[J"), strings.Index(screen, "SUCCEEDED"); i > j {
			t.Errorf("a redraw after the summary:\n%q", screen)
		}
		if strings.Contains(screen, "created   one/a") {
			t.Errorf("plain progress lines on the terminal as well as the table")
		}
		runID := runIDLine.FindStringSubmatch(screen)
		if runID == nil {
			t.Fatal("no run ID on the terminal")
		}
		created := map[string]bool{}
		for name := range rec.snapshot() {
			created[name] = true
		}
		if len(created) != 2 {
			t.Errorf("the watch saw %d Jobs, want 2", len(created))
		}
		checkEvents(t, ns, runID[1], created, "Normal", controller.ReasonRunSucceeded)
	})

	t.Run("piped", func(t *testing.T) {
		p := start(t, plainEnv, nil, "run", "-f", modelFile, "-n", ns)
		if code := p.wait(t, 2*time.Minute); code != 0 {
			t.Fatalf("exit %d", code)
		}
		out := p.stdout.String()
		if strings.Contains(out, anyEsc) {
			t.Errorf("escape sequences in piped output:\n%q", out)
		}
		if !strings.Contains(out, "created   one/a") || !strings.Contains(out, "SUCCEEDED") {
			t.Errorf("piped output lacks the plain lines or the summary:\n%s", out)
		}
	})

	t.Run("terminal, NO_COLOR", func(t *testing.T) {
		code, screen := runOnPTY(t, []string{"TERM=xterm", "NO_COLOR=1"}, "run", "-f", modelFile, "-n", ns)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if strings.Contains(screen, anyEsc) {
			t.Errorf("escape sequences with NO_COLOR=1:\n%q", screen)
		}
		if !strings.Contains(screen, "created   one/a") {
			t.Errorf("no plain lines with NO_COLOR=1:\n%q", screen)
		}
	})

	t.Run("terminal, --no-color", func(t *testing.T) {
		code, screen := runOnPTY(t, plainEnv, "run", "-f", modelFile, "-n", ns, "--no-color")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if strings.Contains(screen, anyEsc) {
			t.Errorf("escape sequences with --no-color:\n%q", screen)
		}
	})
}
