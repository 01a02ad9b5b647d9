package framework

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Kueue is the component name of Kueue's manager (sigs.k8s.io/kueue), which
// StartKueue adds to a running control plane.
const Kueue = "kueue"

// EnvKueueBin names a folder with Kueue's binary, CRDs and webhook
// manifests (hack/build-kueue.sh prints it last); skips the build script.
const EnvKueueBin = "JOBERNETES_KUEUE_BIN"

// kueueMetricsCertDir is where Kueue v0.17's manager reads its metrics
// serving certificate when its internal certificate management is off: a
// fixed path, no flag or setting moves it, and the manager exits when the
// files are missing.
const kueueMetricsCertDir = "/etc/kueue/metrics/certs"

// KueueBinDir returns $JOBERNETES_KUEUE_BIN if set, else the last line
// hack/build-kueue.sh prints (it builds Kueue once; later runs return at once).
func KueueBinDir() (string, error) {
	dir := os.Getenv(EnvKueueBin)
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		unlock, err := lockFile(filepath.Join(os.TempDir(), "jobernetes-build-kueue.lock"))
		if err != nil {
			return "", err
		}
		defer unlock()
		cmd := exec.Command(filepath.Join(root, "hack", "build-kueue.sh"))
		cmd.Dir = root
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("build kueue (hack/build-kueue.sh): %w", err)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		dir = strings.TrimSpace(lines[len(lines)-1])
	}
	for _, f := range []string{Kueue, "webhooks.yaml", "crds"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("kueue files: %w", err)
		}
	}
	return dir, nil
}

// StartKueue installs Kueue's CRDs, starts its manager from binDir with the
// admin kubeconfig, and registers its webhooks for Jobs and Kueue's own
// objects, reached on loopback by URL and trusted through the control
// plane's CA (Kueue's own certificate management is off: it would sign for a
// Service name the API server cannot reach here). Only the batch/job
// integration is on. Kueue stops with the control plane.
func (cp *ControlPlane) StartKueue(ctx context.Context, binDir string) error {
	if err := cp.installKueueCRDs(ctx, filepath.Join(binDir, "crds")); err != nil {
		return err
	}
	certDir, err := cp.writeKueueCerts()
	if err != nil {
		return err
	}
	// ports: health, metrics, webhook, visibility.
	cfgPath := filepath.Join(cp.Dir, "kueue", "config.yaml")
	var ports []int
	args := func(p []int) ([]string, error) {
		ports = p
		if err := os.WriteFile(cfgPath, []byte(kueueConfig(p, certDir)), 0o600); err != nil {
			return nil, fmt.Errorf("write kueue config: %w", err)
		}
		return []string{
			"--config=" + cfgPath,
			fmt.Sprintf("--visibility-server-port=%d", p[3]),
			"--feature-gates=VisibilityOnDemand=false",
			"--zap-log-level=info",
		}, nil
	}
	ready := func(ctx context.Context) error {
		return cp.httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[0]), "")
	}
	env := []string{"KUBECONFIG=" + cp.AdminKubeconfig}
	if err := cp.startBinary(ctx, filepath.Join(binDir, Kueue), Kueue, 4, args, env, ready); err != nil {
		return err
	}
	return cp.registerKueueWebhooks(ctx, filepath.Join(binDir, "webhooks.yaml"), ports[2])
}

// kueueConfig is the manager's Configuration: health, metrics and webhook
// servers on loopback ports, no leader election, only Jobs integrated.
func kueueConfig(ports []int, certDir string) string {
	return fmt.Sprintf(`apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
health:
  healthProbeBindAddress: 127.0.0.1:%d
metrics:
  bindAddress: 127.0.0.1:%d
webhook:
  host: 127.0.0.1
  port: %d
  certDir: %s
leaderElection:
  leaderElect: false
internalCertManagement:
  enable: false
clientConnection:
  qps: 50
  burst: 100
integrations:
  frameworks:
  - batch/job
`, ports[0], ports[1], ports[2], certDir)
}

// writeKueueCerts gives Kueue the control plane's serving certificate
// (valid for 127.0.0.1) for its webhook server, and for its metrics server
// at the fixed path it reads (kueueMetricsCertDir).
func (cp *ControlPlane) writeKueueCerts() (string, error) {
	certDir := filepath.Join(cp.Dir, "kueue", "certs")
	for _, dir := range []string{certDir, kueueMetricsCertDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("kueue certificates (%s must be writable: Kueue reads its metrics certificate there): %w", dir, err)
		}
		for src, dst := range map[string]string{cp.pki.ServingCert: "tls.crt", cp.pki.ServingKey: "tls.key"} {
			data, err := os.ReadFile(src)
			if err != nil {
				return "", fmt.Errorf("kueue certificates: %w", err)
			}
			// Written aside and renamed: a running Kueue elsewhere never reads half a file.
			tmp := filepath.Join(dir, dst+".tmp")
			if err := os.WriteFile(tmp, data, 0o600); err != nil {
				return "", fmt.Errorf("kueue certificates: %w", err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, dst)); err != nil {
				return "", fmt.Errorf("kueue certificates: %w", err)
			}
		}
	}
	return certDir, nil
}
