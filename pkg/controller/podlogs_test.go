package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/record"
)

func TestTailLines(t *testing.T) {
	long := strings.Repeat("x", maxLogLineBytes+10)
	for _, tc := range []struct {
		name string
		in   string
		n    int
		want []string
	}{
		{"empty", "", 20, nil},
		{"fewer than n", "a\nb\n", 20, []string{"a", "b"}},
		{"last n", "a\nb\nc\nd\n", 2, []string{"c", "d"}},
		{"no final newline", "a\nb", 5, []string{"a", "b"}},
		{"crlf", "a\r\nb\r\n", 5, []string{"a", "b"}},
		{"off", "a\n", 0, nil},
		{"long line cut", long + "\n", 1, []string{long[:maxLogLineBytes] + "…"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TailLines(strings.NewReader(tc.in), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") || len(got) != len(tc.want) {
				t.Errorf("TailLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

func TestPodFailureText(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    record.PodFailure
		want string
	}{
		{"no tail", record.PodFailure{Pod: "p", Container: "main", ExitCode: 3, Reason: "Error"},
			"  pod p container main: exit code 3 (Error)\n"},
		{"tail", record.PodFailure{Pod: "p", Container: "main", ExitCode: 3, LogTail: []string{"reading", "boom"}},
			"  pod p container main: exit code 3\n    last log lines:\n    | reading\n    | boom\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.Text("  "); got != tc.want {
				t.Errorf("Text = %q, want %q", got, tc.want)
			}
		})
	}
}

// readTails asks pods/log once per failed container that ran, and stops
// at a refusal, which it returns.
func TestReadTails(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "p1", nil)
	for _, tc := range []struct {
		name          string
		err           error
		wantTail      []string
		wantAsks      int // p1, p3
		wantForbidden bool
	}{
		{"last lines", nil, []string{"b", "c"}, 2, false},
		{"forbidden: no more asking", forbidden, nil, 1, true},
		{"other error: no tail, the next is asked", errors.New("kubelet unreachable"), nil, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset()
			asks := 0
			client.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "log" {
					return false, nil, nil
				}
				asks++
				if tc.err != nil {
					return true, nil, tc.err
				}
				return true, &runtime.Unknown{Raw: []byte("a\nb\nc\n")}, nil
			})
			c := &Controller{client: client, ns: "ns", opts: Options{LogLines: 2}}
			failures := []record.PodFailure{
				{Pod: "p1", Container: "main", ExitCode: 3},
				{Pod: "p2", Reason: "DeadlineExceeded"}, // never ran a container: not asked
				{Pod: "p3", Container: "main", ExitCode: 1},
			}
			err := c.readTails(context.Background(), failures)
			if asks != tc.wantAsks {
				t.Errorf("asked for %d logs, want %d", asks, tc.wantAsks)
			}
			if got := strings.Join(failures[0].LogTail, ","); got != strings.Join(tc.wantTail, ",") {
				t.Errorf("tail %q, want %q", failures[0].LogTail, tc.wantTail)
			}
			if failures[1].LogTail != nil {
				t.Errorf("a pod without a container got a tail")
			}
			if apierrors.IsForbidden(err) != tc.wantForbidden {
				t.Errorf("readTails returned %v, want forbidden %v", err, tc.wantForbidden)
			}
		})
	}
}
