package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// state is what a detached control plane leaves in Dir/state.json, so that
// another process (cluster down, cluster status, tests) can find it again.
type state struct {
	Dir             string            `json:"dir"`
	BinDir          string            `json:"binDir"`
	Server          string            `json:"server"`
	CAFile          string            `json:"caFile"`
	AdminKubeconfig string            `json:"adminKubeconfig"`
	Kubeconfigs     map[string]string `json:"kubeconfigs"`
	AuditLogPath    string            `json:"auditLogPath"`
	Ports           Ports             `json:"ports"`
	Processes       []*process        `json:"processes"`
}

const stateFile = "state.json"

func (cp *ControlPlane) statePath() string { return filepath.Join(cp.Dir, stateFile) }

// saveState writes state.json atomically (rename), so a reader never sees half a file.
func (cp *ControlPlane) saveState() error {
	cp.mu.Lock()
	s := state{
		Dir: cp.Dir, BinDir: cp.BinDir, Server: cp.Server, CAFile: cp.CAFile,
		AdminKubeconfig: cp.AdminKubeconfig, Kubeconfigs: cp.kubeconfigs,
		AuditLogPath: cp.AuditLogPath, Ports: cp.Ports,
		Processes: append([]*process(nil), cp.procs...),
	}
	cp.mu.Unlock()
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := cp.statePath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, cp.statePath()); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// ErrNoControlPlane means a dir holds no state of a started control plane.
var ErrNoControlPlane = errors.New("no control plane state")

// Attach returns the control plane recorded in dir by a (detached) Start.
// Its Stop signals the recorded processes, checked by PID and start time so
// that nothing else is ever hit, and leaves dir in place apart from state.json.
func Attach(dir string) (*ControlPlane, error) {
	cp, err := readState(dir)
	if err != nil {
		return nil, err
	}
	if cp.AdminKubeconfig != "" {
		if err := cp.loadAdminClient(); err != nil {
			return nil, fmt.Errorf("attach to control plane: %w", err)
		}
	}
	return cp, nil
}

// readState loads state.json without touching the kubeconfigs it names.
func readState(dir string) (*ControlPlane, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("attach to control plane: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(abs, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("attach to control plane in %s: %w", abs, ErrNoControlPlane)
	}
	if err != nil {
		return nil, fmt.Errorf("attach to control plane: %w", err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("attach to control plane: decode %s: %w", stateFile, err)
	}
	cp := &ControlPlane{
		Dir: abs, BinDir: s.BinDir, Server: s.Server, CAFile: s.CAFile,
		AdminKubeconfig: s.AdminKubeconfig, AuditLogPath: s.AuditLogPath, Ports: s.Ports,
		kubeconfigs: s.Kubeconfigs, procs: s.Processes, out: io.Discard,
	}
	return cp, nil
}

// SetLogOutput sets where progress lines go (Stop's, for instance).
func (cp *ControlPlane) SetLogOutput(w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	cp.out = w
}
