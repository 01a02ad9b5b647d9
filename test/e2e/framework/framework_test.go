package framework

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestNamespaceName(t *testing.T) {
	dns := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	for _, name := range []string{
		"TestFoo",
		"TestFoo/sub_test#01",
		"Test--Weird__Name//",
		"/",
		strings.Repeat("TestVeryLongName", 10),
	} {
		got := namespaceName(name)
		if len(got) > 63 || !dns.MatchString(got) {
			t.Errorf("namespaceName(%q) = %q: not a DNS label", name, got)
		}
	}
	if a, b := namespaceName("TestX"), namespaceName("TestX"); a == b {
		t.Errorf("namespaceName is not unique: %q twice", a)
	}
}

func TestPodScriptAnnotations(t *testing.T) {
	got := PodScript{Duration: 1500 * time.Millisecond, Fail: true}.Annotations()
	want := map[string]string{AnnotationDuration: "1.5s", AnnotationOutcome: OutcomeFail, AnnotationExitCode: "1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if d, err := time.ParseDuration(got[AnnotationDuration]); err != nil || d != 1500*time.Millisecond {
		t.Errorf("duration annotation %q does not parse back: %v", got[AnnotationDuration], err)
	}
}

func TestStagesParse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kwok.yaml")
	if err := writeKwokConfig(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var obj struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("invalid YAML document:\n%s\n%v", doc, err)
		}
		kinds[obj.Kind]++
	}
	if kinds["KwokConfiguration"] != 1 || kinds["Stage"] != 6 {
		t.Errorf("kinds = %v, want 1 KwokConfiguration and 6 Stages", kinds)
	}
}

func TestCountRequests(t *testing.T) {
	lines := []string{
		// A create: one event.
		`{"auditID":"1","stage":"ResponseComplete","verb":"create","userAgent":"probe/v1","objectRef":{"resource":"jobs","namespace":"a"}}`,
		// A watch still open, and one that closed: one request each.
		`{"auditID":"2","stage":"ResponseStarted","verb":"watch","userAgent":"probe/v1","objectRef":{"resource":"jobs","namespace":"a"}}`,
		`{"auditID":"3","stage":"ResponseStarted","verb":"watch","userAgent":"probe/v1","objectRef":{"resource":"jobs","namespace":"a"}}`,
		`{"auditID":"3","stage":"ResponseComplete","verb":"watch","userAgent":"probe/v1","objectRef":{"resource":"jobs","namespace":"a"}}`,
		// A refused watch never starts streaming.
		`{"auditID":"4","stage":"ResponseComplete","verb":"watch","userAgent":"probe/v1","objectRef":{"resource":"jobs","namespace":"b"}}`,
		`{"auditID":"5","stage":"ResponseComplete","verb":"patch","userAgent":"probe/v1","objectRef":{"resource":"pods","subresource":"status","namespace":"a"}}`,
		`{"auditID":"6","stage":"ResponseComplete","verb":"get","userAgent":"probe/v1","requestURI":"/version?timeout=32s"}`,
		// Other clients, and a half-written last line.
		`{"auditID":"7","stage":"ResponseComplete","verb":"create","userAgent":"other/v1","objectRef":{"resource":"jobs"}}`,
		`{"auditID":"8","stage":"ResponseComplete","verb":"create","userAgent":"probe/v1","obj`,
	}
	cp := &ControlPlane{AuditLogPath: filepath.Join(t.TempDir(), "audit.log")}
	if err := os.WriteFile(cp.AuditLogPath, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := cp.CountRequests("probe/")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"create jobs": 1, "watch jobs": 3, "patch pods/status": 1, "get /version": 1}
	if !equalMaps(got, want) {
		t.Errorf("CountRequests = %v, want %v", got, want)
	}
	got, err = cp.CountRequestsIn("a", "probe/")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"create jobs": 1, "watch jobs": 2, "patch pods/status": 1}
	if !equalMaps(got, want) {
		t.Errorf("CountRequestsIn(a) = %v, want %v", got, want)
	}
}

func TestProcStartTicks(t *testing.T) {
	a, err := procStartTicks(os.Getpid())
	if err != nil || a == 0 {
		t.Fatalf("procStartTicks(self) = %d, %v", a, err)
	}
	if _, err := procStartTicks(1 << 30); err == nil {
		t.Error("procStartTicks of a missing pid: no error")
	}
	if n, err := rss(os.Getpid()); err != nil || n <= 0 {
		t.Errorf("rss(self) = %d, %v", n, err)
	}
}

func TestPortConflict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	old := "listen tcp 127.0.0.1:1: bind: address already in use\n"
	if err := os.WriteFile(path, []byte(old+"fine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if portConflict(path, int64(len(old))) {
		t.Error("conflict before the offset counted")
	}
	if !portConflict(path, 0) {
		t.Error("conflict not found")
	}
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Restart refuses what it cannot do without touching anything: an unknown
// component, and a control plane it did not start (read back from a state
// file, as JOBERNETES_E2E_ATTACH does).
func TestRestartRefuses(t *testing.T) {
	cp := &ControlPlane{procs: []*process{{Name: Etcd, PID: 1, Args: []string{"etcd"}}}}
	if err := cp.Restart(t.Context(), "kube-nothing"); err == nil || !strings.Contains(err.Error(), "no such component") {
		t.Errorf("unknown component: %v", err)
	}
	if err := cp.Restart(t.Context(), Etcd); err == nil || !strings.Contains(err.Error(), "not started by this process") {
		t.Errorf("attached control plane: %v", err)
	}
}
