// Package version says which build of Lookout is running, for the API (Site.buildVersion)
// and the binaries' usage text. The build stamps it with the linker:
//
//	go build -ldflags "-X github.com/lookout/lookout/internal/version.stamp=<commit>_<date>"
//
// (make build and dev/run.sh do, from git). An unstamped binary falls back to what the Go
// toolchain recorded: the module version of a `go install`ed release, or the VCS commit
// and time when it built with VCS stamping, and finally 0.0.0+dev.
package version

import (
	"runtime/debug"
	"strings"
)

// stamp is set by the linker (-X).
var stamp string

// Dev is the version of a build that knows nothing about its source.
const Dev = "0.0.0+dev"

// Version returns the running build's version.
func Version() string {
	if stamp != "" {
		return stamp
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Dev
	}
	return fromBuildInfo(info)
}

func fromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at, _, _ = strings.Cut(s.Value, "T")
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return Dev
	}
	v := rev[:min(12, len(rev))]
	if at != "" {
		v += "_" + at
	}
	if modified {
		v += "+modified"
	}
	return v
}
