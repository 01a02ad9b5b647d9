// Package ui tests `jobernetes ui` end to end: the real binary on the real
// control plane, driven in headless Chromium (Debian's chromium package,
// through chromedp): the run list, a job turning from running to succeeded
// without a reload, a failed job's panel, cancel from the page, and the
// token checks. With JOBERNETES_UI_DOCS=1 it writes the screenshots of
// docs/ui.md into docs/.
package ui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
	"github.com/jobernetes/jobernetes/pkg/ui/uitest"
	"github.com/jobernetes/jobernetes/test/e2e/e2eutil"
	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

// binary is the jobernetes binary under test, built once per package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, &binary, framework.Main))
}

func do(ctx context.Context, t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// startUI starts `jobernetes ui -n ns` and returns its base URL and token.
func startUI(t *testing.T, jn e2eutil.Jobernetes, ns string) (base, token string) {
	t.Helper()
	p := jn.Start(t, "ui", "-n", ns)
	re := regexp.MustCompile(`^(http://127\.0\.0\.1:\d+)/\?token=([A-Za-z0-9_-]+)$`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		line, _, _ := strings.Cut(p.Stdout(), "\n")
		if m := re.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			return m[1], m[2]
		}
		select {
		case <-p.Done():
			r := p.Wait()
			t.Fatalf("jobernetes ui exited %d: %s", r.Code, r.Stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("jobernetes ui printed no URL: %q", p.Stdout())
	return "", ""
}

func screenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("JOBERNETES_UI_DOCS") == "1" {
		dir = filepath.Join("..", "..", "..", "docs")
	}
	png := uitest.Value(ctx, t, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", filepath.Join(dir, name), len(png))
}

// The page against a real run: the run appears in the list; its DAG shows
// a job turning from running to succeeded without a reload; the failed
// job's panel shows its exit code and log tail (an HTML log line as text);
// the API gives status's own document; requests without the token get
// 401 and a POST without the header is refused.
func TestRunPage(t *testing.T) {
	cp := framework.RequireCluster(t)
	uitest.Chromium(t)
	ns := cp.NewNamespace(t)
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	cp.SetContainerLogs(t, ns, map[string][]string{"main": {"loading /data/in.csv", uitest.XSSLine, "error: input file /data/in.csv is empty"}})
	failing := strings.Replace(e2eutil.JobYAML("1s", true), "        test.jobernetes.io/outcome: fail\n",
		"        test.jobernetes.io/outcome: fail\n        test.jobernetes.io/exit-code: \"3\"\n", 1)
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(false, 0, `
  - phase_name: prepare
    jobs:
      - {name: extract, job_path: extract.yaml, results: [rows, source]}
  - phase_name: process
    jobs:
      - {name: transform, job_path: slow.yaml}
      - {name: load, job_path: fail.yaml, depends_on: [transform]}
      - {name: report, type: directory, job_path: reports}
      - {name: index, job_path: quick.yaml, depends_on: [report]}
  - phase_name: publish
    jobs:
      - {name: notify, job_path: quick.yaml}
`),
		"hello.yaml": e2eutil.Model(false, 0, `
  - phase_name: greet
    jobs:
      - {name: hello, job_path: quick.yaml}
`),
		"extract.yaml": strings.Replace(e2eutil.JobYAML("1s", false), "        test.jobernetes.io/outcome: succeed\n",
			"        test.jobernetes.io/outcome: succeed\n        test.jobernetes.io/termination-message: '{\"rows\": \"42\", \"source\": \"/data/in.csv\"}'\n", 1),
		"quick.yaml":     e2eutil.JobYAML("1s", false),
		"slow.yaml":      e2eutil.JobYAML("6s", false),
		"fail.yaml":      failing,
		"reports/a.yaml": e2eutil.JobYAML("1s", false),
		"reports/b.yaml": e2eutil.JobYAML("2s", false),
		"reports/c.yaml": e2eutil.JobYAML("3s", false),
		"reports/d.yaml": e2eutil.JobYAML("2s", false),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base, token := startUI(t, jn, ns)

	// No token: 401, for pages and API alike; a POST without the header: 403.
	for _, path := range []string{"/", "/runs/" + ns + "/demo", "/api/runs", "/api/runs/" + ns + "/demo", "/api/runs/" + ns + "/demo/events"} {
		if code := httpCode(t, "GET", base+path, nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, code)
		}
	}
	if code := httpCode(t, "POST", base+"/api/runs/"+ns+"/demo/cancel?token="+token, nil); code != http.StatusForbidden {
		t.Errorf("POST cancel without the %s header: %d, want 403", "X-Jobernetes-Token", code)
	}

	run := jn.Start(t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", "demo")
	other := jn.Start(t, "run", "-f", filepath.Join(dir, "hello.yaml"), "-n", ns, "--run-id", "hello")
	bctx := uitest.NewBrowser(ctx, t)
	do(bctx, t, "run list", chromedp.Navigate(base+"/?token="+token),
		chromedp.WaitVisible(`#runs tr[data-run="demo"]`))
	do(bctx, t, "transform running, then succeeded, without a reload",
		chromedp.Navigate(base+"/runs/"+ns+"/demo"),                                     // the cookie carries the token now
		chromedp.WaitVisible(`svg.dag g.node[data-job="notify"][data-state="waiting"]`), // every job, started or not
		chromedp.Evaluate[chromedp.Void](`window.__loaded = 1`),
		chromedp.WaitVisible(`svg.dag g.node[data-job="transform"][data-state="running"]`),
		chromedp.WaitVisible(`svg.dag g.node[data-job="transform"][data-state="succeeded"]`))
	if loaded := uitest.Value(bctx, t, chromedp.Evaluate[int](`window.__loaded || 0`)); loaded != 1 {
		t.Errorf("the page was reloaded")
	}
	if r := run.Wait(); r.Code != 1 {
		t.Fatalf("run exit %d, want 1 (load fails): %s", r.Code, r.Stderr)
	}
	do(bctx, t, "failed job's panel",
		chromedp.WaitVisible(`svg.dag g.node[data-job="load"][data-state="failed"]`),
		chromedp.WaitVisible(`.runhead .r-Failed`),
		chromedp.Click(`svg.dag g.node[data-job="load"]`),
		chromedp.WaitVisible(`#panel pre.logtail`))
	tail := uitest.Value(bctx, t, chromedp.TextContent(`#panel pre.logtail`))
	exit := uitest.Value(bctx, t, chromedp.Text(`#panel .exitcode strong`))
	injected := uitest.Value(bctx, t, chromedp.Evaluate[int](`document.querySelectorAll('img[src="x"]').length`))
	if exit != "3" || !strings.Contains(tail, uitest.XSSLine) || !strings.Contains(tail, "input file /data/in.csv is empty") || injected != 0 {
		t.Errorf("failed job's panel: exit code %q, log tail %q, injected images %d", exit, tail, injected)
	}
	time.Sleep(3500 * time.Millisecond) // the timeline image reloads at most every 3 s
	screenshot(bctx, t, "ui-run.png")
	do(bctx, t, "a job's results in its panel", chromedp.Click(`svg.dag g.node[data-job="extract"]`),
		chromedp.WaitVisible(`#panel table.results`))
	if res := uitest.Value(bctx, t, chromedp.TextContent(`#panel table.results`)); !strings.Contains(res, "rows42") || !strings.Contains(res, "source/data/in.csv") {
		t.Errorf("extract's panel: results %q", res)
	}
	do(bctx, t, "back to the failed job", chromedp.Click(`svg.dag g.node[data-job="load"]`), chromedp.WaitVisible(`#panel pre.logtail`))
	do(bctx, t, "the failed job's logs, streamed", chromedp.Click(`#panel button.showlogs`))
	e2eutil.WaitFor(t, 30*time.Second, "log lines in the panel", func() bool {
		return strings.Contains(uitest.Value(bctx, t, chromedp.TextContent(`#logs`)), "error: input file /data/in.csv is empty")
	})
	if logs := uitest.Value(bctx, t, chromedp.TextContent(`#logs`)); !strings.Contains(logs, uitest.XSSLine) {
		t.Errorf("streamed logs lack the HTML line as text: %q", logs)
	}

	// The API's run is status's document.
	want := jn.Run(ctx, t, "status", "--run-id", "demo", "-n", ns, "-o", "json")
	if got := httpBody(t, base+"/api/runs/"+ns+"/demo", token); got != want.Stdout || !strings.Contains(got, `"result": "Failed"`) {
		t.Errorf("GET /api/runs/%s/demo:\n%s\nstatus -o json:\n%s", ns, got, want.Stdout)
	}

	if r := other.Wait(); r.Code != 0 {
		t.Errorf("run hello exit %d: %s", r.Code, r.Stderr)
	}
	do(bctx, t, "run list with both runs", chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#runs tr[data-run="demo"] .r-Failed`),
		chromedp.WaitVisible(`#runs tr[data-run="hello"] .r-Succeeded`))
	screenshot(bctx, t, "ui-runs.png")
}

// Cancel from the page: after the confirmation, the run's record says
// Cancelled, its orchestrator exits 1 and its active Jobs are deleted.
func TestCancelFromPage(t *testing.T) {
	cp := framework.RequireCluster(t)
	uitest.Chromium(t)
	ns := cp.NewNamespace(t)
	jn := e2eutil.Jobernetes{Bin: binary, Kubeconfig: cp.AdminKubeconfig}
	dir := e2eutil.WriteFiles(t, map[string]string{
		"jobermodel.yaml": e2eutil.Model(false, 0, `
  - phase_name: one
    jobs:
      - {name: long-a, job_path: long.yaml}
      - {name: long-b, job_path: long.yaml}
  - phase_name: two
    jobs:
      - {name: after, job_path: long.yaml}
`),
		"long.yaml": e2eutil.JobYAML("5m", false),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base, token := startUI(t, jn, ns)
	run := jn.Start(t, "run", "-f", filepath.Join(dir, "jobermodel.yaml"), "-n", ns, "--run-id", "stopme")
	bctx := uitest.NewBrowser(ctx, t)
	do(bctx, t, "run page, running",
		chromedp.Navigate(base+"/runs/"+ns+"/stopme?token="+token),
		chromedp.WaitVisible(`svg.dag g.node[data-job="long-a"][data-state="running"]`),
		chromedp.WaitVisible(`svg.dag g.node[data-job="long-b"][data-state="running"]`),
		chromedp.Evaluate[chromedp.Void](`window.confirm = (q) => { window.__asked = q; return true; }`),
		chromedp.Click(`#cancel`),
		chromedp.WaitVisible(`.runhead .r-Cancelled`))
	if asked := uitest.Value(bctx, t, chromedp.Evaluate[string](`window.__asked || ""`)); !strings.Contains(asked, "stopme") {
		t.Errorf("no confirmation asked before the cancel: %q", asked)
	}
	select {
	case <-run.Done():
	case <-ctx.Done():
		t.Fatal("the orchestrator did not end after the cancel")
	}
	if r := run.Wait(); r.Code != 1 {
		t.Errorf("orchestrator exit %d after the cancel, want 1: %s", r.Code, r.Stderr)
	}
	head, err := record.GetHead(ctx, cp.Client, ns, "stopme")
	if err != nil || head.Result != record.ResultCancelled {
		t.Fatalf("record: %v %+v, want Cancelled", err, head)
	}
	jobs, err := cp.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: runmeta.LabelRun + "=stopme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		if _, done := framework.JobFinished(&j); !done && j.DeletionTimestamp == nil {
			t.Errorf("Job %s still active after the cancel", j.Name)
		}
	}
	if code := httpCode(t, "POST", base+"/api/runs/"+ns+"/stopme/delete", map[string]string{"Authorization": "Bearer " + token}); code != http.StatusForbidden {
		t.Errorf("POST delete without the token header: %d, want 403", code)
	}
	// Delete from the page: the record goes, and with it the run's Jobs;
	// the page goes back to the run list.
	do(bctx, t, "delete from the page",
		chromedp.Evaluate[chromedp.Void](`window.confirm = (q) => { window.__asked = q; return true; }`),
		chromedp.Click(`#delete`),
		chromedp.WaitVisible(`h1`),
		chromedp.WaitNotPresent(`#delete`))
	if _, err := record.GetHead(ctx, cp.Client, ns, "stopme"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("record after the delete: %v, want not found", err)
	}
}

func httpCode(t *testing.T, method, url string, header map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func httpBody(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
