package vcs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	w := newWorkRepo(t)
	big := strings.Repeat("line of text\n", 2000) // 26 KB
	bigBinary := "\x00" + strings.Repeat("x", 30000)
	binaryLate := strings.Repeat("a", 9000) + "\x00" // a NUL past git's 8000 bytes: text
	c1 := w.commit(baseTime, "Alice", "files", map[string]string{
		"README.md": "# Project\n", "dir/with space.txt": "spaced\n", "img.bin": "PNG\x00\x01\x02",
		"big.txt": big, "big.bin": bigBinary, "late.txt": binaryLate,
	})
	w.commit(baseTime.Add(1e9), "Alice", "change", map[string]string{"README.md": "# Project, v2\n"})
	m, err := newTestCache(t, "").EnsureCloned(testContext(t), w.repo("example.com/files"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	const limit = 10000
	for _, tc := range []struct {
		rev, path string
		size      int
		binary    bool
		content   string // "" when too large to be read
	}{
		{"HEAD", "README.md", 14, false, "# Project, v2\n"},
		{c1, "README.md", 10, false, "# Project\n"},
		{c1, "dir/with space.txt", 7, false, "spaced\n"},
		{c1, "img.bin", 6, true, "PNG\x00\x01\x02"},
		{c1, "late.txt", len(binaryLate), false, binaryLate},
		{c1, "big.txt", len(big), false, ""},
		{c1, "big.bin", len(bigBinary), true, ""},
	} {
		f, err := m.ReadFile(ctx, tc.rev, tc.path, limit)
		if err != nil {
			t.Errorf("%s:%s: %v", tc.rev, tc.path, err)
			continue
		}
		if f.Size != int64(tc.size) || f.Binary != tc.binary || string(f.Content) != tc.content || len(f.OID) != 40 {
			t.Errorf("%s:%s: size %d binary %v content %.40q (%d bytes) oid %q; want %d %v %.40q", tc.rev, tc.path, f.Size, f.Binary, f.Content, len(f.Content), f.OID, tc.size, tc.binary, tc.content)
		}
		if tc.content == "" && f.Content != nil {
			t.Errorf("%s: a file over the limit was read whole", tc.path)
		}
	}
	// The same file read with a limit that allows it.
	if f, err := m.ReadFile(ctx, c1, "big.txt", 1<<20); err != nil || !bytes.Equal(f.Content, []byte(big)) {
		t.Errorf("big.txt under a larger limit: %v", err)
	}
	for _, p := range []string{"dir", "nope.txt", "README.md/x"} {
		if _, err := m.ReadFile(ctx, c1, p, limit); !errors.Is(err, ErrNotAFile) {
			t.Errorf("%s: %v, want ErrNotAFile", p, err)
		}
	}
	for _, bad := range [][2]string{{"", "README.md"}, {c1, ""}, {c1, "a\nb"}, {"-x", "README.md"}} {
		if _, err := m.ReadFile(ctx, bad[0], bad[1], limit); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ReadFile(%q, %q) = %v, want an invalid argument", bad[0], bad[1], err)
		}
	}
}
