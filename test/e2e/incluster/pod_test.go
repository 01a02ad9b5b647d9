package incluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// The test bed has no kubelet: kwok marks Pods Running but runs nothing. A
// podRun plays one Pod's container the way a kubelet would: the image's
// entrypoint (the jobernetes binary) with the container's args, $(VAR)s
// expanded from its env, env values resolved through the downward API,
// every volume's files (ConfigMaps, the projected ServiceAccount token with
// the cluster CA and the namespace) at the mount paths, the Pod's user, no
// privilege escalation, no capabilities, and the kubernetes Service's
// address in KUBERNETES_SERVICE_HOST/PORT (127.0.0.1 here: there is no
// kube-proxy). It runs in a private mount namespace with a tmpfs over /run,
// so nothing on the host changes and no other credential is in reach: no
// kubeconfig, an empty HOME, an environment holding only the Pod's.
type podRun struct {
	pod   *corev1.Pod
	args  []string
	env   []string // the container's environment, as the kubelet gives it
	stage string   // the files of the mounts, laid out as under /var/run
	runFS string   // what /var/run is on the host: the tmpfs goes over it
	home  string
	uid   int64
}

// podVarRun is where all of the Pod's mounts must be: the private tmpfs
// covers it and nothing else.
const podVarRun = "/var/run"

// requirePrivateMounts skips the test unless this process may create a
// mount namespace and mount a tmpfs in it (root, or CAP_SYS_ADMIN).
func requirePrivateMounts(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"unshare", "mount", "cp", "env", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: cannot run the wrapper Pod's container in a private mount namespace", tool)
		}
	}
	dir := t.TempDir()
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs probe "$1"`, "sh", dir).CombinedOutput()
	if err != nil {
		t.Skipf("private mount namespaces are not permitted here (unshare --mount; mount -t tmpfs: %v: %s): cannot play the wrapper Pod's container", err, bytes.TrimSpace(out))
	}
}

// newPodRun prepares what the container of pod gets: env, args and files.
func newPodRun(ctx context.Context, t *testing.T, cp *framework.ControlPlane, pod *corev1.Pod) *podRun {
	t.Helper()
	if len(pod.Spec.Containers) != 1 || len(pod.Spec.InitContainers) != 0 {
		t.Fatalf("pod %s: want one container and no init containers", pod.Name)
	}
	c := pod.Spec.Containers[0]
	if len(c.Command) != 0 {
		t.Fatalf("container %s sets command %q: the jobernetes image's entrypoint is the binary, only args are expected", c.Name, c.Command)
	}
	if len(c.EnvFrom) != 0 {
		t.Fatalf("container %s uses envFrom: not played by this test", c.Name)
	}
	runFS, err := filepath.EvalSymlinks(podVarRun)
	if err != nil {
		t.Fatal(err)
	}
	r := &podRun{pod: pod, stage: filepath.Join(t.TempDir(), "run"), runFS: runFS, uid: 65532}
	if err := os.MkdirAll(r.stage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(r.stage, 0o755); err != nil { // becomes the tmpfs root's mode
		t.Fatal(err)
	}
	if sc := pod.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil {
		r.uid = *sc.RunAsUser
	}

	// Env, in order: each value may refer to the ones before it.
	vars := map[string]string{}
	for _, e := range c.Env {
		v := expand(e.Value, vars)
		if e.ValueFrom != nil {
			if e.ValueFrom.FieldRef == nil {
				t.Fatalf("env %s: only fieldRef sources are played by this test", e.Name)
			}
			v = fieldValue(t, pod, e.ValueFrom.FieldRef.FieldPath)
		}
		vars[e.Name] = v
		r.env = append(r.env, e.Name+"="+v)
	}
	for _, a := range c.Args {
		r.args = append(r.args, expand(a, vars))
	}
	u, err := url.Parse(cp.Server)
	if err != nil {
		t.Fatal(err)
	}
	// What the kubelet adds: the kubernetes Service (here: the API server on
	// loopback), the Pod's hostname, and HOME: an empty folder the Pod's
	// user can read but not write (the root file system is read-only), as
	// distroless's /home/nonroot. (t.TempDir's parent is private to root.)
	home, err := os.MkdirTemp("", "jobernetes-e2e-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	r.home = home
	r.env = append(r.env,
		"KUBERNETES_SERVICE_HOST="+u.Hostname(), "KUBERNETES_SERVICE_PORT="+u.Port(),
		"HOSTNAME="+pod.Name, "HOME="+home)

	// Volumes.
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" || m.SubPathExpr != "" {
			t.Fatalf("mount %s uses a subPath: not played by this test", m.Name)
		}
		rel, ok := strings.CutPrefix(m.MountPath, podVarRun+"/")
		if !ok {
			t.Fatalf("mount %s at %s: this test can only place mounts under %s (its private tmpfs)", m.Name, m.MountPath, podVarRun)
		}
		dir := filepath.Join(r.stage, filepath.FromSlash(rel))
		v, ok := volumes[m.Name]
		if !ok {
			t.Fatalf("mount %s names no volume", m.Name)
		}
		switch {
		case v.ConfigMap != nil:
			r.writeConfigMap(ctx, t, cp, dir, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.DefaultMode)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				switch {
				case src.ServiceAccountToken != nil:
					r.writeToken(ctx, t, cp, dir, src.ServiceAccountToken, v.Projected.DefaultMode)
				case src.ConfigMap != nil:
					r.writeConfigMap(ctx, t, cp, dir, src.ConfigMap.Name, src.ConfigMap.Items, v.Projected.DefaultMode)
				case src.DownwardAPI != nil:
					for _, it := range src.DownwardAPI.Items {
						if it.FieldRef == nil {
							t.Fatalf("volume %s: downward API item %s: only fieldRef is played", v.Name, it.Path)
						}
						writeFile(t, dir, it.Path, fieldValue(t, pod, it.FieldRef.FieldPath), it.Mode, v.Projected.DefaultMode)
					}
				default:
					t.Fatalf("volume %s: a projected source other than token, ConfigMap, downward API", v.Name)
				}
			}
		default:
			t.Fatalf("volume %s: only ConfigMap and projected volumes are played by this test", v.Name)
		}
		t.Logf("pod %s: volume %s at %s", pod.Name, m.Name, m.MountPath)
	}
	t.Logf("pod %s: container %s as uid %d: jobernetes %s\nenv: %s", pod.Name, c.Name, r.uid,
		strings.Join(r.args, " "), strings.Join(r.env, " "))
	return r
}

func (r *podRun) writeConfigMap(ctx context.Context, t *testing.T, cp *framework.ControlPlane, dir, name string, items []corev1.KeyToPath, defaultMode *int32) {
	t.Helper()
	var cm *corev1.ConfigMap
	// kube-root-ca.crt is published by a controller soon after the namespace.
	waitFor(t, 30*time.Second, "ConfigMap "+name, func() bool {
		var err error
		cm, err = cp.Client.CoreV1().ConfigMaps(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
		return err == nil
	})
	if len(items) == 0 {
		for k := range cm.Data {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		data, ok := cm.Data[it.Key]
		if !ok {
			t.Fatalf("ConfigMap %s has no key %s", name, it.Key)
		}
		writeFile(t, dir, it.Path, data, it.Mode, defaultMode)
	}
}

// writeToken writes a token of the Pod's ServiceAccount, bound to the Pod as
// the kubelet's are: it stops working when the Pod is gone.
func (r *podRun) writeToken(ctx context.Context, t *testing.T, cp *framework.ControlPlane, dir string, src *corev1.ServiceAccountTokenProjection, defaultMode *int32) {
	t.Helper()
	spec := authenticationv1.TokenRequestSpec{
		ExpirationSeconds: src.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: r.pod.Name, UID: r.pod.UID},
	}
	if src.Audience != "" {
		spec.Audiences = []string{src.Audience}
	}
	tr, err := cp.Client.CoreV1().ServiceAccounts(r.pod.Namespace).CreateToken(ctx, r.pod.Spec.ServiceAccountName,
		&authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/%s bound to pod %s: %v", r.pod.Namespace, r.pod.Spec.ServiceAccountName, r.pod.Name, err)
	}
	writeFile(t, dir, src.Path, tr.Status.Token, nil, defaultMode)
}

func writeFile(t *testing.T, dir, rel, data string, mode, defaultMode *int32) {
	t.Helper()
	perm := os.FileMode(0o644) // the API's default for ConfigMap and projected volumes
	if defaultMode != nil {
		perm = os.FileMode(*defaultMode)
	}
	if mode != nil {
		perm = os.FileMode(*mode)
	}
	if strings.Contains(rel, "..") || filepath.IsAbs(rel) {
		t.Fatalf("volume item path %q", rel)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // umask
		t.Fatal(err)
	}
}

var labelPath = regexp.MustCompile(`^metadata\.(labels|annotations)\['([^']+)'\]$`)

// fieldValue resolves a downward API fieldPath of pod.
func fieldValue(t *testing.T, pod *corev1.Pod, path string) string {
	t.Helper()
	if m := labelPath.FindStringSubmatch(path); m != nil {
		src := pod.Labels
		if m[1] == "annotations" {
			src = pod.Annotations
		}
		return src[m[2]]
	}
	switch path {
	case "metadata.name":
		return pod.Name
	case "metadata.namespace":
		return pod.Namespace
	case "metadata.uid":
		return string(pod.UID)
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName
	case "spec.nodeName":
		return pod.Spec.NodeName
	case "status.podIP":
		return pod.Status.PodIP
	case "status.hostIP":
		return pod.Status.HostIP
	}
	t.Fatalf("downward API field %s: not played by this test", path)
	return ""
}

// expand replaces $(NAME) with vars[NAME] as the kubelet does in args and
// env values: $$ is a literal $, an unknown $(NAME) stays as written.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// command is the container's process: unshare makes a private mount
// namespace, a tmpfs over /var/run receives the volumes (read-only once
// filled), setpriv drops to the Pod's user with no_new_privs and no
// capabilities, env -i leaves the container's environment only, and the
// binary is exec'd in place (so the returned process is the binary).
func (r *podRun) command(ctx context.Context) *exec.Cmd {
	const script = `set -e
mount -t tmpfs -o mode=0755,size=16m jobernetes-pod "$1"
cp -a "$2"/. "$1"/
mount -o remount,ro "$1"
shift 2
exec "$@"`
	uid := strconv.FormatInt(r.uid, 10)
	args := []string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", r.runFS, r.stage}
	args = append(args, "setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--no-new-privs",
		"--inh-caps", "-all", "--bounding-set", "-all", "--",
		"env", "-i")
	args = append(args, r.env...)
	args = append(args, binary)
	args = append(args, r.args...)
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // for sh; env -i clears it for the binary
	cmd.Dir = "/"
	return cmd
}

type runResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// run plays the container to its end.
func (r *podRun) run(ctx context.Context, t *testing.T) runResult {
	t.Helper()
	cmd := r.command(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("play pod %s: %v", r.pod.Name, err)
	}
	t.Logf("pod %s's container exited %d after %s\nstdout:\n%s\nstderr:\n%s", r.pod.Name, res.code, res.took.Round(time.Millisecond), res.stdout, res.stderr)
	return res
}

// started is a container playing in the background.
type started struct {
	t              *testing.T
	pod            string
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// start plays the container in the background.
func (r *podRun) start(t *testing.T) *started {
	t.Helper()
	s := &started{t: t, pod: r.pod.Name, cmd: r.command(context.Background()), done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	return s
}

// exited reports whether the container ended by itself.
func (s *started) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill ends the container as a crash would (SIGKILL) unless it has ended,
// and logs its output.
func (s *started) kill() {
	if !s.exited() {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-s.done
	if s.stdout.Len()+s.stderr.Len() > 0 {
		s.t.Logf("pod %s's container ended (%v)\nstdout:\n%s\nstderr:\n%s", s.pod, s.err, s.stdout.String(), s.stderr.String())
		s.stdout.Reset()
		s.stderr.Reset()
	}
}

// token is the ServiceAccount token the container was given.
func (r *podRun) token(t *testing.T) string {
	t.Helper()
	for _, m := range r.pod.Spec.Containers[0].VolumeMounts {
		if strings.HasPrefix(m.Name, "kube-api-access-") {
			rel := strings.TrimPrefix(m.MountPath, podVarRun+"/")
			b, err := os.ReadFile(filepath.Join(r.stage, filepath.FromSlash(rel), "token"))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatal("the Pod has no kube-api-access volume")
	return ""
}

// homeIsEmpty checks that nothing was written to HOME (no kubeconfig, no cache).
func (r *podRun) homeIsEmpty(t *testing.T) {
	t.Helper()
	if entries, err := os.ReadDir(r.home); err != nil || len(entries) > 0 {
		t.Errorf("the container's HOME holds %v (%v): it must need nothing there", entries, err)
	}
}

func (r runResult) String() string { return fmt.Sprintf("exit %d after %s", r.code, r.took) }
