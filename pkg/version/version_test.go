package version

import (
	"runtime"
	"testing"
)

func TestGet(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "v1.2.3", "abc1234"
	got := Get()
	if got.Version != "v1.2.3" || got.Commit != "abc1234" || got.GoVersion != runtime.Version() ||
		got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("Get() = %+v", got)
	}
}
