package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

const labelRun = "jobernetes.io/run"

type result struct {
	code           int
	stdout, stderr string
	maxRSSKiB      int64
}

// jobernetes runs the binary with the control plane's admin kubeconfig.
func jobernetes(ctx context.Context, t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+framework.Current.AdminKubeconfig)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("run jobernetes: %v", err)
	}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSSKiB = ru.Maxrss
		}
	}
	t.Logf("jobernetes %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// jobEvent is what the test's own watch saw of one Job.
type jobEvent struct {
	name      string
	uid       string
	node      string // jobernetes.io/job label
	added     time.Time
	completed time.Time // Complete=True first seen
	failed    time.Time
	deleted   time.Time
}

// recorder watches every Job of a namespace from before the run starts, so
// the test sees each creation, even of Jobs cleanup deletes right away.
type recorder struct {
	mu     sync.Mutex
	byUID  map[string]*jobEvent
	order  []*jobEvent
	active int
	peak   int
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
	r := &recorder{byUID: map[string]*jobEvent{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		rv := ""
		for {
			for ev := range w.ResultChan() {
				job, ok := ev.Object.(*batchv1.Job)
				if !ok {
					continue
				}
				rv = job.ResourceVersion
				r.observe(ev.Type, job, time.Now())
			}
			// The server may close a watch (timeout, load): carry on from the
			// last event seen, or from a fresh list if that is too old.
			for ctx.Err() == nil {
				var err error
				if w, err = framework.Current.Client.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: rv}); err == nil {
					break
				}
				list, lerr := framework.Current.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
				if lerr == nil {
					for i := range list.Items {
						r.observe(watch.Modified, &list.Items[i], time.Now())
					}
					rv = list.ResourceVersion
				}
				time.Sleep(100 * time.Millisecond)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	t.Cleanup(r.close)
	return r
}

func (r *recorder) close() {
	r.stop()
	<-r.done
}

func (r *recorder) observe(typ watch.EventType, job *batchv1.Job, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	uid := string(job.UID)
	e, ok := r.byUID[uid]
	if !ok {
		e = &jobEvent{name: job.Name, uid: uid, node: job.Labels["jobernetes.io/job"], added: now}
		r.byUID[uid] = e
		r.order = append(r.order, e)
		r.active++
		if r.active > r.peak {
			r.peak = r.active
		}
	}
	finished := !e.completed.IsZero() || !e.failed.IsZero()
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
	nowFinished := !e.completed.IsZero() || !e.failed.IsZero() || !e.deleted.IsZero()
	if !finished && nowFinished {
		r.active--
	}
}

func (r *recorder) snapshot() []jobEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]jobEvent, 0, len(r.order))
	for _, e := range r.order {
		out = append(out, *e)
	}
	return out
}

// byNode groups the watched Jobs by model job name.
func byNode(evs []jobEvent) map[string][]jobEvent {
	m := map[string][]jobEvent{}
	for _, e := range evs {
		m[e.node] = append(m[e.node], e)
	}
	return m
}

// assertOrder checks that every Job of node `succ` was created after every
// Job of each node in preds completed, as seen by one watch stream.
func assertOrder(t *testing.T, nodes map[string][]jobEvent, succ string, preds ...string) {
	t.Helper()
	if len(nodes[succ]) == 0 {
		t.Errorf("job %s was never created", succ)
		return
	}
	for _, s := range nodes[succ] {
		for _, p := range preds {
			if len(nodes[p]) == 0 {
				t.Errorf("predecessor %s of %s was never created", p, succ)
				continue
			}
			for _, pe := range nodes[p] {
				if pe.completed.IsZero() || !s.added.After(pe.completed) {
					t.Errorf("%s (Job %s) created at %s, but predecessor %s (Job %s) completed at %s",
						succ, s.name, s.added.Format(time.StampMicro), p, pe.name, pe.completed.Format(time.StampMicro))
				}
			}
		}
	}
}

// overlapped reports whether some Job of a ran while some Job of b ran.
func overlapped(nodes map[string][]jobEvent, a, b string) bool {
	for _, x := range nodes[a] {
		for _, y := range nodes[b] {
			if x.added.Before(y.completed) && y.added.Before(x.completed) {
				return true
			}
		}
	}
	return false
}
