package status

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is one jobernetes process the test started.
type process struct {
	cmd            *exec.Cmd
	args           []string
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

// start runs the binary with the control plane's admin kubeconfig; stdout
// goes to out when given (a terminal), else to a buffer. The process is
// killed when the test ends, if it is still running.
func start(t *testing.T, env []string, out *os.File, args ...string) *process {
	t.Helper()
	p := &process{args: args, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(append(os.Environ(), "KUBECONFIG="+framework.Current.AdminKubeconfig), env...)
	p.cmd.Stdout, p.cmd.Stderr = io.Writer(p.stdout), p.stderr
	if out != nil {
		p.cmd.Stdout = out
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("jobernetes %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.args, " "), timeout, p.stdout, p.stderr)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err != nil {
		t.Fatalf("jobernetes: %v", p.err)
	}
	t.Logf("jobernetes %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(p.args, " "), code, p.stdout, p.stderr)
	return code
}

// jobernetes runs the binary to its end.
func jobernetes(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, nil, nil, args...)
	code = p.wait(t, 2*time.Minute)
	return code, p.stdout.String(), p.stderr.String()
}

// jobLife is what the test's own watch saw of one Job.
type jobLife struct {
	name, node string
	added      time.Time
	completed  time.Time // Complete=True first seen
	failed     time.Time // Failed=True first seen
	deleted    time.Time
}

// state is the Job's state as the watch saw it: running once created,
// succeeded or failed from its conditions.
func (j jobLife) state() string {
	switch {
	case !j.completed.IsZero():
		return "succeeded"
	case !j.failed.IsZero():
		return "failed"
	}
	return "running"
}

// recorder watches every Job of a namespace from before the run starts.
type recorder struct {
	mu     sync.Mutex
	byName map[string]*jobLife
	stop   context.CancelFunc
	done   chan struct{}
}

func watchJobs(t *testing.T, ns string) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := framework.Current.Client.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &recorder{byName: map[string]*jobLife{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range w.ResultChan() {
			if job, ok := ev.Object.(*batchv1.Job); ok {
				r.observe(ev.Type, job, time.Now())
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func (r *recorder) observe(typ watch.EventType, job *batchv1.Job, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byName[job.Name]
	if !ok {
		e = &jobLife{name: job.Name, node: job.Labels["jobernetes.io/job"], added: now}
		r.byName[job.Name] = e
	}
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		if c.Type == batchv1.JobComplete && e.completed.IsZero() {
			e.completed = now
		}
		if c.Type == batchv1.JobFailed && e.failed.IsZero() {
			e.failed = now
		}
	}
	if typ == watch.Deleted && e.deleted.IsZero() {
		e.deleted = now
	}
}

// snapshot copies what the watch saw, by Job name.
func (r *recorder) snapshot() map[string]jobLife {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]jobLife, len(r.byName))
	for k, v := range r.byName {
		out[k] = *v
	}
	return out
}

// byNode finds the Jobs of one model job.
func byNode(s map[string]jobLife, node string) []jobLife {
	var out []jobLife
	for _, j := range s {
		if j.node == node {
			out = append(out, j)
		}
	}
	return out
}
