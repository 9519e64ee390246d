package textindex

import (
	"sync"

	"github.com/sourcegraph/zoekt/query"
)

// Every search must see every remainder of the repositories it answers for (they may
// count as skipped, or match where zoekt cannot tell), and they are most of what a
// selective search gets back: over the 50 repositories of dev/bench/index, 5,067 of the
// 5,665 documents and 2.3 MB per search, copied out of the shards, sent and decoded each
// time for the same answer. A shard version's remainders never change, so they are read
// once per version, parsed, and kept here; searches then ask zoekt only for their
// candidates.

// remaindersQuery finds every remainder of a shard Lookout wrote.
var remaindersQuery = &query.Substring{Pattern: RemainderText, CaseSensitive: true, Content: true}

// maxRemainderBytes bounds the content the cache keeps. Remainders are small (headers,
// and the stored text of files zoekt would not find, shorter than 3 bytes or with a fold
// hazard): the bench corpus's 50 repositories, Go's source among them, hold 2.3 MB.
const maxRemainderBytes = 64 << 20

// RemainderFile is a remainder and its path.
type RemainderFile struct {
	Path string
	Remainder
}

type cachedRemainders struct {
	version string
	files   []RemainderFile
	bytes   int
}

// remainderKey is a repository's branch in a shard.
type remainderKey struct {
	id     uint32
	branch string
}

// remainderCache holds the remainders of each branch of each repository's shard at one
// version.
type remainderCache struct {
	mu    sync.Mutex
	repos map[remainderKey]cachedRemainders
	bytes int
}

func newRemainderCache() *remainderCache {
	return &remainderCache{repos: map[remainderKey]cachedRemainders{}}
}

// get returns the cached remainders on branch of the repositories of want at the
// versions wanted, and the repositories it has none for.
func (c *remainderCache) get(branch string, want map[uint32]string, ids []uint32) (hit map[uint32][]RemainderFile, missing []uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hit = map[uint32][]RemainderFile{}
	for _, id := range ids {
		if e, ok := c.repos[remainderKey{id, branch}]; ok && e.version == want[id] {
			hit[id] = e.files
		} else {
			missing = append(missing, id)
		}
	}
	return hit, missing
}

// put keeps files as the remainders on branch of repository id at version, evicting
// others (in no particular order) when the cache would hold too much. None is not kept:
// asking again for no remainders costs a lookup that finds nothing.
func (c *remainderCache) put(id uint32, branch string, version string, files []RemainderFile) {
	if len(files) == 0 {
		return
	}
	key := remainderKey{id, branch}
	n := 0
	for _, f := range files {
		n += len(f.Content) + len(f.Path) + len(f.OID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.repos[key]; ok {
		c.bytes -= old.bytes
		delete(c.repos, key)
	}
	for other, e := range c.repos {
		if c.bytes+n <= maxRemainderBytes {
			break
		}
		c.bytes -= e.bytes
		delete(c.repos, other)
	}
	if n > maxRemainderBytes {
		return
	}
	c.repos[key] = cachedRemainders{version: version, files: files, bytes: n}
	c.bytes += n
}
