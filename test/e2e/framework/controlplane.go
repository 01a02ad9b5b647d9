package framework

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options configure Start.
type Options struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager,
	// kube-scheduler and kwok (see BinDir()).
	BinDir string
	// Dir receives certificates, kubeconfigs, logs and etcd data. Empty means
	// a new temporary folder, removed by Stop unless KeepDir is set.
	Dir string
	// LogOutput receives progress lines; nil discards them. Component logs
	// always go to Dir/logs/<component>.log.
	LogOutput io.Writer
	// Detach starts the components in their own session so they outlive the
	// calling process (cluster up). Otherwise they die with it.
	Detach bool
	// KeepDir keeps a temporary Dir after Stop, for post-mortems.
	KeepDir bool
}

// ControlPlane is a running etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok on loopback, with one fake node.
type ControlPlane struct {
	Dir, BinDir string
	// Server is the kube-apiserver URL, https://127.0.0.1:PORT.
	Server string
	// CAFile is the CA that signed every serving certificate.
	CAFile string
	// AdminKubeconfig is the path of a kubeconfig for a system:masters user.
	AdminKubeconfig string
	// Config is the admin rest config (QPS 100, burst 200).
	Config *rest.Config
	// Client is the admin clientset.
	Client kubernetes.Interface
	// AuditLogPath is kube-apiserver's audit log (Metadata level, every request).
	AuditLogPath string
	Ports        Ports
	// StartupTime is how long Start took until the node took pods.
	StartupTime time.Duration

	pki         pkiFiles
	ids         []identity
	kubeconfigs map[string]string
	out         io.Writer
	detach      bool
	ownsDir     bool
	keepDir     bool
	httpClient  *http.Client // trusts CAFile, ignores proxies

	mu       sync.Mutex
	procs    []*process
	stopOnce sync.Once
	stopErr  error
}

// Start brings up a control plane and waits until a Job's pods can run: the
// fake node is schedulable and namespace default has its ServiceAccount.
// On error everything it started is stopped again.
func Start(ctx context.Context, opts Options) (_ *ControlPlane, retErr error) {
	begin := time.Now()
	if opts.BinDir == "" {
		return nil, errors.New("start control plane: Options.BinDir is empty")
	}
	cp := &ControlPlane{
		BinDir:  opts.BinDir,
		out:     opts.LogOutput,
		detach:  opts.Detach,
		keepDir: opts.KeepDir,
	}
	if cp.out == nil {
		cp.out = io.Discard
	}
	if err := cp.prepareDir(opts.Dir); err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			if err := cp.Stop(); err != nil {
				retErr = errors.Join(retErr, err)
			}
		}
	}()
	if err := cp.writeFiles(); err != nil {
		return nil, err
	}

	if err := cp.startComponent(ctx, Etcd, 2, func(p []int) []string {
		// A retry must not find the data of a member with other URLs.
		_ = os.RemoveAll(filepath.Join(cp.Dir, "etcd"))
		cp.Ports.Etcd, cp.Ports.EtcdPeer = p[0], p[1]
		return cp.etcdArgs(p[0], p[1])
	}, nil, func(ctx context.Context) error {
		return cp.httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/health", cp.Ports.Etcd), "")
	}); err != nil {
		return nil, err
	}

	if err := cp.startComponent(ctx, KubeAPIServer, 1, func(p []int) []string {
		cp.Ports.APIServer = p[0]
		cp.Server = fmt.Sprintf("https://127.0.0.1:%d", p[0])
		return cp.apiserverArgs(p[0])
	}, nil, func(ctx context.Context) error {
		return cp.httpOK(ctx, cp.Server+"/readyz", cp.token(UserAdmin))
	}); err != nil {
		return nil, err
	}
	if err := cp.writeKubeconfigs(); err != nil {
		return nil, err
	}

	if err := cp.startComponent(ctx, KubeControllerManager, 1, func(p []int) []string {
		cp.Ports.ControllerManager = p[0]
		return cp.controllerManagerArgs(p[0])
	}, nil, func(ctx context.Context) error {
		return cp.httpOK(ctx, fmt.Sprintf("https://127.0.0.1:%d/healthz", cp.Ports.ControllerManager), "")
	}); err != nil {
		return nil, err
	}

	if err := cp.startComponent(ctx, KubeScheduler, 1, func(p []int) []string {
		cp.Ports.Scheduler = p[0]
		return cp.schedulerArgs(p[0])
	}, nil, func(ctx context.Context) error {
		return cp.httpOK(ctx, fmt.Sprintf("https://127.0.0.1:%d/healthz", cp.Ports.Scheduler), "")
	}); err != nil {
		return nil, err
	}

	if err := cp.installLogsCRD(ctx); err != nil {
		return nil, err
	}
	if err := writeKwokConfig(filepath.Join(cp.Dir, "kwok.yaml")); err != nil {
		return nil, err
	}
	// kwok reads ~/.kwok/kwok.yaml too, if present: point its work dir here.
	kwokEnv := []string{"KWOK_WORKDIR=" + filepath.Join(cp.Dir, "kwok")}
	if err := cp.startComponent(ctx, Kwok, 1, func(p []int) []string {
		cp.Ports.Kwok = p[0]
		return cp.kwokArgs(p[0])
	}, kwokEnv, func(ctx context.Context) error {
		return cp.httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", cp.Ports.Kwok), "")
	}); err != nil {
		return nil, err
	}

	readyCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := cp.createFakeNode(readyCtx); err != nil {
		return nil, err
	}
	if err := cp.waitNodeSchedulable(readyCtx); err != nil {
		return nil, err
	}
	if err := cp.waitServiceAccount(readyCtx, metav1.NamespaceDefault, "default"); err != nil {
		return nil, err
	}
	cp.StartupTime = time.Since(begin)
	if err := cp.saveState(); err != nil {
		return nil, err
	}
	fmt.Fprintf(cp.out, "control plane ready in %s at %s (dir %s)\n",
		cp.StartupTime.Round(time.Millisecond), cp.Server, cp.Dir)
	return cp, nil
}

func (cp *ControlPlane) prepareDir(dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "jobernetes-e2e-")
		if err != nil {
			return fmt.Errorf("create control plane dir: %w", err)
		}
		cp.Dir, cp.ownsDir = d, true
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("control plane dir: %w", err)
		}
		cp.Dir = abs
		if prev, err := readState(abs); err == nil {
			if running := prev.RunningComponents(); len(running) > 0 {
				return fmt.Errorf("control plane dir %s: already running (%s)", abs, strings.Join(running, ", "))
			}
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return fmt.Errorf("create control plane dir: %w", err)
		}
	}
	for _, sub := range []string{"logs", "kwok"} {
		if err := os.MkdirAll(filepath.Join(cp.Dir, sub), 0o755); err != nil {
			return fmt.Errorf("create control plane dir: %w", err)
		}
	}
	return nil
}

// writeFiles writes what the components read: certificates, the token file,
// the audit policy.
func (cp *ControlPlane) writeFiles() error {
	var err error
	if cp.pki, err = writePKI(filepath.Join(cp.Dir, "pki")); err != nil {
		return err
	}
	cp.CAFile = cp.pki.CACert
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(cp.CAFile)
	if err != nil {
		return fmt.Errorf("read CA: %w", err)
	}
	pool.AppendCertsFromPEM(caPEM)
	cp.httpClient = &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		},
	}
	if cp.ids, err = newIdentities(); err != nil {
		return err
	}
	if err := writeTokenFile(filepath.Join(cp.Dir, "tokens.csv"), cp.ids); err != nil {
		return err
	}
	cp.AuditLogPath = filepath.Join(cp.Dir, "logs", "audit.log")
	// A reused dir must not count an earlier run's requests.
	if err := os.Remove(cp.AuditLogPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove old audit log: %w", err)
	}
	return writeAuditPolicy(filepath.Join(cp.Dir, "audit-policy.yaml"))
}

func (cp *ControlPlane) token(name string) string {
	for _, id := range cp.ids {
		if id.name == name {
			return id.token
		}
	}
	return ""
}

func (cp *ControlPlane) writeKubeconfigs() error {
	cp.kubeconfigs = map[string]string{}
	for _, id := range cp.ids {
		path := filepath.Join(cp.Dir, id.fileName)
		if err := writeKubeconfig(path, cp.Server, cp.CAFile, id.token); err != nil {
			return err
		}
		cp.kubeconfigs[id.name] = path
	}
	cp.AdminKubeconfig = cp.kubeconfigs[UserAdmin]
	return cp.loadAdminClient()
}

func (cp *ControlPlane) loadAdminClient() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", cp.AdminKubeconfig)
	if err != nil {
		return fmt.Errorf("load admin kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.UserAgent = "jobernetes-e2e-admin"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create admin client: %w", err)
	}
	cp.Config, cp.Client = cfg, client
	return nil
}

// startComponent starts one component of cp.BinDir on fresh ports and waits
// until ready returns nil. If the component dies because a port was taken
// meanwhile, it tries again with new ports.
func (cp *ControlPlane) startComponent(ctx context.Context, name string, nports int,
	args func(ports []int) []string, env []string, ready func(context.Context) error) error {
	return cp.startBinary(ctx, filepath.Join(cp.BinDir, name), name, nports,
		func(ports []int) ([]string, error) { return args(ports), nil }, env, ready)
}

// startBinary is startComponent for the binary bin, whose arguments may need
// a file written for the ports (args' error ends the start).
func (cp *ControlPlane) startBinary(ctx context.Context, bin, name string, nports int,
	args func(ports []int) ([]string, error), env []string, ready func(context.Context) error) error {
	const attempts = 3
	logPath := filepath.Join(cp.Dir, "logs", name+".log")
	// A reused dir starts with fresh logs; retries below append to this one.
	if err := os.Remove(logPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("start %s: %w", name, err)
	}
	begin := time.Now()
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(nports)
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		logStart := fileSize(logPath)
		argv, err := args(ports)
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		p, err := startProcess(name, bin, argv, env, logPath, cp.detach)
		if err != nil {
			return err
		}
		cp.mu.Lock()
		cp.procs = append(cp.procs, p)
		cp.mu.Unlock()
		// Record the PID at once: a killed `cluster up` can still be cleaned up by `cluster down`.
		if err := cp.saveState(); err != nil {
			return err
		}
		err = cp.waitReady(ctx, p, ready)
		if err == nil {
			fmt.Fprintf(cp.out, "%s ready in %s (pid %d, ports %v)\n",
				name, time.Since(begin).Round(time.Millisecond), p.PID, ports)
			return nil
		}
		_ = stopProcesses([]*process{p}, 5*time.Second)
		cp.mu.Lock()
		cp.procs = cp.procs[:len(cp.procs)-1]
		cp.mu.Unlock()
		if attempt < attempts && ctx.Err() == nil && portConflict(logPath, logStart) {
			fmt.Fprintf(cp.out, "%s: port taken, retrying\n", name)
			continue
		}
		return fmt.Errorf("start %s: %w\n--- last lines of %s:\n%s", name, err, logPath, tailFile(logPath, 30))
	}
}

// waitReady polls ready until it succeeds, the process exits or a minute passes.
func (cp *ControlPlane) waitReady(ctx context.Context, p *process, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last error
	err := poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		if !p.running() {
			return false, fmt.Errorf("exited before ready: %w", p.exitError())
		}
		last = ready(ctx)
		return last == nil, nil
	})
	if err != nil && last != nil && ctx.Err() != nil {
		return fmt.Errorf("not ready (%v): %w", last, err) //nolint:errorlint // last is the detail, the poll's error is the cause
	}
	return err
}

func (cp *ControlPlane) httpOK(ctx context.Context, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := cp.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func (cp *ControlPlane) waitServiceAccount(ctx context.Context, ns, name string) error {
	err := poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := cp.Client.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for service account %s/%s: %w", ns, name, err)
	}
	return nil
}

// Stop terminates every component it started, all at once and etcd last so
// the others can shut down cleanly, and SIGKILLs what is left after a grace
// period. It removes a temporary Dir unless KeepDir. Safe to call twice.
func (cp *ControlPlane) Stop() error {
	cp.stopOnce.Do(func() {
		cp.mu.Lock()
		procs := append([]*process(nil), cp.procs...)
		cp.mu.Unlock()
		var etcd, others []*process
		for _, p := range procs {
			if p.Name == Etcd {
				etcd = append(etcd, p)
			} else {
				others = append(others, p)
			}
		}
		begin := time.Now()
		// They stop within about a second, but kube-apiserver waits for open
		// watches of clients that are still alive (an interrupted test): the
		// data is thrown away anyway, so don't wait long.
		errs := []error{stopProcesses(others, 5*time.Second), stopProcesses(etcd, 5*time.Second)}
		fmt.Fprintf(cp.out, "control plane stopped in %s\n", time.Since(begin).Round(time.Millisecond))
		if cp.ownsDir && !cp.keepDir {
			if err := os.RemoveAll(cp.Dir); err != nil {
				errs = append(errs, fmt.Errorf("remove control plane dir: %w", err))
			}
		} else if err := os.Remove(cp.statePath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove state file: %w", err))
		}
		if err := errors.Join(errs...); err != nil {
			cp.stopErr = fmt.Errorf("stop control plane: %w", err)
		}
	})
	return cp.stopErr
}

// KubeconfigFor returns the kubeconfig path of one of the built-in identities
// (UserAdmin, UserKubeControllerManager, UserKubeScheduler, UserKwok), or "".
func (cp *ControlPlane) KubeconfigFor(user string) string {
	return cp.kubeconfigs[user]
}

// ConfigForToken returns a rest config that talks to this API server as the
// bearer of token, e.g. one from ServiceAccountToken.
func (cp *ControlPlane) ConfigForToken(token string) *rest.Config {
	return &rest.Config{
		Host:            cp.Server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: cp.CAFile},
		QPS:             cp.Config.QPS,
		Burst:           cp.Config.Burst,
	}
}

// RSS returns the resident memory of each running component, in bytes.
func (cp *ControlPlane) RSS() map[string]int64 {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	out := map[string]int64{}
	for _, p := range cp.procs {
		if !p.running() {
			continue
		}
		if n, err := rss(p.PID); err == nil {
			out[p.Name] = n
		}
	}
	return out
}

// RunningComponents lists the components whose process is alive.
func (cp *ControlPlane) RunningComponents() []string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	var out []string
	for _, p := range cp.procs {
		if p.running() {
			out = append(out, p.Name)
		}
	}
	return out
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// portConflict reports whether the log, from offset on, shows a failed bind.
func portConflict(path string, offset int64) bool {
	data, err := os.ReadFile(path)
	if err != nil || int64(len(data)) < offset {
		return false
	}
	return strings.Contains(string(data[offset:]), "address already in use")
}

// ProcessInfo describes one component process.
type ProcessInfo struct {
	Name    string
	PID     int
	LogPath string
}

// Processes lists the component processes in start order.
func (cp *ControlPlane) Processes() []ProcessInfo {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	out := make([]ProcessInfo, 0, len(cp.procs))
	for _, p := range cp.procs {
		out = append(out, ProcessInfo{Name: p.Name, PID: p.PID, LogPath: p.LogPath})
	}
	return out
}
