package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/report"
)

// A state this version does not know (a later controller may add some) is
// shown as it comes, and left uncoloured in Mermaid.
func TestStatusUnknownState(t *testing.T) {
	st := &report.RunStatus{RunID: "r", Namespace: "n", Result: "Running", Jobs: []report.JobStatus{
		{JobInModel: report.JobInModel{Phase: "p", Job: "a"}, KubernetesJob: "a-1", State: "succeeded"},
		{JobInModel: report.JobInModel{Phase: "p", Job: "b", DependsOn: []string{"a"}}, KubernetesJob: "b-1", State: "paused"},
	}}
	var text, mm bytes.Buffer
	StatusText(&text, st, runStart.Add(95*time.Second))
	if !strings.Contains(text.String(), "paused") {
		t.Errorf("text lacks the unknown state:\n%s", text.String())
	}
	statusFlowchart(st).write(&mm)
	if !strings.Contains(mm.String(), `n1["b: paused"]`) || strings.Contains(mm.String(), "class n1 ") || !strings.Contains(mm.String(), "n0 --> n1") {
		t.Errorf("mermaid:\n%s", mm.String())
	}
}

func TestAggregateState(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "waiting"},
		{[]string{"succeeded", "succeeded"}, "succeeded"},
		{[]string{"succeeded", "waiting"}, "running"},
		{[]string{"running", "failed", "waiting"}, "failed"},
		{[]string{"skipped", "skipped"}, "skipped"},
		{[]string{"succeeded", "skipped"}, "skipped"},
		{[]string{"waiting", "skipped"}, "running"},
	} {
		if got := aggregateState(tc.in); got != tc.want {
			t.Errorf("aggregateState(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestStatusMermaidReverts(t *testing.T) {
	st := &report.RunStatus{Jobs: []report.JobStatus{
		{JobInModel: report.JobInModel{Phase: "one", Job: "a"}, State: "succeeded"},
		{JobInModel: report.JobInModel{Phase: "one", Job: "alert", DependsOn: []string{"a"}, TriggerRule: "one_failed"}, State: "skipped"},
		{JobInModel: report.JobInModel{Phase: "two", Job: "b", Finally: true}, State: "failed"},
		{JobInModel: report.JobInModel{Phase: "one", Job: "a (revert)", Revert: true}, State: "running"},
	}}
	var b bytes.Buffer
	statusFlowchart(st).write(&b)
	want := `flowchart TD
` + strings.Join(func() []string {
		var l []string
		for _, s := range stateStyles {
			l = append(l, "    classDef "+s[0]+" "+s[1])
		}
		return l
	}(), "\n") + `
    classDef revert stroke-dasharray:5 5
    subgraph p0 ["one"]
        n0["a: succeeded"]
        n1["alert (one_failed): skipped"]
        n3["a (revert): running"]
    end
    subgraph p1 ["two (finally)"]
        n2["b: failed"]
    end
    n0 --> n1
    n0 -. on failure .-> n3
    p0 -. finally .-> p1
    class n3 running
    class n0 succeeded
    class n2 failed
    class n1 skipped
    class n3 revert
`
	if b.String() != want {
		t.Errorf("mermaid:\n%s\nwant:\n%s", b.String(), want)
	}
}
