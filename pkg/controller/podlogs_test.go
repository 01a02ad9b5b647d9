package controller

import (
	"strings"
	"testing"
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
		f    PodFailure
		want string
	}{
		{"no tail", PodFailure{Pod: "p", Container: "main", ExitCode: 3, Reason: "Error"},
			"  pod p container main: exit code 3 (Error)\n"},
		{"tail", PodFailure{Pod: "p", Container: "main", ExitCode: 3, LogTail: []string{"reading", "boom"}},
			"  pod p container main: exit code 3\n    last log lines:\n    | reading\n    | boom\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.Text("  "); got != tc.want {
				t.Errorf("Text = %q, want %q", got, tc.want)
			}
		})
	}
}
