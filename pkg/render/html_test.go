package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// status -o html is one file: the document, the style, the script and the
// timeline inlined, nothing loaded from elsewhere; data that looks like
// HTML stays inside the document's JSON.
func TestStatusHTML(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	end := start.Add(3 * time.Second)
	st := &report.RunStatus{APIVersion: report.StatusAPIVersion, Kind: "RunStatus", RunID: "r1", Namespace: "ns", Result: "Failed",
		StartedAt: &start, FinishedAt: &end, Message: "</script><script>alert(1)</script>",
		Jobs: []report.JobStatus{{JobInModel: report.JobInModel{Phase: "p", Job: "a"}, KubernetesJob: "a-1", State: "failed", CreatedAt: &start, FinishedAt: &end,
			Pods: []record.PodFailure{{Pod: "a-1-x", Container: "main", ExitCode: 3, LogTail: []string{"<img src=x onerror=alert(1)>"}}}}}}
	var b bytes.Buffer
	if err := StatusHTML(&b, st, end); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`<script type="application/json" id="jobernetes-doc" data-now="2027-01-15T08:00:03Z">`, `data-src="data:image/svg`, "<style>", "function el("} {
		if !strings.Contains(out, want) {
			t.Errorf("the file lacks %q", want)
		}
	}
	for _, bad := range []string{"<img src=x", "</script><script>alert", `src="/`, `href="/static`, `src="http`, `href="http`} {
		if strings.Contains(out, bad) {
			t.Errorf("the file holds %q", bad)
		}
	}
	_, doc, _ := strings.Cut(out, `data-now="2027-01-15T08:00:03Z">`)
	doc, _, _ = strings.Cut(doc, "</script>")
	var back report.RunStatus
	if err := json.Unmarshal([]byte(doc), &back); err != nil || back.RunID != "r1" || back.Jobs[0].Pods[0].LogTail[0] != "<img src=x onerror=alert(1)>" {
		t.Errorf("embedded document: %v %+v", err, back)
	}
}
