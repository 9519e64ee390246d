package vcs

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
)

func TestDiskSizeGrowsWithHistory(t *testing.T) {
	ctx := testContext(t)
	w := newWorkRepo(t)
	w.commit(baseTime, "Alice", "small", map[string]string{"a.txt": "a\n"})
	c := newTestCache(t, "")
	m, err := c.EnsureCloned(ctx, w.repo("example.com/size"))
	if err != nil {
		t.Fatal(err)
	}
	small, err := m.DiskSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if small <= 0 {
		t.Fatalf("a cloned mirror measures %d bytes", small)
	}
	// Random bytes do not compress: the mirror grows by about their size.
	noise := make([]byte, 256<<10)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	w.commit(baseTime.AddDate(0, 0, 1), "Alice", "large", map[string]string{"b.txt": hex.EncodeToString(noise)})
	if _, err := c.Fetch(ctx, w.repo("example.com/size")); err != nil {
		t.Fatal(err)
	}
	large, err := m.DiskSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if large < small+200<<10 {
		t.Fatalf("after adding 512 KiB of hex noise the mirror measures %d bytes (was %d)", large, small)
	}
}

func TestParseCountObjects(t *testing.T) {
	out := []byte("count: 3\nsize: 12\nin-pack: 40\npacks: 1\nsize-pack: 100\nprune-packable: 0\ngarbage: 0\nsize-garbage: 0\n")
	n, err := parseCountObjects(out)
	if err != nil || n != 112<<10 {
		t.Fatalf("got %d, %v; want %d", n, err, 112<<10)
	}
	for _, bad := range []string{"", "size: x\nsize-pack: 1\n", "size: 1\n"} {
		if _, err := parseCountObjects([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
