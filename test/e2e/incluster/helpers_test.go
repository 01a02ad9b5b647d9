package incluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

const labelRun = "jobernetes.io/run"

// jobYAML is a Job manifest whose pod the test bed finishes after d.
func jobYAML(d string) string {
	return `apiVersion: batch/v1
kind: Job
metadata:
  name: ignored
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        test.jobernetes.io/duration: "` + d + `"
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["sleep", "1"]
`
}

// writeFiles writes files (path -> content) under a new temp dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// generateYAML runs `jobernetes ARGS` (cronjob or bundle) offline and
// returns what it prints.
func generateYAML(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"HOME=" + t.TempDir()} // offline: no kubeconfig needed
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("jobernetes %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// generate is generateYAML, decoded.
func generate(t *testing.T, args ...string) []runtime.Object {
	t.Helper()
	return decodeYAML(t, generateYAML(t, args...))
}

func decodeYAML(t *testing.T, data []byte) []runtime.Object {
	t.Helper()
	dec := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []runtime.Object
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		var body bytes.Buffer
		for _, l := range strings.Split(string(doc), "\n") {
			if !strings.HasPrefix(l, "#") {
				body.WriteString(l + "\n")
			}
		}
		if len(bytes.TrimSpace(body.Bytes())) == 0 {
			continue
		}
		obj, _, err := dec.Decode(body.Bytes(), nil, nil)
		if err != nil {
			t.Fatalf("decode:\n%s\n%v", doc, err)
		}
		out = append(out, obj)
	}
	return out
}

// apply creates objs in ns as `kubectl apply -n ns` would: objects without a
// namespace get ns, others must already name it.
func apply(ctx context.Context, t *testing.T, ns string, objs []runtime.Object) {
	t.Helper()
	c := framework.Current.Client
	for _, obj := range objs {
		m := obj.(metav1.Object)
		if m.GetNamespace() == "" {
			m.SetNamespace(ns)
		} else if m.GetNamespace() != ns {
			t.Fatalf("%T %s is for namespace %s, not %s", obj, m.GetName(), m.GetNamespace(), ns)
		}
		opts := metav1.CreateOptions{}
		var err error
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			_, err = c.CoreV1().ServiceAccounts(ns).Create(ctx, o, opts)
		case *rbacv1.Role:
			_, err = c.RbacV1().Roles(ns).Create(ctx, o, opts)
		case *rbacv1.RoleBinding:
			_, err = c.RbacV1().RoleBindings(ns).Create(ctx, o, opts)
		case *corev1.ConfigMap:
			_, err = c.CoreV1().ConfigMaps(ns).Create(ctx, o, opts)
		case *batchv1.CronJob:
			_, err = c.BatchV1().CronJobs(ns).Create(ctx, o, opts)
		case *batchv1.Job:
			_, err = c.BatchV1().Jobs(ns).Create(ctx, o, opts)
		default:
			t.Fatalf("apply: unexpected %T", obj)
		}
		if err != nil {
			t.Fatalf("create %T %s/%s: %v", obj, ns, m.GetName(), err)
		}
	}
}

// find returns the first object of type T in objs.
func find[T runtime.Object](t *testing.T, objs []runtime.Object) T {
	t.Helper()
	for _, o := range objs {
		if v, ok := o.(T); ok {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T among the generated objects", zero)
	return zero
}

// waitFor polls cond (only test code polls).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
	return 0
}

// jobWatch records every Job of a namespace from before anything starts:
// each creation (by UID) is seen, even of Jobs deleted right away.
type jobWatch struct {
	mu    sync.Mutex
	added map[string]*batchv1.Job // by UID, as first seen
	order []string
	stop  context.CancelFunc
	done  chan struct{}
}

func watchJobs(t *testing.T, ns string) *jobWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := framework.Current.Client.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	jw := &jobWatch{added: map[string]*batchv1.Job{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(jw.done)
		for ev := range w.ResultChan() {
			j, ok := ev.Object.(*batchv1.Job)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			jw.mu.Lock()
			if _, seen := jw.added[string(j.UID)]; !seen {
				jw.added[string(j.UID)] = j
				jw.order = append(jw.order, string(j.UID))
			}
			jw.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-jw.done })
	return jw
}

// jobs returns the Jobs seen so far, in order of creation, that match keep.
func (jw *jobWatch) jobs(keep func(*batchv1.Job) bool) []*batchv1.Job {
	jw.mu.Lock()
	defer jw.mu.Unlock()
	var out []*batchv1.Job
	for _, uid := range jw.order {
		if j := jw.added[uid]; keep == nil || keep(j) {
			out = append(out, j)
		}
	}
	return out
}

func ofRun(runID string) func(*batchv1.Job) bool {
	return func(j *batchv1.Job) bool { return j.Labels[labelRun] == runID }
}

// auditEntry is one answered request of the audit log.
type auditEntry struct {
	User, Verb, Resource, Subresource, Namespace string
	Code                                         int
}

// readAudit returns the requests whose user agent starts with uaPrefix, each
// once. The audit log is written as responses go out: poll briefly before
// asserting on the last requests.
func readAudit(t *testing.T, uaPrefix string) []auditEntry {
	t.Helper()
	f, err := os.Open(framework.Current.AuditLogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditEntry
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), []byte(`"userAgent":"`+uaPrefix)) {
			continue
		}
		var ev struct {
			AuditID string `json:"auditID"`
			Stage   string `json:"stage"`
			Verb    string `json:"verb"`
			User    struct {
				Username string `json:"username"`
			} `json:"user"`
			ObjectRef *struct {
				Resource, Subresource, Namespace string
			} `json:"objectRef"`
			ResponseStatus *struct {
				Code int `json:"code"`
			} `json:"responseStatus"`
		}
		// A watch counts once it streams (ResponseStarted), a short request
		// when answered; each once.
		if json.Unmarshal(sc.Bytes(), &ev) != nil || seen[ev.AuditID] ||
			(ev.Stage != "ResponseStarted" && ev.Stage != "ResponseComplete") {
			continue
		}
		seen[ev.AuditID] = true
		e := auditEntry{User: ev.User.Username, Verb: ev.Verb}
		if ev.ObjectRef != nil {
			e.Resource, e.Subresource, e.Namespace = ev.ObjectRef.Resource, ev.ObjectRef.Subresource, ev.ObjectRef.Namespace
		}
		if ev.ResponseStatus != nil {
			e.Code = ev.ResponseStatus.Code
		}
		out = append(out, e)
	}
	return out
}
