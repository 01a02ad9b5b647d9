package controller

import (
	"bufio"
	"context"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// A failed container's last log lines say more than its exit code: they
// are fetched when the Job is diagnosed, before anything of it is deleted
// (a failed Job is kept, but its pods may be garbage-collected later).

// logTailTimeout bounds the fetches of one failed Job: an unreachable
// kubelet must not hold up the run for long (the fetch is on the sync's
// path; it happens once per failed Job, for at most maxPodFailures pods).
const logTailTimeout = 5 * time.Second

// maxLogLineBytes bounds one line of a tail: a tail is for reading, and a
// binary or minified log must not bloat the record.
const maxLogLineBytes = 512

// fillLogTails adds the last Options.LogLines lines of each failed
// container's log to failures. A run without pods/log gets no tails and
// one warning.
func (c *Controller) fillLogTails(ctx context.Context, failures []record.PodFailure) {
	if c.opts.LogLines <= 0 || c.notes.logsForbidden {
		return
	}
	logger := klog.FromContext(ctx)
	ctx, cancel := context.WithTimeout(ctx, logTailTimeout)
	defer cancel()
	for i := range failures {
		f := &failures[i]
		if f.Container == "" {
			continue // the pod never ran a container: no log
		}
		tail, err := c.logTail(ctx, f.Pod, f.Container)
		switch {
		case apierrors.IsForbidden(err):
			c.notes.logsForbidden = true
			c.note(runmeta.NoteWarning, "warning: cannot read pod logs (%v): failed Jobs are reported without their log tail; the Role needs pods/log get\n", err)
			return
		case err != nil:
			logger.V(2).Info("No log tail for failed container", "pod", f.Pod, "container", f.Container, "err", err)
			continue
		}
		f.LogTail = tail
	}
}

func (c *Controller) logTail(ctx context.Context, pod, container string) ([]string, error) {
	n := int64(c.opts.LogLines)
	rc, err := c.client.CoreV1().Pods(c.ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &n}).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return TailLines(rc, c.opts.LogLines)
}

// TailLines reads r's lines and keeps the last n, each cut at
// maxLogLineBytes and without its line ending.
func TailLines(r io.Reader, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	var lines []string
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			if len(line) > maxLogLineBytes {
				line = line[:maxLogLineBytes] + "…"
			}
			lines = append(lines, line)
			if len(lines) > n {
				lines = lines[1:]
			}
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
	}
}
