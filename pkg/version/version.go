// Package version holds the build's version, set at link time:
//
//	go build -ldflags "-X github.com/jobernetes/jobernetes/pkg/version.Version=v1.2.3 \
//	  -X github.com/jobernetes/jobernetes/pkg/version.Commit=$(git rev-parse --short HEAD)"
//
// Without -ldflags, `go install module@version` still yields the module
// version from the build info.
package version

import (
	"runtime"
	"runtime/debug"
)

var (
	// Version is the release, e.g. v0.1.0; "dev" for a plain go build.
	Version = "dev"
	// Commit is the git commit the binary was built from.
	Commit = "unknown"
)

// UserAgent is what jobernetes calls itself to the API server (its audit
// log, its metrics): "jobernetes/VERSION".
func UserAgent() string { return "jobernetes/" + Version }

// Info is what `jobernetes version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the version information of this binary. Values set with
// -ldflags win; otherwise the build info fills in what it knows.
func Get() Info {
	info := Info{
		Version:   Version,
		Commit:    Commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && info.Commit == "unknown" && s.Value != "" {
				info.Commit = s.Value
				if len(info.Commit) > 12 {
					info.Commit = info.Commit[:12]
				}
			}
		}
	}
	return info
}
