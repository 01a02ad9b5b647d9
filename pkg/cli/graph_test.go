package cli

import (
	"strings"
	"testing"
)

func TestTextShowsDependenciesAndDirectories(t *testing.T) {
	code, stdout, _ := run("graph", "-f", advanced)
	for _, want := range []string{
		"phase 2/3 mid_sleep, after all of start_sleep\n",
		"  sleep_hickup_a  1 Job  after dream_a\n",
		"  wakeup  3 Jobs in test-dir/2-finalize\n",
	} {
		if code != ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
}
