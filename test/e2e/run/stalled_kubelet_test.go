package run

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// A Job fails on a node whose kubelet accepts connections and never
// answers: its log tail is read off the sync and given up after its 5 s
// bound, and the other Jobs' reaction times stay what they are when the
// kubelet answers (issue 25; the read was on the sync, so every other Job
// waited for it). The same run is made both ways, under failure_policy
// continue: `broken` fails at the start, beside 4 chains of 8 Jobs.
func TestStalledKubeletStallsNoOtherJob(t *testing.T) {
	cp := framework.RequireCluster(t)
	const stalledNode = "kwok-node-stalled"
	cp.AddStalledNode(t, stalledNode)
	type outcome struct {
		p50, max time.Duration
		out      string
	}
	runOn := func(t *testing.T, node string) outcome {
		ns := cp.NewNamespace(t)
		cp.SetContainerLogs(t, ns, map[string][]string{"main": {"reading input", "boom"}})
		var b strings.Builder
		deps := map[string][]string{}
		b.WriteString("  - phase_name: one\n    jobs:\n      - {name: broken, job_path: broken.yaml}\n")
		for c := 0; c < 4; c++ {
			for i := 0; i < 8; i++ {
				name := fmt.Sprintf("c%d_%d", c, i)
				if i == 0 {
					fmt.Fprintf(&b, "      - {name: %s, job_path: ok.yaml}\n", name)
					continue
				}
				prev := fmt.Sprintf("c%d_%d", c, i-1)
				fmt.Fprintf(&b, "      - {name: %s, job_path: ok.yaml, depends_on: [%s]}\n", name, prev)
				deps[name] = []string{prev}
			}
		}
		broken := strings.Replace(e2eutil.JobYAML("0s", true), "      restartPolicy: Never\n",
			"      restartPolicy: Never\n      nodeSelector: {kubernetes.io/hostname: "+node+"}\n", 1)
		dir := e2eutil.WriteFiles(t, map[string]string{
			"jobermodel.yaml": modelWith("  failure_policy: continue\n", b.String()),
			"ok.yaml":         e2eutil.JobYAML("0s", false),
			"broken.yaml":     broken,
		})
		rec := watchJobs(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		r := jobernetes(ctx, t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1 (broken failed):\n%s%s", r.code, r.stdout, r.stderr)
		}
		time.Sleep(200 * time.Millisecond)
		rs := reactions(t, byNode(rec.snapshot()), deps)
		if len(rs) != 28 {
			t.Fatalf("measured %d reactions, want 28", len(rs))
		}
		return outcome{e2eutil.Percentile(rs, 0.5), e2eutil.Percentile(rs, 1), r.stdout}
	}
	answers := runOn(t, framework.FakeNodeName)
	stalled := runOn(t, stalledNode)
	t.Logf("MEASURE reaction of the other Jobs, kubelet answers: p50 %s, max %s", answers.p50, answers.max)
	t.Logf("MEASURE reaction of the other Jobs, kubelet stalled: p50 %s, max %s", stalled.p50, stalled.max)
	if !strings.Contains(answers.out, "last log lines:\n             | reading input\n             | boom\n") {
		t.Errorf("with the kubelet answering, broken's line lacks its log tail:\n%s", answers.out)
	}
	failed := "FAILED    one/broken (Job broken-"
	if !strings.Contains(stalled.out, failed) || !strings.Contains(stalled.out, "container main: exit code 1") || strings.Contains(stalled.out, "last log lines") {
		t.Errorf("with the kubelet stalled, broken's line should say its exit code, without a tail:\n%s", stalled.out)
	}
	// The tail is given up after 5 s: a sync that waited for it would
	// show a reaction of seconds.
	if stalled.max > 2*time.Second {
		t.Errorf("a reaction took %s while broken's tail was read (kubelet answering: max %s)", stalled.max, answers.max)
	}
}
