package framework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NewNamespace creates a namespace named after the test, waits for its default
// ServiceAccount (pods are refused without it), and registers a cleanup that
// dumps the namespace if the test failed and then deletes it.
func (cp *ControlPlane) NewNamespace(t testing.TB) string {
	t.Helper()
	name := namespaceName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"test.jobernetes.io/e2e": "true"},
	}}
	if _, err := cp.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			cp.Dump(t, name)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Background: the namespace controller removes the contents; no need to wait.
		policy := metav1.DeletePropagationBackground
		err := cp.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
		if err != nil {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	if err := cp.waitServiceAccount(ctx, name, "default"); err != nil {
		t.Fatal(err)
	}
	return name
}

// namespaceName turns a test name into a unique DNS label: lower case, runs
// of other characters as "-", at most 63 characters with a random suffix.
func namespaceName(testName string) string {
	var b strings.Builder
	dash := true // no leading dash
	for _, r := range strings.ToLower(testName) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.TrimSuffix(b.String(), "-")
	if len(base) > 50 {
		base = strings.TrimSuffix(base[:50], "-")
	}
	if base == "" {
		base = "e2e"
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	return base + "-" + hex.EncodeToString(suffix)
}

// ServiceAccountToken returns a one-hour token for ns/sa from the TokenRequest API.
func (cp *ControlPlane) ServiceAccountToken(ctx context.Context, ns, sa string) (string, error) {
	expiry := int64(3600)
	tr, err := cp.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("request token for %s/%s: %w", ns, sa, err)
	}
	return tr.Status.Token, nil
}
