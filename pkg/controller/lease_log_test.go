package controller

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Leader election's "the Lease is taken" errors become V(2) info; other
// errors stay errors.
func TestQuietLeaseLogger(t *testing.T) {
	lease := schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	for _, tc := range []struct {
		name      string
		err       error
		verbosity int
		want      string // "" means nothing is logged
	}{
		{"already exists, default verbosity", apierrors.NewAlreadyExists(lease, "r"), 0, ""},
		{"already exists, -v=2", apierrors.NewAlreadyExists(lease, "r"), 2, `"level"=2 "msg"="Error initially creating lease lock"`},
		{"conflict", apierrors.NewConflict(lease, "r", errors.New("changed")), 0, ""},
		{"forbidden stays an error", apierrors.NewForbidden(lease, "r", errors.New("no")), 0, `"msg"="Error initially creating lease lock" "error"=`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			base := funcr.New(func(prefix, args string) { out.WriteString(args + "\n") }, funcr.Options{Verbosity: tc.verbosity})
			quietLeaseLogger(base).WithValues("k", "v").Error(tc.err, "Error initially creating lease lock")
			got := out.String()
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("logged %q, want %q", got, tc.want)
			}
		})
	}
}
