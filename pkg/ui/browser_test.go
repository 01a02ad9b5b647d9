package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/render"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/ui/uitest"
)

// newBrowser starts headless Chromium for at most a minute.
func newBrowser(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return uitest.NewBrowser(ctx, t)
}

// The page in a real browser: the DAG shows every job, a failed job's
// panel shows its exit code and log tail as text (an HTML log line stays
// text), and a Job's change shows without a reload.
func TestPageInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	client := newRun(t)
	addFailedJob(t, client)
	watching := make(chan struct{})
	client.PrependWatchReactor("jobs", func(k8stesting.Action) (bool, watch.Interface, error) {
		defer close(watching)
		return false, nil, nil
	})
	ts := newTestServer(t, client)

	// A shared link without the token: the page asks for it.
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/runs/ns/r1"),
		chromedp.WaitVisible(`input[name="token"]`),
		chromedp.SendKeys(`input[name="token"]`, testToken),
		chromedp.Submit(`input[name="token"]`),
		chromedp.WaitVisible(`svg.dag g.node[data-job="a"][data-state="running"]`),
		chromedp.WaitVisible(`svg.dag g.node[data-job="b"][data-state="waiting"]`),
		chromedp.WaitVisible(`svg.dag g.node[data-job="c"][data-state="failed"]`),
		chromedp.Click(`svg.dag g.node[data-job="c"]`),
		chromedp.WaitVisible(`#panel pre.logtail`),
	)
	if err != nil {
		t.Fatal(err)
	}
	logTail := uitest.Value(ctx, t, chromedp.TextContent(`#panel pre.logtail`))
	exitCode := uitest.Value(ctx, t, chromedp.Text(`#panel .exitcode strong`))
	imgs := uitest.Value(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll('img[src="x"], script:not([src])').length`))
	if !strings.Contains(logTail, uitest.XSSLine) || exitCode != "3" || imgs != 0 {
		t.Errorf("panel: log tail %q, exit code %q, injected images %d", logTail, exitCode, imgs)
	}
	// A directory or matrix job is one node, unfolded on demand; a trigger
	// rule is shown.
	label := uitest.Value(ctx, t, chromedp.TextContent(`svg.dag g.node[data-job="d"]`))
	rule := uitest.Value(ctx, t, chromedp.TextContent(`svg.dag g.node[data-job="e"]`))
	if err := chromedp.Do(ctx, chromedp.Click(`svg.dag g.node[data-job="d"] text.toggle`)); err != nil {
		t.Fatal(err)
	}
	chips := uitest.Value(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll('svg.dag g.node[data-job="d"] text.tag').length`))
	if !strings.Contains(label, "d ×3") || !strings.Contains(rule, "all_done") || chips < 3 {
		t.Errorf("group node %q, unfolded into %d rows; trigger rule node %q", label, chips, rule)
	}
	<-watching
	j, _ := client.BatchV1().Jobs("ns").Get(ctx, "a-1", metav1.GetOptions{})
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := client.BatchV1().Jobs("ns").UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`svg.dag g.node[data-job="a"][data-state="succeeded"]`)); err != nil {
		t.Fatal(err)
	}
	if url := uitest.Value(ctx, t, chromedp.Location()); strings.Contains(url, "token") {
		t.Errorf("the token stayed in the address bar: %s", url)
	}
	if dir := os.Getenv("JOBERNETES_UI_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(dir+"/unit-run.png", uitest.Value(ctx, t, chromedp.FullScreenshot(100)), 0o644)
	}
}

// addFailedJob adds to run r1 job c (phase p1), failed and recorded with its
// pod's diagnosis: exit code 3 and a log tail holding HTML; a directory job
// d and a finally job e.
func addFailedJob(t *testing.T, client *fake.Clientset) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	store := record.NewStore(client, "ns", "r1", nil)
	if _, err := store.Load(ctx); err != nil {
		t.Fatal(err)
	}
	err := store.Update(ctx, record.Change{
		Plan: append(planR1(),
			record.PlanJob{Phase: "p1", Job: "c", KubernetesJobs: []string{"c-1"}},
			record.PlanJob{Phase: "p1", Job: "d", KubernetesJobs: []string{"d-x", "d-y", "d-z"}},
			record.PlanJob{Phase: "p2", Job: "e", TriggerRule: "all_done", Finally: true, KubernetesJobs: []string{"e-1"}},
		),
		Jobs: map[string]*record.JobRecord{"c-1": {Job: "c", Phase: "p1", Result: record.JobFailed,
			CreatedAt: now.Add(-5 * time.Second).UnixMilli(), FinishedAt: now.Add(-2 * time.Second).UnixMilli(),
			Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit",
			Pods: []record.PodFailure{{Pod: "c-1-xyz", Container: "main", ExitCode: 3, Reason: "Error",
				Message: "<script>alert(2)</script>", LogTail: []string{"starting", uitest.XSSLine}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// status -o html opened from a file: the same page, with nothing served:
// the DAG, a failed job's panel (exit code, log tail as text), the
// timeline, no live parts.
func TestStatusHTMLInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	client := newRun(t)
	addFailedJob(t, client)
	st, err := report.GetRunStatus(ctx, client, "ns", "r1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "run.html")
	var b bytes.Buffer
	if err := render.StatusHTML(&b, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate("file://"+file),
		chromedp.WaitVisible(`svg.dag g.node[data-job="c"][data-state="failed"]`),
		chromedp.WaitVisible(`#timeline img`),
		chromedp.Click(`svg.dag g.node[data-job="c"]`),
		chromedp.WaitVisible(`#panel pre.logtail`),
	)
	if err != nil {
		t.Fatal(err)
	}
	tail := uitest.Value(ctx, t, chromedp.TextContent(`#panel pre.logtail`))
	buttons := uitest.Value(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll('#cancel, #delete, #logs').length`))
	width := uitest.Value(ctx, t, chromedp.Evaluate[int](`document.querySelector('#timeline img').naturalWidth`))
	if !strings.Contains(tail, uitest.XSSLine) || buttons != 0 || width == 0 {
		t.Errorf("file: log tail %q, live buttons %d, timeline width %d", tail, buttons, width)
	}
	if dir := os.Getenv("JOBERNETES_UI_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(dir+"/status-html.png", uitest.Value(ctx, t, chromedp.FullScreenshot(100)), 0o644)
	}
}
