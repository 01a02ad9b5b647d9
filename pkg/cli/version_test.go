package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/jobernetes/jobernetes/pkg/version"
)

// apiServer serves /version as a kube-apiserver does.
func apiServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2","platform":"linux/amd64"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestVersionCommand(t *testing.T) {
	server := apiServer(t)
	client := version.Get()
	tests := []struct {
		name       string
		args       []string
		wantServer string // "" = no server version
		warning    bool
		decode     func([]byte, any) error // nil: text
	}{
		{"text", []string{"--server", server}, "v1.37.2", false, nil},
		{"json", []string{"--server", server, "-o", "json"}, "v1.37.2", false, json.Unmarshal},
		{"yaml", []string{"--server", server, "-o", "yaml"}, "v1.37.2", false, func(b []byte, v any) error { return yaml.UnmarshalStrict(b, v) }},
		{"client only", []string{"--server", "http://127.0.0.1:1", "--client", "-o", "json"}, "", false, json.Unmarshal},
		{"unreachable", []string{"--server", "http://127.0.0.1:1", "-o", "yaml"}, "", true, func(b []byte, v any) error { return yaml.UnmarshalStrict(b, v) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"version"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			if got := strings.Contains(stderr, "Warning: no server version"); got != tc.warning {
				t.Errorf("warning on stderr = %v, want %v:\n%s", got, tc.warning, stderr)
			}
			if tc.decode == nil {
				want := "jobernetes " + client.Version + "\ncommit: " + client.Commit + "\n"
				if !strings.HasPrefix(stdout, want) || !strings.HasSuffix(stdout, "server: "+tc.wantServer+"\n") {
					t.Errorf("stdout:\n%s", stdout)
				}
				return
			}
			var v Versions
			if err := tc.decode([]byte(stdout), &v); err != nil {
				t.Fatalf("%v:\n%s", err, stdout)
			}
			if v.ClientVersion != client {
				t.Errorf("clientVersion = %+v, want %+v", v.ClientVersion, client)
			}
			switch {
			case tc.wantServer == "" && v.ServerVersion != nil:
				t.Errorf("serverVersion = %+v, want none", v.ServerVersion)
			case tc.wantServer != "" && (v.ServerVersion == nil || v.ServerVersion.GitVersion != tc.wantServer):
				t.Errorf("serverVersion = %+v, want %s", v.ServerVersion, tc.wantServer)
			}
		})
	}
}

func TestVersionCommandErrors(t *testing.T) {
	for _, o := range []string{"name", "jsonpath={.clientVersion}", "wide", "text"} {
		code, stdout, stderr := run("version", "--client", "-o", o)
		if code != ExitInvalid || stdout != "" || !strings.Contains(stderr, "use json or yaml") {
			t.Errorf("-o %s: exit %d, stdout %q, stderr %q", o, code, stdout, stderr)
		}
	}
}
