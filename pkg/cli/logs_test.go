package cli

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// runLogsCmd runs `jobernetes logs ARGS` in-process against client.
func runLogsCmd(t *testing.T, client kubernetes.Interface, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	o := &logsOptions{kubeFlags: newKubeFlags(), streams: streams}
	o.newClient = func() (kubernetes.Interface, error) { return client, nil }
	cmd := o.command()
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	code = exitCode(err, "jobernetes logs", errOut)
	return code, out.String(), errOut.String()
}

// A pod of the status fixture's run, owned by Job owner, whose container
// main has started.
func logsPod(name, owner string) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "data",
			Labels:          map[string]string{runmeta.LabelRun: "etl-20261127-120000-ab12"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: owner, Controller: &yes}},
		},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}},
			{Name: "sidecar", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{}}},
		}},
	}
}

func TestLogs(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         []string
		code         int
		want, absent []string
	}{
		// The fake clientset answers every log with "fake logs". Without
		// --run-id, the newest run; extract was deleted by cleanup.
		{"all jobs of the newest run", []string{"-n", "data"}, ExitOK,
			[]string{"prepare/extract: logs gone: deleted by cleanup\n", "process/transform fake logs\n", "process/report fake logs\n"}, nil},
		{"one job by phase/job", []string{"-n", "data", "--run-id", "etl-20261127-120000-ab12", "process/transform"}, ExitOK,
			[]string{"process/transform fake logs\n"}, []string{"report", "extract"}},
		{"one job by name", []string{"-n", "data", "extract"}, ExitOK,
			[]string{"prepare/extract: logs gone: deleted by cleanup\n"}, []string{"fake logs"}},
		{"a job not yet created", []string{"-n", "data", "notify"}, ExitOK, nil, []string{"notify"}},
		{"unknown job", []string{"-n", "data", "nope"}, ExitInvalid, nil, nil},
		{"unknown run", []string{"-n", "data", "--run-id", "nope"}, ExitInvalid, nil, nil},
		{"no run", []string{"-n", "empty"}, ExitInvalid, nil, nil},
		{"bad tail", []string{"-n", "data", "--tail", "-2"}, ExitInvalid, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := statusCluster(t)
			for _, p := range []*corev1.Pod{logsPod("transform-bbbbbbbb-x1", "transform-bbbbbbbb"), logsPod("report-weekly-eeeeeeee-x1", "report-weekly-eeeeeeee")} {
				if _, err := client.CoreV1().Pods("data").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errOut := runLogsCmd(t, client, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
			// The waiting sidecar has no log to read: it is not asked for.
			if strings.Count(out, "fake logs") > 2 {
				t.Errorf("more logs than started containers:\n%s", out)
			}
		})
	}
}
