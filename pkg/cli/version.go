package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apiversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"

	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/version"
)

// serverVersionTimeout bounds the server version request unless
// --request-timeout says otherwise: version must not hang on a dead cluster.
const serverVersionTimeout = 5 * time.Second

// Versions is `jobernetes version -o json|yaml`, shaped like kubectl's.
type Versions struct {
	ClientVersion version.Info     `json:"clientVersion"`
	ServerVersion *apiversion.Info `json:"serverVersion,omitempty"`
}

type versionOptions struct {
	kubeFlags
	streams    genericiooptions.IOStreams
	output     string
	clientOnly bool
}

func newVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &versionOptions{kubeFlags: newKubeFlags(), streams: streams}
	cmd := &cobra.Command{
		Use:   "version [--client] [-o json|yaml]",
		Short: "Print the version of this binary and of the cluster's API server",
		Long: `Version prints the version, git commit, Go version and platform of this
binary and, unless --client is given, the version of the API server of the
kubeconfig's cluster. A cluster that cannot be reached is a warning on stderr,
not an error: the client's version is still printed.

Exit codes: 0, 2 invalid usage.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return o.run() },
	}
	cmd.Flags().BoolVar(&o.clientOnly, "client", false, "only the client's version; no cluster is contacted")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "output format: json or yaml (default: text)")
	o.addFlags(cmd)
	return cmd
}

func (o *versionOptions) run() error {
	var p *render.ObjectPrinter
	if o.output != "" {
		var ok bool
		var err error
		p, ok, err = render.NewObjectPrinter(o.output, false)
		if err == nil && (!ok || p.Format() != "json" && p.Format() != "yaml") {
			err = fmt.Errorf("unknown -o %q: use json or yaml", o.output)
		}
		if err != nil {
			return &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	v := Versions{ClientVersion: version.Get()}
	if !o.clientOnly {
		sv, err := o.serverVersion()
		if err != nil {
			fmt.Fprintf(o.streams.ErrOut, "Warning: no server version: %v\n", err)
		}
		v.ServerVersion = sv
	}
	if p != nil {
		return p.Print(o.streams.Out, v)
	}
	c := v.ClientVersion
	fmt.Fprintf(o.streams.Out, "jobernetes %s\ncommit: %s\ngo: %s %s\n", c.Version, c.Commit, c.GoVersion, c.Platform)
	if v.ServerVersion != nil {
		fmt.Fprintf(o.streams.Out, "server: %s\n", v.ServerVersion.GitVersion)
	}
	return nil
}

// serverVersion asks the kubeconfig's cluster (discovery's /version).
func (o *versionOptions) serverVersion() (*apiversion.Info, error) {
	cfg, err := o.restConfig()
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = serverVersionTimeout
	}
	// A plain discovery client: the cached one would write ~/.kube/cache.
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return dc.ServerVersion()
}
