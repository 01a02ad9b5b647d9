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
)

// A failed container's last log lines say more than its exit code: they
// are fetched when the Job is diagnosed, before anything of it is deleted
// (a failed Job is kept, but its pods may be garbage-collected later). The
// fetches run off the sync (tails.go): a kubelet that does not answer
// delays that Job's diagnosis, never the rest of the run.

// logTailTimeout bounds the fetches of one failed Job, from the moment it
// is diagnosed (the wait for a free reader included): its diagnosis, and
// the run's end, wait at most this long for them. It happens once per
// failed Job, for at most maxPodFailures pods.
const logTailTimeout = 5 * time.Second

// maxLogLineBytes bounds one line of a tail: a tail is for reading, and a
// binary or minified log must not bloat the record.
const maxLogLineBytes = 512

// readTails adds the last Options.LogLines lines of each failed
// container's log to failures, until ctx ends. It returns pods/log's
// refusal (the run then asks no more, and says so once). It runs off the
// sync: it touches nothing but failures.
func (c *Controller) readTails(ctx context.Context, failures []record.PodFailure) (forbidden error) {
	logger := klog.FromContext(ctx)
	for i := range failures {
		f := &failures[i]
		if f.Container == "" {
			continue // the pod never ran a container: no log
		}
		tail, err := c.logTail(ctx, f.Pod, f.Container)
		switch {
		case apierrors.IsForbidden(err):
			return err
		case err != nil:
			logger.V(2).Info("No log tail for failed container", "pod", f.Pod, "container", f.Container, "err", err)
			continue
		}
		f.LogTail = tail
	}
	return nil
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
