package cli

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	toolsrecord "k8s.io/client-go/tools/record"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/version"
)

// runClients are the run's API clients. Each has its own rate limiter: the
// Lease's renewals must not queue behind the run's creates (with a low
// --kube-api-qps they would miss the renew deadline and stop the run), and
// Events, best-effort, must not delay the creates.
type runClients struct {
	run, lease kubernetes.Interface
	recorder   toolsrecord.EventRecorder
	close      func() // stops the Event broadcaster
}

// eventCacheSize bounds the Event correlator's caches: it dedupes and
// aggregates Events repeated on one object; ours are one Created and one
// Deleted per Job, never repeated, so its default caches of 4,096 objects
// would only hold memory (~5 MiB by 10,000 Jobs).
const eventCacheSize = 256

func (o *runOptions) newClients(ctx context.Context, model *config.Model, ns string) (*runClients, error) {
	restConfig, client, err := o.newClient(model)
	if err != nil {
		return nil, err
	}
	leaseClient, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, &ExitError{Code: ExitCluster, Err: err}
	}
	eventClient, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, &ExitError{Code: ExitCluster, Err: err}
	}
	broadcaster := toolsrecord.NewBroadcaster(toolsrecord.WithContext(ctx),
		toolsrecord.WithCorrelatorOptions(toolsrecord.CorrelatorOptions{LRUCacheSize: eventCacheSize}))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: eventClient.CoreV1().Events(ns)})
	return &runClients{
		run: client, lease: leaseClient,
		recorder: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "jobernetes"}),
		close:    broadcaster.Shutdown,
	}, nil
}

// newClient makes the run's client (errors are exit errors).
func (o *runOptions) newClient(model *config.Model) (*rest.Config, kubernetes.Interface, error) {
	restConfig, err := o.restConfig(model)
	if err != nil {
		return nil, nil, &ExitError{Code: ExitCluster, Err: fmt.Errorf("kubernetes client configuration: %w", err)}
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, nil, &ExitError{Code: ExitCluster, Err: err}
	}
	return restConfig, client, nil
}

// setContentType sets the encoding of the run's requests and of the answers
// it asks for. Every type the run reads and writes (Jobs, pods, the record
// ConfigMap, the Lease, Events) is a built-in with a protobuf encoding; JSON
// stays accepted as the answer's fallback.
func setContentType(cfg *rest.Config, ct string) error {
	switch ct {
	case runtime.ContentTypeProtobuf:
		cfg.ContentType = ct
		cfg.AcceptContentTypes = ct + "," + runtime.ContentTypeJSON
	case runtime.ContentTypeJSON, "":
		cfg.ContentType, cfg.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	default:
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--kube-api-content-type %q: want %s or %s", ct, runtime.ContentTypeProtobuf, runtime.ContentTypeJSON)}
	}
	return nil
}

// restConfig: `incluster: true` forces the Pod's service account; otherwise
// kubectl's rules (flags, KUBECONFIG, ~/.kube/config), which fall back to the
// in-cluster config when there is no kubeconfig and we run in a Pod.
func (o *runOptions) restConfig(model *config.Model) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if ic := model.Options.InCluster; ic != nil && *ic {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = o.kubeFlags.restConfig()
	}
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = o.api.qps, o.api.burst
	if err := setContentType(cfg, o.api.contentType); err != nil {
		return nil, err
	}
	cfg.UserAgent = version.UserAgent()
	return cfg, nil
}
