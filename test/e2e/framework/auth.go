package framework

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Identities known to the static token file; KubeconfigFor takes these names.
const (
	UserAdmin                 = "admin"
	UserKubeControllerManager = "kube-controller-manager"
	UserKubeScheduler         = "kube-scheduler"
	UserKwok                  = "kwok"
)

type identity struct {
	name     string // key for KubeconfigFor
	user     string // username the apiserver sees
	groups   []string
	token    string
	fileName string
}

// identities are the users of the static token file. kwok acts as a kubelet
// for every fake node; without the Node authorizer, system:masters is the
// simplest honest grant for that.
func newIdentities() ([]identity, error) {
	ids := []identity{
		{name: UserAdmin, user: "jobernetes-e2e-admin", groups: []string{"system:masters"}},
		{name: UserKubeControllerManager, user: "system:kube-controller-manager"},
		{name: UserKubeScheduler, user: "system:kube-scheduler"},
		{name: UserKwok, user: "kwok-controller", groups: []string{"system:masters"}},
	}
	for i := range ids {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("generate token: %w", err)
		}
		ids[i].token = hex.EncodeToString(b)
		ids[i].fileName = ids[i].name + ".kubeconfig"
	}
	return ids, nil
}

// writeTokenFile writes kube-apiserver's --token-auth-file (CSV: token,user,uid,"groups").
func writeTokenFile(path string, ids []identity) error {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "%s,%s,%s", id.token, id.user, id.user)
		if len(id.groups) > 0 {
			fmt.Fprintf(&b, ",%q", strings.Join(id.groups, ","))
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// writeKubeconfig writes a kubeconfig for one identity. The CA is referenced by
// absolute path so the file works from any working directory.
func writeKubeconfig(path, server, caFile, token string) error {
	const name = "jobernetes-e2e"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: caFile}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: "default"}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", filepath.Base(path), err)
	}
	return nil
}
