package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/pkg/version"
)

// kubeFlags are kubectl's cluster flags (--kubeconfig, --context, -n, ...)
// of every command that talks to a cluster (run, status, version, logs,
// cancel, delete, ui): one place for the flags, the client, the user agent and
// the namespace.
type kubeFlags struct {
	configFlags *genericclioptions.ConfigFlags
}

func newKubeFlags() kubeFlags {
	return kubeFlags{configFlags: genericclioptions.NewConfigFlags(true)}
}

// clientFor checks runID (when given) and makes the client, as exit errors.
func (k kubeFlags) clientFor(runID string) (kubernetes.Interface, error) {
	if runID != "" {
		if err := runmeta.ValidateRunID(runID); err != nil {
			return nil, &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	client, err := k.client()
	if err != nil {
		return nil, &ExitError{Code: ExitCluster, Err: fmt.Errorf("kubernetes client configuration: %w", err)}
	}
	return client, nil
}

func (k kubeFlags) client() (kubernetes.Interface, error) {
	cfg, err := k.restConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// restConfig is kubectl's: the flags, KUBECONFIG, ~/.kube/config, else the
// Pod's service account; with jobernetes' user agent.
func (k kubeFlags) restConfig() (*rest.Config, error) {
	cfg, err := k.configFlags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = version.UserAgent()
	return cfg, nil
}

// addFlags adds the cluster flags to cmd.
func (k kubeFlags) addFlags(cmd *cobra.Command) { k.configFlags.AddFlags(cmd.Flags()) }

// namespaceFlag is -n, "" when not given.
func (k kubeFlags) namespaceFlag() string {
	if k.configFlags.Namespace != nil {
		return *k.configFlags.Namespace
	}
	return ""
}

// namespace: -n, else the kubeconfig context's (or the Pod's), else default.
func (k kubeFlags) namespace() string { return k.namespaceOr("") }

// namespaceOr: -n, else fallback (a model's kubernetes_namespace) when not
// empty, else the kubeconfig context's (or the Pod's), else default.
func (k kubeFlags) namespaceOr(fallback string) string {
	if ns := k.namespaceFlag(); ns != "" {
		return ns
	}
	if fallback != "" {
		return fallback
	}
	if ns, _, err := k.configFlags.ToRawKubeConfigLoader().Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}
