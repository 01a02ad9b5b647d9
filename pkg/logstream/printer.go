package logstream

import (
	"context"
	"fmt"
	"io"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// logColors are the ANSI foreground colours prefixes cycle through, one
// per Job in the run's order: red is left out (it reads as an error).
var logColors = []string{"32", "33", "34", "35", "36", "92", "93", "94", "95", "96"}

// Printer writes whole lines from many streams, each prefixed with its
// Job's phase/job, so that concurrent pods never interleave mid-line.
type Printer struct {
	mu     sync.Mutex
	w      io.Writer
	jobs   []report.JobStatus
	prefix map[string]string // Kubernetes Job name -> prefix (coloured or not)
}

// NewPrinter prints the lines of jobs' pods to w, prefixed with their
// phase/job, a colour per Job when color is set.
func NewPrinter(w io.Writer, jobs []report.JobStatus, color bool) *Printer {
	p := &Printer{w: w, jobs: jobs, prefix: make(map[string]string, len(jobs))}
	for i, js := range jobs {
		pre := js.Phase + "/" + js.Job
		if color {
			pre = "\x1b[" + logColors[i%len(logColors)] + "m" + pre + "\x1b[0m"
		}
		p.prefix[js.KubernetesJob] = pre
	}
	return p
}

// wants: the pods of this Job are printed.
func (p *Printer) wants(kubernetesJob string) bool {
	_, ok := p.prefix[kubernetesJob]
	return ok
}

func (p *Printer) line(kubernetesJob, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %s\n", p.prefix[kubernetesJob], text)
}

// note is a line about a Job rather than from it: "phase/job: ...".
func (p *Printer) note(kubernetesJob, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s: %s\n", p.prefix[kubernetesJob], text)
}

// SayGone names the finished Jobs that no longer exist: their pods, and
// so their logs, went with them.
func (p *Printer) SayGone(ctx context.Context, client kubernetes.Interface, ns, runID string) error {
	sel := labels.SelectorFromSet(labels.Set{runmeta.LabelRun: runID}).String()
	list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("list Jobs: %w", err)
	}
	exists := make(map[string]bool, len(list.Items))
	for _, j := range list.Items {
		exists[j.Name] = true
	}
	for _, js := range p.jobs {
		if exists[js.KubernetesJob] {
			continue
		}
		if why := goneReason(js.State); why != "" {
			p.note(js.KubernetesJob, "logs gone: "+why)
		}
	}
	return nil
}

// goneReason says why a finished Job that does not exist has no logs; ""
// for one that was never created or is being created.
func goneReason(state string) string {
	switch state {
	case runmeta.StateSucceeded:
		return "deleted by cleanup"
	case runmeta.StateFailed, runmeta.StateDeleted:
		return "Job deleted"
	}
	return ""
}
