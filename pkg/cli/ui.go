package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/runctl"
	"github.com/jobernetes/jobernetes/pkg/ui"
)

type uiOptions struct {
	kubeFlags
	streams genericiooptions.IOStreams
	all     bool
	address string
	// ready, when set (tests), gets the URL once the server listens.
	ready func(url string)
}

func newUICommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &uiOptions{kubeFlags: newKubeFlags(), streams: streams}
	cmd := &cobra.Command{
		Use:   "ui [-n NS | -A] [--address HOST:PORT]",
		Short: "Serve a live web page of the runs, from your kubeconfig, on this machine",
		Long: `Ui serves a web page of the namespace's runs (or, with -A, of every namespace
you can read): the run list, and each run's DAG, timeline, failure diagnosis,
logs, cancel and delete. It reads the cluster with your kubeconfig and your
rights; nothing is installed in the cluster. The page updates live: the server
watches the runs (informers) and pushes each change (Server-Sent Events).

It listens on 127.0.0.1 on a free port unless --address says otherwise, and
prints the page's URL with a token: http://127.0.0.1:PORT/?token=TOKEN. Every
request needs the token (the URL's, a cookie the page sets, or an
Authorization: Bearer header); a cancel or delete (POST) needs it in the
X-Jobernetes-Token header too. Another address than loopback lets others on
the network reach the page (with the token): it is allowed, with a warning.

JSON API: GET /api/runs (status -A -o json), GET /api/runs/NS/RUN (status
--run-id RUN -n NS -o json), GET /api/runs/NS/RUN/events (Server-Sent Events:
the whole document first, then each change), POST /api/runs/NS/RUN/cancel,
POST /api/runs/NS/RUN/delete. See docs/ui.md.

Serves until interrupted (Ctrl-C). Exit codes: 0 stopped; 2 invalid usage;
3 cluster error, or the address cannot be listened on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	cmd.Flags().BoolVarP(&o.all, "all-namespaces", "A", false, "show the runs of every namespace you can read")
	cmd.Flags().StringVar(&o.address, "address", "127.0.0.1:0", "HOST:PORT to listen on (port 0: a free one)")
	o.addFlags(cmd)
	return cmd
}

func (o *uiOptions) run(ctx context.Context) error {
	if o.all && o.namespaceFlag() != "" {
		return &ExitError{Code: ExitInvalid, Err: errors.New("-n and -A do not go together")}
	}
	if _, _, err := net.SplitHostPort(o.address); err != nil {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--address %q: %w", o.address, err)}
	}
	client, err := o.clientFor("")
	if err != nil {
		return err
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	srv, err := ui.New(uiServerOptions(client, o.namespace(), o.all, token, time.Now))
	if err != nil {
		return err
	}
	if !ui.IsLoopback(o.address) {
		fmt.Fprintf(o.streams.ErrOut, "warning: --address %s is not loopback: anyone who can reach it and has the token acts on the cluster with your rights\n", o.address)
	}
	ln, err := net.Listen("tcp", o.address)
	if err != nil {
		return &ExitError{Code: ExitCluster, Err: fmt.Errorf("listen on %s: %w", o.address, err)}
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	url := ui.URL(ln.Addr(), token)
	fmt.Fprintln(o.streams.Out, url)
	if o.ready != nil {
		o.ready(url)
	}
	return srv.Serve(ctx, ln)
}

// uiServerOptions: the page's documents and drawings are status's own
// (report.NewRunList, render.GanttSVG: ui.Options' defaults); cancel and
// delete are the commands' own (only pkg/cli imports the orchestrator).
func uiServerOptions(client kubernetes.Interface, ns string, all bool, token string, now func() time.Time) ui.Options {
	return ui.Options{
		Client: client, Namespace: ns, AllNamespaces: all, Token: token, Now: now,
		Cancel: runctl.CancelRun, Delete: runctl.DeleteRun,
	}
}

// newToken is 32 random bytes, URL-safe.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
