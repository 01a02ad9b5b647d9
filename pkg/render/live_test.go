package render

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// advanced is the example model with every feature.
var advanced = filepath.Join("..", "..", "examples", "advanced", "jobermodel.yaml")

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func loadAdvanced(t *testing.T) *config.Model {
	t.Helper()
	m, err := config.Load(advanced, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// The live view is used on a terminal only, and not when asked for plain
// output.
func TestStyled(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name    string
		out     io.Writer
		noColor bool
		env     func(string) string
		want    bool
	}{
		{"pty", tty, false, env("TERM", "xterm"), true},
		{"pty, --no-color", tty, true, env(), false},
		{"pty, NO_COLOR=1", tty, false, env("NO_COLOR", "1"), false},
		{"pty, NO_COLOR empty", tty, false, env("NO_COLOR", ""), true},
		{"pty, TERM=dumb", tty, false, env("TERM", "dumb"), false},
		{"pipe", w, false, env(), false},
		{"file", file, false, env(), false},
		{"buffer", &bytes.Buffer{}, false, env(), false},
	} {
		if got := Styled(tc.out, tc.noColor, tc.env); got != tc.want {
			t.Errorf("%s: Styled = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// frames of a run of the advanced example, with a fixed clock.
func TestLiveViewFrame(t *testing.T) {
	m := loadAdvanced(t)
	now := runStart
	var out bytes.Buffer
	v := NewLiveView(&out, m, "adv-1", func() time.Time { return now })
	v.size = func() (int, int) { return 80, 40 }
	jobName := func(job string, i int) string {
		for _, j := range m.Jobs() {
			if j.Name == job {
				return runmeta.JobName("adv-1", j, j.Manifests[i])
			}
		}
		t.Fatalf("no job %s", job)
		return ""
	}
	tr := func(sec float64, job string, i int, state, reason string) {
		now = at(sec)
		v.Observe(runmeta.Transition{Time: now, Elapsed: now.Sub(runStart), Job: job, Name: jobName(job, i), State: state, Reason: reason})
	}
	tr(0, "sleep_one", 0, "running", "")
	tr(6, "sleep_one", 0, "succeeded", "")
	tr(6.1, "dream_a", 0, "running", "")
	tr(6.1, "dream_b", 0, "running", "")
	tr(9, "dream_b", 0, "failed", "BackoffLimitExceeded")
	tr(9.5, "wakeup", 0, "running", "")
	now = at(12.4)
	got := ansi.ReplaceAllString(v.frameLocked(), "")
	want := `jobernetes run adv-1  +12s  1/8 Jobs succeeded, 2 running, 1 failed
STATE       ELAPSED  PHASE        JOB
succeeded        6s  start_sleep  sleep_one
running          6s  mid_sleep    dream_a
waiting           -  mid_sleep    sleep_hickup_a
failed           3s  mid_sleep    dream_b  BackoffLimitExceeded
waiting           -  mid_sleep    sleep_hickup_b
running          3s  end_sleep    wakeup 0/3
`
	if got != want {
		t.Errorf("frame:\n%s\nwant:\n%s", got, want)
	}

	// A short terminal: the window starts at the first job not succeeded,
	// the rest is summed up; no line reaches the last column.
	v.size = func() (int, int) { return 30, 6 }
	got = ansi.ReplaceAllString(v.frameLocked(), "")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[2], "running ") || !strings.HasPrefix(lines[5], "... 1 more above, 2 bel") {
		t.Errorf("short frame:\n%s", got)
	}
	for _, l := range lines {
		if len([]rune(l)) >= 30 {
			t.Errorf("line %q reaches the terminal's width", l)
		}
	}
}

// On a pseudo-terminal the view redraws in place: the cursor goes up over
// the previous frame and the screen below is erased; a warning is printed
// above the table; the last frame stays.
func TestLiveViewRedrawsOnPTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var screen bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()

	m := loadAdvanced(t)
	if !Styled(tty, false, env("TERM", "xterm")) {
		t.Fatal("a pty is not taken for a terminal")
	}
	v := NewLiveView(tty, m, "adv-1", time.Now)
	v.Start(20 * time.Millisecond)
	first := m.Jobs()[0]
	name := runmeta.JobName("adv-1", first, first.Manifests[0])
	v.Observe(runmeta.Transition{Time: time.Now(), Job: first.Name, Name: name, State: "running"})
	time.Sleep(150 * time.Millisecond)
	v.Note(runmeta.Note{Time: time.Now(), Kind: runmeta.NoteWarning, Text: "warning: a foreign Job\n"})
	v.Diagnosis(runmeta.Diagnosis{Time: time.Now(), Name: name, Pods: []record.PodFailure{{Pod: name + "-p", Container: "main", ExitCode: 3}}})
	v.Observe(runmeta.Transition{Time: time.Now(), Job: first.Name, Name: name, State: "succeeded"})
	time.Sleep(150 * time.Millisecond)
	v.Close()
	tty.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		s := screen.String()
		mu.Unlock()
		if strings.Contains(s, "1/8 Jobs succeeded") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	s := screen.String()
	mu.Unlock()
	t.Logf("%d bytes on the terminal, %d redraws", len(s), strings.Count(s, ansiEraseDown))
	if !regexp.MustCompile(`\x1b\[\d+A`).MatchString(s) || !strings.Contains(s, ansiEraseDown) {
		t.Errorf("no cursor-up / erase sequences on the terminal:\n%q", s)
	}
	if !strings.Contains(s, "warning: a foreign Job") || !strings.Contains(s, "           pod "+name+"-p container main: exit code 3") {
		t.Errorf("notes and diagnoses go above the table:\n%q", s)
	}
	if !strings.Contains(s, "\x1b[32msucceeded") {
		t.Errorf("the succeeded state is not coloured:\n%q", s)
	}
}

// A resumed or retried run: the rows come from the run's plan in the
// cluster (a retry's Job names differ from the first attempt's), with the
// states it has reached; a Job outside the plan (a revert) gets a row.
func TestLiveViewSeed(t *testing.T) {
	now := at(30)
	v := NewLiveView(io.Discard, loadAdvanced(t), "adv-1", func() time.Time { return now })
	started := runStart
	v.Seed(&report.RunStatus{StartedAt: &started, Jobs: []report.JobStatus{
		{JobInModel: report.JobInModel{Phase: "one", Job: "a"}, KubernetesJob: "a-attempt2", State: "succeeded", CreatedAt: ptr(at(1)), FinishedAt: ptr(at(5))},
		{JobInModel: report.JobInModel{Phase: "one", Job: "b"}, KubernetesJob: "b-attempt2", State: "waiting"},
	}})
	v.Observe(runmeta.Transition{Time: at(29), Elapsed: 29 * time.Second, Phase: "one", Job: "b", Name: "b-attempt2", State: "running"})
	v.Observe(runmeta.Transition{Time: at(29), Elapsed: 29 * time.Second, Phase: "one", Job: "a", Name: "revert-a-x", State: "running"})
	got := ansi.ReplaceAllString(v.frameLocked(), "")
	want := `jobernetes run adv-1  +30s  1/3 Jobs succeeded, 2 running
STATE       ELAPSED  PHASE  JOB
succeeded        4s  one    a
running          1s  one    b
running          1s  one    a (revert)
`
	if got != want {
		t.Errorf("frame:\n%s\nwant:\n%s", got, want)
	}
}

func ptr(t time.Time) *time.Time { return &t }
