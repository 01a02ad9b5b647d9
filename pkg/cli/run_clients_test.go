package cli

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
)

// The run's requests are protobuf by default, as the control plane's own
// components send theirs; JSON stays available, and answers may fall back
// to JSON.
func TestSetContentType(t *testing.T) {
	for _, tc := range []struct{ in, ct, accept string }{
		{runtime.ContentTypeProtobuf, runtime.ContentTypeProtobuf, runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON},
		{runtime.ContentTypeJSON, runtime.ContentTypeJSON, runtime.ContentTypeJSON},
	} {
		cfg := &rest.Config{}
		if err := setContentType(cfg, tc.in); err != nil || cfg.ContentType != tc.ct || cfg.AcceptContentTypes != tc.accept {
			t.Errorf("%s: %v, content type %q, accept %q; want %q, %q", tc.in, err, cfg.ContentType, cfg.AcceptContentTypes, tc.ct, tc.accept)
		}
	}
	if f := newRunCommand(genericiooptions.NewTestIOStreamsDiscard()).Flags().Lookup("kube-api-content-type"); f == nil || f.DefValue != runtime.ContentTypeProtobuf {
		t.Errorf("--kube-api-content-type: %+v, want protobuf by default", f)
	}
	code, stdout, stderr := run("run", "-f", simple, "-n", "demo", "--kube-api-content-type", "yaml")
	if code != ExitInvalid || stdout != "" || !strings.Contains(stderr, `--kube-api-content-type "yaml"`) {
		t.Errorf("--kube-api-content-type yaml: exit %d, stdout %q, stderr %q; want 2 and the flag named", code, stdout, stderr)
	}
}
