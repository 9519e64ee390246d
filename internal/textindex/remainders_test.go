package textindex

import (
	"slices"
	"testing"
)

func TestRemainderCacheKeepsAVersionsRemaindersOnly(t *testing.T) {
	c := newRemainderCache()
	files := []RemainderFile{{Path: "bin.dat", Remainder: Remainder{Kind: RemainderBinary, Size: 10, OID: "aa"}}}
	c.put(1, DefaultBranch, "v1", files)
	c.put(2, DefaultBranch, "v1", nil) // none is never kept
	c.put(1, "release", "v0", files)

	hit, missing := c.get(DefaultBranch, map[uint32]string{1: "v1", 2: "v1", 3: "v1"}, []uint32{1, 2, 3})
	if len(hit) != 1 || len(hit[1]) != 1 || !slices.Equal(missing, []uint32{2, 3}) {
		t.Fatalf("get at v1: hit %v, missing %v; want repository 1 hit, 2 and 3 missing", hit, missing)
	}
	if hit, missing := c.get(DefaultBranch, map[uint32]string{1: "v2"}, []uint32{1}); len(hit) != 0 || len(missing) != 1 {
		t.Fatalf("get at a newer version: hit %v, missing %v; want a miss", hit, missing)
	}
	if hit, _ := c.get("release", map[uint32]string{1: "v0"}, []uint32{1}); len(hit[1]) != 1 {
		t.Fatalf("another branch's remainders: %v, want its own entry", hit)
	}

	// Beyond the bound, older entries make room.
	big := []RemainderFile{{Path: "x", Remainder: Remainder{Kind: RemainderStored, Content: make([]byte, maxRemainderBytes/2)}}}
	for id := uint32(10); id < 14; id++ {
		c.put(id, DefaultBranch, "v1", big)
		if c.bytes > maxRemainderBytes {
			t.Fatalf("after %d large entries the cache holds %d bytes, over %d", id-9, c.bytes, maxRemainderBytes)
		}
	}
}
