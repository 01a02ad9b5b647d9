package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/ui"
)

// The page's API gives status's own documents, byte for byte: GET
// /api/runs/NS/RUN is `status --run-id RUN -n NS -o json`, GET /api/runs
// is `status -A -o json` (with -A) or `status -n NS -o json` (with -n).
func TestUIAPIIsStatusJSON(t *testing.T) {
	client := statusCluster(t)
	const run = "etl-20261127-120000-ab12"
	get := func(all bool, path string) string {
		t.Helper()
		srv, err := ui.New(uiServerOptions(client, "data", all, "tok", func() time.Time { return statusNow }))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	status := func(args ...string) string {
		t.Helper()
		code, out, errOut := runStatusCmd(t, client, args...)
		if code != 0 {
			t.Fatalf("status %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	for _, c := range []struct {
		name, got, want string
	}{
		{"run", get(false, "/api/runs/data/"+run), status("--run-id", run, "-n", "data", "-o", "json")},
		{"list -A", get(true, "/api/runs"), status("-A", "-o", "json")},
		{"list -n", get(false, "/api/runs"), status("-n", "data", "-o", "json")},
	} {
		if c.got != c.want {
			t.Errorf("%s: the API's document differs from status's:\n%s\nwant\n%s", c.name, c.got, c.want)
		}
	}
}
