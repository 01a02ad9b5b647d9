// Command poller is the benchmark's polling baseline: the original
// jobernetes tool's algorithm, rewritten in Go so that it runs the same
// models on the same control plane.
//
// Every tick it LISTs the run's Jobs (a plain LIST, no informer, no watch),
// derives every job's state from that list, creates each job whose
// dependencies and earlier phases have succeeded, deletes succeeded Jobs when
// the model asks for cleanup, and then sleeps for the interval (the
// original's refresh_time, 5 s by default), so a tick lasts the work plus the
// interval, as it did there. It stops when every job succeeded (exit 0) or
// one failed (exit 1).
//
// The original made several LIST calls per job per tick; this one makes a
// single LIST per tick, so its request counts are a lower bound of the
// original's, and its reaction times are the same (they come from the sleep).
//
//	poller -f jobermodel.yaml -n NS [--interval 5s] [--kubeconfig PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/graph"
)

// UserAgent is how the audit log tells the poller's requests apart.
const UserAgent = "jobernetes-bench-poller/1.0"

// Labels on the poller's Jobs: the LIST selector, and the model job (the
// benchmark's watch maps Jobs to DAG nodes by it).
const (
	LabelPoller = "bench.jobernetes.io/poller"
	LabelNode   = "bench.jobernetes.io/node"
)

func main() {
	var (
		model      = flag.String("f", "jobermodel.yaml", "model file")
		namespace  = flag.String("n", "", "namespace (required)")
		interval   = flag.Duration("interval", 5*time.Second, "sleep between two ticks (the original's refresh_time)")
		kubeconfig = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *model, *namespace, *kubeconfig, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "poller:", err)
		os.Exit(1)
	}
}

type job struct {
	node     int
	name     string
	manifest *batchv1.Job
	created  bool
	done     bool // seen Complete; the Job may be gone since (cleanup)
	deleted  bool
}

func run(ctx context.Context, modelPath, ns, kubeconfig string, interval time.Duration) error {
	if ns == "" {
		return fmt.Errorf("-n NAMESPACE is required")
	}
	m, err := config.Load(modelPath, config.LoadOptions{Namespace: ns})
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.UserAgent = UserAgent
	cfg.QPS = -1 // no client-side rate limit, like the original's Python client
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	jobs := make([]*job, len(m.Jobs()))
	for _, j := range m.Jobs() {
		if len(j.Manifests) != 1 {
			return fmt.Errorf("job %s: the poller runs file jobs only (one manifest each)", j.Name)
		}
		jobs[j.Index] = &job{node: j.Index, name: config.SanitizeDNS(j.Name), manifest: j.Manifests[0].Job}
	}
	api := client.BatchV1().Jobs(ns)
	selector := LabelPoller + "=true"
	background := metav1.DeletePropagationBackground
	start := time.Now()
	for tick := 1; ; tick++ {
		list, err := api.List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return fmt.Errorf("tick %d: list Jobs: %w", tick, err)
		}
		byName := make(map[string]*batchv1.Job, len(list.Items))
		for i := range list.Items {
			byName[list.Items[i].Name] = &list.Items[i]
		}
		states := make([]graph.NodeState, len(jobs))
		succeeded := 0
		for _, j := range jobs {
			k8s := byName[j.name]
			switch {
			case j.done:
				states[j.node].Main = graph.Succeeded
			case k8s == nil && !j.created:
				states[j.node].Main = graph.Pending
			case k8s == nil:
				return fmt.Errorf("job %s: Job %s/%s disappeared", m.Jobs()[j.node].Name, ns, j.name)
			case condition(k8s, batchv1.JobFailed):
				return fmt.Errorf("job %s: Job %s/%s failed", m.Jobs()[j.node].Name, ns, j.name)
			case condition(k8s, batchv1.JobComplete):
				j.done = true
				states[j.node].Main = graph.Succeeded
			default:
				states[j.node].Main = graph.Running
			}
			if states[j.node].Main == graph.Succeeded {
				succeeded++
			}
			if j.done && k8s != nil && m.Options.Cleanup && !j.deleted {
				err := api.Delete(ctx, j.name, metav1.DeleteOptions{PropagationPolicy: &background})
				if err != nil && !apierrors.IsNotFound(err) {
					return fmt.Errorf("delete Job %s/%s: %w", ns, j.name, err)
				}
				j.deleted = true
			}
		}
		if succeeded == len(jobs) {
			fmt.Printf("all %d jobs succeeded in %s (%d ticks)\n", len(jobs), time.Since(start).Round(time.Millisecond), tick)
			return nil
		}
		for _, n := range m.Graph.Decide(states, graph.Run{}).Create {
			j := jobs[n]
			if j.created {
				continue // running: Decide lists it while more of its Jobs may start
			}
			obj := &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{
					Name:        j.name,
					Namespace:   ns,
					Labels:      map[string]string{LabelPoller: "true", LabelNode: m.Jobs()[n].Name},
					Annotations: j.manifest.Annotations,
				},
				Spec: *j.manifest.Spec.DeepCopy(),
			}
			for k, v := range j.manifest.Labels {
				obj.Labels[k] = v
			}
			if _, err := api.Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create Job %s/%s: %w", ns, j.name, err)
			}
			j.created = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

func condition(j *batchv1.Job, typ batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == typ && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
