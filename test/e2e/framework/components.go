package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Component names, as used for log files, the state file and RSS.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	Kwok                  = "kwok"
)

// controllers are what Jobs, CronJobs, namespaces and service accounts need,
// plus node-lifecycle which lifts the not-ready taint from new nodes.
var controllers = []string{
	"job-controller",
	"cronjob-controller",
	"node-lifecycle-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"namespace-controller",
	"ttl-after-finished-controller",
	"pod-garbage-collector-controller",
	"root-ca-certificate-publisher-controller",
}

// Ports are the loopback ports the components listen on.
type Ports struct {
	Etcd, EtcdPeer, APIServer, ControllerManager, Scheduler, Kwok int
}

func (cp *ControlPlane) etcdArgs(client, peer int) []string {
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	return []string{
		"--name=e2e",
		"--data-dir=" + filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=e2e=" + peerURL,
		"--initial-cluster-state=new",
		"--listen-metrics-urls=",
		// Test data is thrown away: skipping fsync makes etcd as fast as tmpfs.
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
}

func (cp *ControlPlane) apiserverArgs(port int) []string {
	return []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", cp.Ports.Etcd),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + filepath.Join(cp.Dir, "pki", KubeAPIServer),
		"--tls-cert-file=" + cp.pki.ServingCert,
		"--tls-private-key-file=" + cp.pki.ServingKey,
		"--client-ca-file=" + cp.pki.CACert,
		"--token-auth-file=" + filepath.Join(cp.Dir, "tokens.csv"),
		"--anonymous-auth=false",
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + cp.pki.SAPub,
		"--service-account-signing-key-file=" + cp.pki.SAKey,
		// No kube-proxy, no real endpoints: don't maintain the kubernetes Service's endpoints.
		"--endpoint-reconciler-type=none",
		"--audit-policy-file=" + filepath.Join(cp.Dir, "audit-policy.yaml"),
		"--audit-log-path=" + cp.AuditLogPath,
		// One file for the whole run: CountRequests reads only this one.
		"--audit-log-maxsize=0",
		"--audit-log-maxbackup=0",
		// Blocking: the event is written before the request is answered (almost: see audit.go).
		"--audit-log-mode=blocking",
		// kwok's node has no resolvable host name: reach its kubelet server
		// (pods/log) at its InternalIP, 127.0.0.1. Without
		// --kubelet-certificate-authority the apiserver does not verify it.
		"--kubelet-preferred-address-types=InternalIP",
	}
}

func (cp *ControlPlane) controllerManagerArgs(port int) []string {
	kc := cp.kubeconfigs[UserKubeControllerManager]
	return append([]string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		// The apiserver has no request-header (front proxy) CA to look up.
		"--authentication-skip-lookup",
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + cp.pki.ServingCert,
		"--tls-private-key-file=" + cp.pki.ServingKey,
		"--controllers=" + strings.Join(controllers, ","),
		"--use-service-account-credentials",
		"--service-account-private-key-file=" + cp.pki.SAKey,
		"--root-ca-file=" + cp.pki.CACert,
		"--leader-elect=false",
		// The defaults (20/30) throttle the Job controller: 200 Jobs took 58 s instead of 8 s.
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		// More, or overriding (the last value of a flag wins), for
		// experiments such as --concurrent-job-syncs=20 (BENCHMARKS.md).
	}, strings.Fields(os.Getenv(EnvControllerManagerArgs))...)
}

func (cp *ControlPlane) schedulerArgs(port int) []string {
	kc := cp.kubeconfigs[UserKubeScheduler]
	return []string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		// The apiserver has no request-header (front proxy) CA to look up.
		"--authentication-skip-lookup",
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + cp.pki.ServingCert,
		"--tls-private-key-file=" + cp.pki.ServingKey,
		"--leader-elect=false",
	}
}

func (cp *ControlPlane) kwokArgs(port int) []string {
	return []string{
		"--kubeconfig=" + cp.kubeconfigs[UserKwok],
		"--config=" + filepath.Join(cp.Dir, "kwok.yaml"),
		// kwok's health and metrics server; it would listen on all interfaces by default.
		fmt.Sprintf("--server-address=127.0.0.1:%d", port),
		// The same port is the node's kubelet endpoint: the API server proxies
		// pods/log there (HTTPS with kwok's self-signed certificate).
		fmt.Sprintf("--node-port=%d", port),
		// Pod logs come from ClusterLogs objects a test creates (SetContainerLogs).
		"--enable-crds=ClusterLogs",
	}
}
