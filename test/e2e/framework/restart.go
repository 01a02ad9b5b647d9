package framework

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Restart stops one component (SIGTERM, SIGKILL after 3 s) and starts it
// again with the same arguments, ports and data dir, then waits until it is
// ready again: a control-plane fault for tests, such as an API server
// upgrade or an etcd crash. (kube-apiserver would otherwise take its time
// draining the watches of live clients: the outage is kept to a few
// seconds, the grace and the start.) component is one of the component names (Etcd,
// KubeAPIServer, ...). Only a control plane started by this process can be
// restarted, not an attached one.
func (cp *ControlPlane) Restart(ctx context.Context, component string) error {
	cp.mu.Lock()
	idx := -1
	for i, p := range cp.procs {
		if p.Name == component {
			idx = i
		}
	}
	var old *process
	if idx >= 0 {
		old = cp.procs[idx]
	}
	cp.mu.Unlock()
	switch {
	case old == nil:
		return fmt.Errorf("restart %s: no such component", component)
	case old.cmd == nil:
		return fmt.Errorf("restart %s: the control plane was not started by this process", component)
	case len(old.Args) == 0:
		return fmt.Errorf("restart %s: its command line is unknown", component)
	}
	ready, err := cp.readyCheck(component)
	if err != nil {
		return fmt.Errorf("restart %s: %w", component, err)
	}
	begin := time.Now()
	if err := stopProcesses([]*process{old}, 3*time.Second); err != nil {
		return fmt.Errorf("restart %s: %w", component, err)
	}
	stopped := time.Since(begin)
	var env []string
	if component == Kwok {
		env = []string{"KWOK_WORKDIR=" + filepath.Join(cp.Dir, "kwok")}
	}
	// A port left in TIME_WAIT is no obstacle (Go listeners set
	// SO_REUSEADDR), but a port taken by someone else in the meantime is:
	// then the component fails to start and the error says so.
	p, err := startProcess(component, old.Args[0], old.Args[1:], env, old.LogPath, cp.detach)
	if err != nil {
		return fmt.Errorf("restart %s: %w", component, err)
	}
	cp.mu.Lock()
	cp.procs[idx] = p
	cp.mu.Unlock()
	if err := cp.saveState(); err != nil {
		return fmt.Errorf("restart %s: %w", component, err)
	}
	if err := cp.waitReady(ctx, p, ready); err != nil {
		return fmt.Errorf("restart %s: %w\n--- last lines of %s:\n%s", component, err, p.LogPath, tailFile(p.LogPath, 30))
	}
	fmt.Fprintf(cp.out, "%s restarted in %s (stopped in %s; pid %d)\n", component,
		time.Since(begin).Round(time.Millisecond), stopped.Round(time.Millisecond), p.PID)
	return nil
}

// readyCheck is the readiness probe Start uses for a component.
func (cp *ControlPlane) readyCheck(component string) (func(context.Context) error, error) {
	var url, token string
	switch component {
	case Etcd:
		url = fmt.Sprintf("http://127.0.0.1:%d/health", cp.Ports.Etcd)
	case KubeAPIServer:
		url, token = cp.Server+"/readyz", cp.token(UserAdmin)
	case KubeControllerManager:
		url = fmt.Sprintf("https://127.0.0.1:%d/healthz", cp.Ports.ControllerManager)
	case KubeScheduler:
		url = fmt.Sprintf("https://127.0.0.1:%d/healthz", cp.Ports.Scheduler)
	case Kwok:
		url = fmt.Sprintf("http://127.0.0.1:%d/healthz", cp.Ports.Kwok)
	default:
		return nil, errors.New("unknown component")
	}
	return func(ctx context.Context) error { return cp.httpOK(ctx, url, token) }, nil
}
