package repos

import (
	"testing"

	"github.com/lookout/lookout/internal/vcs"
)

func TestPrimaryLanguageCountsCodeBytesByName(t *testing.T) {
	blob := func(p string, size int64) vcs.TreeEntry {
		return vcs.TreeEntry{Path: p, Type: "blob", Mode: vcs.ModeFile, Size: size}
	}
	for _, tc := range []struct {
		name    string
		entries []vcs.TreeEntry
		want    string
	}{
		{"most bytes wins", []vcs.TreeEntry{blob("main.go", 300), blob("a.py", 200), blob("b.py", 200)}, "Python"},
		{"vendored and docs do not count", []vcs.TreeEntry{blob("main.go", 10), blob("vendor/x/big.py", 9000), blob("docs/conf.py", 9000)}, "Go"},
		{"markup and data are not code", []vcs.TreeEntry{blob("README.md", 5000), blob("data.json", 5000), blob("x.rs", 1)}, "Rust"},
		{"ambiguous names do not count", []vcs.TreeEntry{blob("big.h", 9000), blob("small.c", 10)}, "C"},
		{"submodules and symlinks do not count", []vcs.TreeEntry{{Path: "lib", Type: "commit", Size: -1}, {Path: "link.go", Type: "blob", Mode: vcs.ModeSymlink, Size: 99}, blob("x.ts", 1)}, "TypeScript"},
		{"no code", []vcs.TreeEntry{blob("README.md", 10)}, ""},
		{"a tie goes to the first name", []vcs.TreeEntry{blob("a.go", 5), blob("b.rb", 5)}, "Go"},
	} {
		if got := primaryLanguage(tc.entries); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
