package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
	"github.com/jobernetes/jobernetes/pkg/runctl"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

const testToken = "s3cret-token"

// planR1 is the plan of run r1: a ──> b.
func planR1() []record.PlanJob {
	return []record.PlanJob{
		{Phase: "p0", Job: "a", KubernetesJobs: []string{"a-1"}},
		{Phase: "p0", Job: "b", DependsOn: []string{"a"}, KubernetesJobs: []string{"b-1"}},
	}
}

// newRun makes run r1 in namespace ns: a ──> b, a's Job running.
func newRun(t *testing.T) *fake.Clientset {
	t.Helper()
	ctx := context.Background()
	client := fake.NewClientset()
	now := time.Now()
	err := record.NewStore(client, "ns", "r1", nil).Create(ctx, &record.Record{
		RunID: "r1", Result: record.ResultRunning, StartedAt: now.Add(-10 * time.Second).UnixMilli(),
		Plan: planR1(),
	})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := client.CoreV1().ConfigMaps("ns").Get(ctx, record.Name("r1"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.UID = "uid-record" // the fake clientset sets no UIDs
	if _, err := client.CoreV1().ConfigMaps("ns").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	yes := true
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
		Name: "a-1", Namespace: "ns", Labels: map[string]string{runmeta.LabelRun: "r1", runmeta.LabelJob: "a"},
		CreationTimestamp: metav1.NewTime(now.Add(-time.Second)),
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: record.Name("r1"),
			UID: "uid-record", Controller: &yes}},
	}}
	if _, err := client.BatchV1().Jobs("ns").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return client
}

func newTestServer(t *testing.T, client *fake.Clientset) *httptest.Server {
	t.Helper()
	s, err := New(Options{Client: client, Namespace: "ns", Token: testToken, Cancel: runctl.CancelRun, Delete: runctl.DeleteRun, Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	return ts
}

// Every request needs the token (query, Bearer, cookie); a POST needs it
// in the header too; GET changes nothing.
func TestAuth(t *testing.T) {
	ts := newTestServer(t, newRun(t))
	s, _ := New(Options{Client: fake.NewClientset(), Token: testToken, Cancel: runctl.CancelRun, Delete: runctl.DeleteRun})
	cookie := &http.Cookie{Name: s.cookie, Value: testToken}
	cases := []struct {
		name, method, path string
		bearer, header     string
		cookie             *http.Cookie
		want               int
	}{
		{name: "page without token", method: "GET", path: "/", want: 401},
		{name: "run page without token", method: "GET", path: "/runs/ns/r1", want: 401},
		{name: "api without token", method: "GET", path: "/api/runs", want: 401},
		{name: "events without token", method: "GET", path: "/api/runs/ns/r1/events", want: 401},
		{name: "static without token", method: "GET", path: "/static/app.js", want: 401},
		{name: "page, query token", method: "GET", path: "/?token=" + testToken, want: 200},
		{name: "page, wrong query token", method: "GET", path: "/?token=nope", want: 401},
		{name: "run page, query token", method: "GET", path: "/runs/ns/r1?token=" + testToken, want: 200},
		{name: "api, bearer", method: "GET", path: "/api/runs", bearer: testToken, want: 200},
		{name: "api, wrong bearer", method: "GET", path: "/api/runs", bearer: "nope", want: 401},
		{name: "api, cookie", method: "GET", path: "/api/runs/ns/r1", cookie: cookie, want: 200},
		{name: "api, wrong cookie", method: "GET", path: "/api/runs", cookie: &http.Cookie{Name: s.cookie, Value: "x"}, want: 401},
		{name: "unknown run", method: "GET", path: "/api/runs/ns/nope", bearer: testToken, want: 404},
		{name: "a run of another namespace", method: "GET", path: "/api/runs/other/r1", bearer: testToken, want: 404},
		{name: "cancel without header", method: "POST", path: "/api/runs/ns/r1/cancel", bearer: testToken, want: 403},
		{name: "cancel with query token, no header", method: "POST", path: "/api/runs/ns/r1/cancel?token=" + testToken, want: 403},
		{name: "cancel with cookie, no header", method: "POST", path: "/api/runs/ns/r1/cancel", cookie: cookie, want: 403},
		{name: "cancel with wrong header", method: "POST", path: "/api/runs/ns/r1/cancel", bearer: testToken, header: "nope", want: 403},
		{name: "cancel without any token", method: "POST", path: "/api/runs/ns/r1/cancel", want: 401},
		{name: "cancel by GET", method: "GET", path: "/api/runs/ns/r1/cancel", bearer: testToken, want: 405},
		{name: "delete by GET", method: "GET", path: "/api/runs/ns/r1/delete", bearer: testToken, want: 405},
		{name: "delete running run", method: "POST", path: "/api/runs/ns/r1/delete", bearer: testToken, header: testToken, want: 409},
		{name: "cancel", method: "POST", path: "/api/runs/ns/r1/cancel", cookie: cookie, header: testToken, want: 200},
		{name: "cancel again", method: "POST", path: "/api/runs/ns/r1/cancel", header: testToken, want: 409},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		if c.header != "" {
			req.Header.Set(TokenHeader, c.header)
		}
		if c.cookie != nil {
			req.AddCookie(c.cookie)
		}
		req.Header.Set("Origin", "http://evil.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s: %d, want %d", c.name, c.method, c.path, resp.StatusCode, c.want)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy %q", c.name, got)
		}
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: CORS header %s", c.name, k)
			}
		}
		if strings.Contains(c.path, "token="+testToken) && c.want == 200 {
			var set bool
			for _, ck := range resp.Cookies() {
				set = set || (ck.Name == s.cookie && ck.Value == testToken && ck.HttpOnly && ck.SameSite == http.SameSiteStrictMode)
			}
			if !set {
				t.Errorf("%s: no HttpOnly SameSite=Strict cookie set: %v", c.name, resp.Header["Set-Cookie"])
			}
		}
	}
}

// The first event is the whole document; a Job's change comes as a patch
// of its row, without a reload.
func TestRunEvents(t *testing.T) {
	client := newRun(t)
	// The fake clientset drops what happens between an informer's list and
	// its watch: wait for the Jobs' watch before changing one.
	watching := make(chan struct{})
	client.PrependWatchReactor("jobs", func(action k8stesting.Action) (bool, watch.Interface, error) {
		defer close(watching)
		return false, nil, nil
	})
	ts := newTestServer(t, client)
	req, _ := http.NewRequest("GET", ts.URL+"/api/runs/ns/r1/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := readEvents(resp.Body)
	var st report.RunStatus
	if err := json.Unmarshal(<-events, &st); err != nil {
		t.Fatal(err)
	}
	if st.Kind != "RunStatus" || st.RunID != "r1" || len(st.Jobs) != 2 || st.Jobs[0].State != "running" || st.Jobs[1].State != "waiting" {
		t.Fatalf("first event: %+v", st)
	}
	select {
	case <-watching:
	case <-ctx.Done():
		t.Fatal("the Jobs were not watched")
	}
	j, _ := client.BatchV1().Jobs("ns").Get(ctx, "a-1", metav1.GetOptions{})
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := client.BatchV1().Jobs("ns").UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p Patch
	select {
	case data := <-events:
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("no event after the Job completed")
	}
	if p.Kind != "RunStatusPatch" || len(p.Jobs) != 1 || p.Jobs[0].Index != 0 || p.Jobs[0].Job.State != "succeeded" {
		t.Fatalf("patch: %+v", p)
	}
}

// The run list's events: the whole list first.
func TestListEvents(t *testing.T) {
	ts := newTestServer(t, newRun(t))
	req, _ := http.NewRequest("GET", ts.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list report.RunList
	if err := json.Unmarshal(<-readEvents(resp.Body), &list); err != nil {
		t.Fatal(err)
	}
	if runs := list.Items; list.Kind != "RunList" || list.Namespace != "ns" || len(runs) != 1 || runs[0].RunID != "r1" || runs[0].Result != "Running" {
		t.Fatalf("run list: %+v", list)
	}
}

// readEvents returns the data of each event read from r.
func readEvents(r io.Reader) <-chan []byte {
	ch := make(chan []byte, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				ch <- []byte(d)
			}
		}
	}()
	return ch
}

// The page never inserts data as HTML: its script builds text nodes.
func TestPageInsertsTextOnly(t *testing.T) {
	entries, err := staticFS.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := staticFS.ReadFile("static/" + e.Name())
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s", e.Name(), bad)
			}
		}
	}
}

func TestURLAndLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:0": true, "localhost:8080": true, "[::1]:80": true,
		"0.0.0.0:80": false, ":8080": false, "10.0.0.1:80": false} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}

// With -A and no right to list records in every namespace, the live list
// says so at once, and GET /api/runs lists namespace by namespace, as
// status -A does.
func TestAllNamespacesRefused(t *testing.T) {
	client := newRun(t)
	if _, err := client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	client.PrependReactor("list", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetNamespace() == "" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("not cluster-wide"))
		}
		return false, nil, nil
	})
	s, err := New(Options{Client: client, AllNamespaces: true, Token: testToken, Cancel: runctl.CancelRun, Delete: runctl.DeleteRun})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer func() { s.Close(); ts.Close() }()
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	start := time.Now()
	if code, body := get("/api/events"); code == 200 || !strings.Contains(body, "forbidden") || time.Since(start) > 5*time.Second {
		t.Errorf("live list: %d %s after %v", code, body, time.Since(start))
	}
	if code, body := get("/api/runs"); code != 200 || !strings.Contains(body, `"runID": "r1"`) {
		t.Errorf("GET /api/runs: %d %s", code, body)
	}
}

// GET never changes anything: every GET route, with the token, makes only
// reads of the cluster.
func TestGETChangesNothing(t *testing.T) {
	client := newRun(t)
	client.ClearActions() // the fixture's own writes
	ts := newTestServer(t, client)
	for _, path := range []string{"/", "/runs/ns/r1", "/static/app.js", "/static/app.css", "/api/runs", "/api/runs/ns/r1",
		"/api/runs/ns/r1/timeline.svg", "/api/runs/ns/r1/logs?job=a-1", "/api/runs/ns/r1/events", "/api/events",
		"/api/runs/ns/r1/cancel", "/api/runs/ns/r1/delete"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body) // an event stream ends with ctx
			resp.Body.Close()
		}
		cancel()
	}
	if len(client.Actions()) == 0 {
		t.Fatal("no read of the cluster at all")
	}
	for _, a := range client.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
		default:
			t.Errorf("a GET made %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
}

// A user who may not list pods still sees the run, live (pods only add the
// diagnosis of a running run, as for status).
func TestPodsRefused(t *testing.T) {
	client := newRun(t)
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no pods"))
	})
	ts := newTestServer(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/runs/ns/r1/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st report.RunStatus
	if err := json.Unmarshal(<-readEvents(resp.Body), &st); err != nil || st.RunID != "r1" || len(st.Jobs) != 2 {
		t.Fatalf("first event: %v %+v", err, st)
	}
}

// Events of a run whose record appears a moment later (a run just
// started) begin with its document; a run that never appears is 404.
func TestRunEventsWaitForTheRecord(t *testing.T) {
	client := fake.NewClientset()
	ts := newTestServer(t, client)
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = record.NewStore(client, "ns", "late", nil).Create(context.Background(),
			&record.Record{RunID: "late", Result: record.ResultRunning, StartedAt: time.Now().UnixMilli()})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/runs/ns/late/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st report.RunStatus
	if err := json.Unmarshal(<-readEvents(resp.Body), &st); err != nil || st.RunID != "late" {
		t.Fatalf("first event: %v %+v", err, st)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/runs/ns/never/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotFound {
		t.Errorf("events of a run that never appears: %d, want 404", resp2.StatusCode)
	}
}
