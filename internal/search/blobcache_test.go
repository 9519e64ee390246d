package search

import (
	"context"
	"strings"
	"testing"
	"unsafe"
)

func TestBlobCacheIsBoundedLRU(t *testing.T) {
	ctx := context.Background()
	c := NewBlobCache(3, nil)
	sigA, sigB := []byte("aaaaaaaaaaaaaaaa"), []byte("bbbbbbbbbbbbbbbb")
	for i, oid := range []string{"o1", "o2", "o3"} {
		if err := c.put(ctx, sigA, oid, blobResult{BlobCount: BlobCount{Matches: i + 1}}, true); err != nil {
			t.Fatal(err)
		}
	}
	if r, ok := c.get(sigA, "o1"); !ok || r.Matches != 1 { // o1 is now the most recent
		t.Fatalf("o1: %+v %v", r, ok)
	}
	if _, ok := c.get(sigB, "o1"); ok {
		t.Fatalf("another signature must not see o1's count")
	}
	_ = c.put(ctx, sigA, "o4", blobResult{BlobCount: BlobCount{Matches: 4}}, false)
	if _, ok := c.get(sigA, "o2"); ok {
		t.Errorf("o2 should have been evicted (least recently used)")
	}
	for _, oid := range []string{"o1", "o3", "o4"} {
		if _, ok := c.get(sigA, oid); !ok {
			t.Errorf("%s evicted", oid)
		}
	}
	if c.Len() != 3 {
		t.Errorf("len %d", c.Len())
	}
	// Keys do not keep a tree listing's text alive.
	listing := strings.Repeat("x", 1<<20) + "oid5"
	_ = c.put(ctx, sigA, listing[len(listing)-4:], blobResult{}, false)
	for e := c.root.next; e != &c.root; e = e.next {
		if k := e.key.oid; k == "oid5" && unsafe.StringData(k) == unsafe.StringData(listing[len(listing)-4:]) {
			t.Errorf("the key shares the listing's memory")
		}
	}
	var nilCache *BlobCache
	if _, ok := nilCache.get(sigA, "o1"); ok || nilCache.put(ctx, sigA, "o1", blobResult{}, true) != nil || nilCache.Flush(ctx) != nil {
		t.Errorf("a nil cache must be a no-op")
	}
}
