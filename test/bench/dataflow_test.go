package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// TestBenchDataflow: a fan-out of W Jobs decided by a result (a matrix over
// the JSON list a producer wrote) next to the same fan-out written as a
// literal list (issue 23: within 10 %). Figures: from the producer's
// Complete to the last fan-out create (the watch's times), and record
// bytes per Job. W is 1,000 (`make bench`), 200 with JOBERNETES_BENCH_CI=1.
func TestBenchDataflow(t *testing.T) {
	cp := framework.RequireCluster(t)
	width, reps := 1000, 2
	if os.Getenv("JOBERNETES_BENCH_CI") == "1" {
		width, reps = 200, 1
	}
	items := make([]string, width)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	list := "[" + strings.Join(items, ",") + "]"
	for rep := range reps {
		for _, dynamic := range []bool{false, true} {
			fanout, bytesPerJob := runFanOut(t, cp, width, list, dynamic)
			t.Logf("dataflow fan-out %d dynamic=%v rep %d: producer Complete -> last fan-out create %s, record %d bytes per Job",
				width, dynamic, rep+1, fanout.Round(time.Millisecond), bytesPerJob)
		}
	}
}

func runFanOut(t *testing.T, cp *framework.ControlPlane, width int, list string, dynamic bool) (time.Duration, int) {
	ns := cp.NewNamespace(t)
	dir := t.TempDir()
	matrix := list
	if dynamic {
		matrix = `"$(results.detect.list)"`
	}
	model := fmt.Sprintf(`jobernetes_config:
  cleanup: true
  max_matrix: %d
jobernetes:
  - phase_name: plan
    jobs:
      - {name: detect, job_path: detect.yaml, results: [list]}
  - phase_name: fan
    jobs:
      - {name: fan, job_path: job.yaml, matrix: {i: %s}}
`, width, matrix)
	for name, content := range map[string]string{
		"jobermodel.yaml": model,
		"detect.yaml":     e2eutil.ResultJobYAML("0s", `{"list": `+list+`}`),
		"job.yaml":        e2eutil.ResultJobYAML("0s", ""),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := watchNamespace(cp.Client, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	runID := fmt.Sprintf("df-%v-%d", dynamic, time.Now().UnixNano()%100000)
	cmd := exec.CommandContext(ctx, jobernetesBin, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", runID)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.AdminKubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, lastLines(string(out), 20))
	}
	var produced, lastCreate time.Time
	n := 0
	rec.mu.Lock()
	for _, s := range rec.byUID {
		switch s.node {
		case "detect":
			produced = s.completed
		case "fan":
			n++
			if s.added.After(lastCreate) {
				lastCreate = s.added
			}
		}
	}
	rec.mu.Unlock()
	if n != width {
		t.Fatalf("dynamic=%v: %d fan-out Jobs seen, want %d", dynamic, n, width)
	}
	cms, err := cp.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "jobernetes.io/run=" + runID})
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, cm := range cms.Items {
		for _, v := range cm.Data {
			size += len(v)
		}
		for _, v := range cm.BinaryData {
			size += len(v)
		}
	}
	return lastCreate.Sub(produced), size / (width + 1)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
