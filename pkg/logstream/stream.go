package logstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// followGrace is how long a followed log may stay open after its pod says
// the container terminated: a kubelet closes it itself once the log is
// read to its end, but some (kwok's) never do.
const followGrace = 3 * time.Second

// runPollInterval is how often -f reads the run record's head (one GET) to
// learn that the run has ended.
const runPollInterval = time.Second

// Options are what to read of each container's log (`jobernetes logs`
// flags).
type Options struct {
	Container  string        // only this container ("": all)
	Tail       int64         // lines from the end (-1: all)
	Since      time.Duration // only lines newer than this (0: all)
	Timestamps bool          // start every line with its timestamp
}

// Streamer reads the logs of a run's pods into a Printer.
type Streamer struct {
	client  kubernetes.Interface
	ns      string
	runID   string
	printer *Printer
	opts    Options
	errOut  io.Writer

	mu      sync.Mutex
	streams map[string]*logStream // "pod/container"
	wg      sync.WaitGroup
	failed  int
}

// NewStreamer reads the logs of run runID in namespace ns into printer;
// warnings (a log that cannot be read) go to errOut.
func NewStreamer(client kubernetes.Interface, ns, runID string, printer *Printer, opts Options, errOut io.Writer) *Streamer {
	return &Streamer{client: client, ns: ns, runID: runID, printer: printer, opts: opts, errOut: errOut}
}

type logStream struct {
	cancel context.CancelFunc
	closer *time.Timer // set once the container is seen terminated
}

// containersToRead are the pod's containers that have started (running or
// terminated): a waiting container has no log yet.
func containersToRead(pod *corev1.Pod, only string) (running, terminated []string) {
	for _, cs := range runmeta.ContainerStatuses(pod) {
		if only != "" && cs.Name != only {
			continue
		}
		switch {
		case cs.State.Running != nil:
			running = append(running, cs.Name)
		case cs.State.Terminated != nil:
			terminated = append(terminated, cs.Name)
		}
	}
	return running, terminated
}

// Once prints the logs there are now, pod after pod in the run's Job order
// (oldest pod first within a Job).
func (s *Streamer) Once(ctx context.Context) error {
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: s.runID}).String()
	list, err := s.client.CoreV1().Pods(s.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	order := make(map[string]int, len(s.printer.jobs))
	for i, js := range s.printer.jobs {
		order[js.KubernetesJob] = i
	}
	pods := list.Items
	sort.SliceStable(pods, func(a, b int) bool {
		ja, jb := order[runmeta.PodJobName(&pods[a])], order[runmeta.PodJobName(&pods[b])]
		if ja != jb {
			return ja < jb
		}
		return pods[a].CreationTimestamp.Before(&pods[b].CreationTimestamp)
	})
	for i := range pods {
		pod := &pods[i]
		job := runmeta.PodJobName(pod)
		if !s.printer.wants(job) {
			continue
		}
		running, terminated := containersToRead(pod, s.opts.Container)
		for _, c := range append(running, terminated...) {
			s.read(ctx, job, pod.Name, c, false)
		}
	}
	return s.result()
}

// Follow attaches to every pod's containers as they start, and returns
// once the run has ended and every log has been read.
func (s *Streamer) Follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	// Whatever the return, the streams end before Follow does: cancelled
	// (the factory's deferred Shutdown runs first, so no handler starts
	// another), then waited for.
	defer func() {
		cancel()
		s.wg.Wait()
	}()
	s.streams = map[string]*logStream{}
	factory := runmeta.NewInformerFactory(s.client, s.ns, s.runID)
	inf := factory.Core().V1().Pods().Informer()
	seen := func(obj interface{}) {
		if pod, ok := obj.(*corev1.Pod); ok {
			s.attach(ctx, pod)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: seen, UpdateFunc: func(_, cur interface{}) { seen(cur) },
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	// Shutdown waits for the informer, which stops with ctx: cancel first.
	defer func() { cancel(); factory.Shutdown() }()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("watch pods: %w", ctx.Err())
	}
	if err := s.waitForEnd(ctx); err != nil {
		return err
	}
	// The last pods may have finished after the last event handled: look
	// once more, then every stream is either ended or bound to end.
	for _, obj := range inf.GetStore().List() {
		seen(obj)
	}
	s.mu.Lock()
	for _, st := range s.streams {
		if st.closer == nil {
			st.closer = time.AfterFunc(followGrace, st.cancel)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return s.result()
}

// waitForEnd returns once the run has ended, as its record's head says
// (one GET every runPollInterval).
func (s *Streamer) waitForEnd(ctx context.Context) error {
	tick := time.NewTicker(runPollInterval)
	defer tick.Stop()
	for {
		head, err := record.GetHead(ctx, s.client, s.ns, s.runID)
		if err != nil {
			return err
		}
		if head.Result != record.ResultRunning {
			klog.FromContext(ctx).V(2).Info("Run ended; draining its logs", "run", s.runID, "result", head.Result)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// attach starts a followed read of each started container not read yet,
// and bounds those whose container has terminated.
func (s *Streamer) attach(ctx context.Context, pod *corev1.Pod) {
	job := runmeta.PodJobName(pod)
	if !s.printer.wants(job) {
		return
	}
	running, terminated := containersToRead(pod, s.opts.Container)
	s.mu.Lock()
	defer s.mu.Unlock()
	start := func(c string, ended bool) {
		key := pod.Name + "/" + c
		st, ok := s.streams[key]
		if !ok {
			sctx, cancel := context.WithCancel(ctx)
			st = &logStream{cancel: cancel}
			s.streams[key] = st
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer cancel()
				s.read(sctx, job, pod.Name, c, !ended)
			}()
		}
		if ended && st.closer == nil {
			st.closer = time.AfterFunc(followGrace, st.cancel)
		}
	}
	for _, c := range running {
		start(c, false)
	}
	for _, c := range terminated {
		start(c, true)
	}
}

// read copies one container's log to the printer, line by line.
func (s *Streamer) read(ctx context.Context, job, pod, container string, follow bool) {
	opts := &corev1.PodLogOptions{Container: container, Follow: follow, Timestamps: s.opts.Timestamps}
	if s.opts.Tail >= 0 {
		opts.TailLines = &s.opts.Tail
	}
	if s.opts.Since > 0 {
		secs := int64(s.opts.Since.Round(time.Second).Seconds())
		opts.SinceSeconds = &secs
	}
	rc, err := s.client.CoreV1().Pods(s.ns).GetLogs(pod, opts).Stream(ctx)
	if err == nil {
		defer rc.Close()
		br := bufio.NewReader(rc)
		for {
			var line string
			line, err = br.ReadString('\n')
			if line != "" {
				s.printer.line(job, trimEOL(line))
			}
			if err != nil {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	switch {
	case err == nil, ctx.Err() != nil, apierrors.IsNotFound(err):
		// Ended, closed by follow, or the pod went (cleanup): nothing to say.
	default:
		s.mu.Lock()
		s.failed++
		s.mu.Unlock()
		fmt.Fprintf(s.errOut, "warning: logs of pod %s container %s: %v\n", pod, container, err)
	}
}

func (s *Streamer) result() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed > 0 {
		return fmt.Errorf("%d container log(s) could not be read", s.failed)
	}
	return nil
}

func trimEOL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
