// Package e2eutil holds what e2e test packages share on top of the
// framework: building and running the jobernetes binary, writing models,
// a test-side watch that records every Job's life, and audit-log queries.
package e2eutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildJobernetes builds the jobernetes binary as the Dockerfile does
// (static, -trimpath: it needs nothing from the host, so a Pod can run it
// too) into a new temporary folder readable by all, and returns its path
// and a function that removes the folder. It adds the build tag e2ehooks:
// the test hooks of pkg/controller/hooks_e2e.go (EnvCrashAt), which the
// shipped binary does not have; unset, they change nothing.
func BuildJobernetes() (string, func(), error) {
	dir, err := os.MkdirTemp("", "jobernetes-e2e-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	bin := filepath.Join(dir, "jobernetes")
	build := exec.Command("go", "build", "-trimpath", "-tags", "e2ehooks", "-o", bin, "github.com/jobernetes/jobernetes/cmd/jobernetes")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build jobernetes: %w", err)
	}
	return bin, cleanup, nil
}

// Main is the TestMain of an e2e package: it builds the binary into
// *binary, then runs the package's tests on a control plane of their own
// (frameworkMain is framework.Main, passed in so that e2eutil does not
// import the framework).
func Main(m *testing.M, binary *string, frameworkMain func(*testing.M) int) int {
	bin, cleanup, err := BuildJobernetes()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*binary = bin
	return frameworkMain(m)
}

// Jobernetes runs the binary Bin against the cluster of Kubeconfig, with
// Env (KEY=VALUE) added to the test's environment.
type Jobernetes struct {
	Bin, Kubeconfig string
	Env             []string
}

// Result is how one jobernetes process ended.
type Result struct {
	Code           int
	Stdout, Stderr string
	MaxRSSKiB      int64
	Duration       time.Duration
}

// Run runs jobernetes to the end (or until ctx is done, which kills it) and
// logs its output.
func (j Jobernetes) Run(ctx context.Context, t testing.TB, args ...string) Result {
	t.Helper()
	p := j.Start(t, args...)
	select {
	case <-p.done:
	case <-ctx.Done():
		p.Kill()
		t.Errorf("jobernetes %s: %v; killed", strings.Join(args, " "), ctx.Err())
	}
	r := p.Wait()
	t.Logf("jobernetes %s -> exit %d in %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code,
		r.Duration.Round(time.Millisecond), r.Stdout, r.Stderr)
	return r
}

// Process is a running jobernetes.
type Process struct {
	cmd      *exec.Cmd
	start    time.Time
	out, err syncBuffer
	done     chan struct{}
	end      time.Time
	waitErr  error
}

// Start starts jobernetes; the test's cleanup kills it if it still runs.
func (j Jobernetes) Start(t testing.TB, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(j.Bin, args...)
	cmd.Env = append(append(os.Environ(), j.Env...), "KUBECONFIG="+j.Kubeconfig)
	// Dies with the test binary, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.err
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start jobernetes: %v", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		p.end = time.Now()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		<-p.done
	})
	return p
}

// PID is the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitedAt waits for the process to exit and says when it did.
func (p *Process) ExitedAt() time.Time {
	<-p.done
	return p.end
}

// Stdout is what the process has printed so far.
func (p *Process) Stdout() string { return p.out.String() }

// Kill sends SIGKILL (no-op once it exited).
func (p *Process) Kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
}

// Signal sends sig (no-op once it exited).
func (p *Process) Signal(sig os.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// Wait waits for the process to exit and returns how it ended; -1 is the
// code of a process killed by a signal.
func (p *Process) Wait() Result {
	<-p.done
	r := Result{Stdout: p.out.String(), Stderr: p.err.String(), Code: -1}
	var ee *exec.ExitError
	switch {
	case p.waitErr == nil:
		r.Code = 0
	case errors.As(p.waitErr, &ee):
		r.Code = ee.ExitCode()
	}
	r.Duration = p.end.Sub(p.start)
	if st := p.cmd.ProcessState; st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSSKiB = ru.Maxrss
		}
	}
	return r
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
