package search

import (
	"context"
	"strings"
	"sync"

	"github.com/lookout/lookout/internal/store"
)

// BlobCache memoizes what a content matcher finds in a blob, keyed by the matcher's
// Signature and the blob's object id: a blob never changes, so a count computed once
// holds for every revision and repository that contains the blob. Counting one pattern
// at twelve revisions of a repository then reads only the blobs that differ.
//
// It is an in-memory LRU bounded by entries, optionally backed by Postgres
// (search_blob_counts) so that counts survive restarts and are shared by workers:
// lookups that miss in memory are fetched in one batch per revision, and new counts are
// written in batches. Only callers that ask for persistence (Request.Persist, insights
// backfills) touch Postgres; interactive searches use memory only.
type BlobCache struct {
	mu  sync.Mutex
	max int
	// root is the sentinel of the entries' ring, most recently used first; n counts
	// them. The list is intrusive (one allocation per entry, not two as with
	// container/list): a cold scan adds an entry per blob of the tree.
	root blobEntry
	n    int
	// items is by signature, then by object id: string keys take Go's fast map path,
	// which a struct key of both does not (a scan looks up every file of a tree).
	items   map[[16]byte]map[string]*blobEntry
	store   *store.Store
	pending map[string][]store.BlobCount // by signature
	npend   int
	hits    int64
	misses  int64
}

type blobKey struct {
	sig [16]byte
	oid string
}

type blobEntry struct {
	key        blobKey
	val        blobResult
	prev, next *blobEntry
}

func (c *BlobCache) unlink(e *blobEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	c.n--
}

func (c *BlobCache) pushFront(e *blobEntry) {
	if c.root.next == nil {
		c.root.next, c.root.prev = &c.root, &c.root
	}
	e.prev, e.next = &c.root, c.root.next
	c.root.next.prev = e
	c.root.next = e
	c.n++
}

func (c *BlobCache) moveToFront(e *blobEntry) {
	if c.root.next == e {
		return
	}
	c.unlink(e)
	c.pushFront(e)
}

// blobResult is a cached answer for one blob.
type blobResult struct {
	BlobCount
	Binary bool
}

// DefaultBlobCacheEntries bounds the in-memory cache: an entry takes about 250 bytes
// (more with capture values), so the default holds about 125 MB.
const DefaultBlobCacheEntries = 500_000

// flushEvery is the number of pending persistent entries that triggers a write.
const flushEvery = 5000

// NewBlobCache returns a cache of at most maxEntries in memory (DefaultBlobCacheEntries
// when 0), persisted to st when st is not nil.
func NewBlobCache(maxEntries int, st *store.Store) *BlobCache {
	if maxEntries <= 0 {
		maxEntries = DefaultBlobCacheEntries
	}
	return &BlobCache{max: maxEntries, items: map[[16]byte]map[string]*blobEntry{}, store: st, pending: map[string][]store.BlobCount{}}
}

func keyOf(sig []byte, oid string) blobKey {
	var k blobKey
	copy(k.sig[:], sig)
	k.oid = oid
	return k
}

// storedKey is keyOf with its own copy of the id: ids from a tree listing share the
// listing's text, which an entry must not keep alive.
func storedKey(sig []byte, oid string) blobKey {
	return keyOf(sig, strings.Clone(oid))
}

// get returns the cached result for a blob.
func (c *BlobCache) get(sig []byte, oid string) (blobResult, bool) {
	if c == nil {
		return blobResult{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[keyOf(sig, oid).sig][oid]; ok {
		c.moveToFront(e)
		c.hits++
		return e.val, true
	}
	c.misses++
	return blobResult{}, false
}

func (c *BlobCache) addLocked(k blobKey, v blobResult) {
	bySig := c.items[k.sig]
	if e, ok := bySig[k.oid]; ok {
		c.moveToFront(e)
		e.val = v
		return
	}
	if bySig == nil {
		bySig = map[string]*blobEntry{}
		c.items[k.sig] = bySig
	}
	e := &blobEntry{key: k, val: v}
	c.pushFront(e)
	bySig[k.oid] = e
	for c.n > c.max {
		last := c.root.prev
		c.unlink(last)
		old := last.key
		delete(c.items[old.sig], old.oid)
		if len(c.items[old.sig]) == 0 {
			delete(c.items, old.sig)
		}
	}
}

// put records a computed result; with persist it is also queued for Postgres.
func (c *BlobCache) put(ctx context.Context, sig []byte, oid string, v blobResult, persist bool) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	c.addLocked(storedKey(sig, oid), v)
	flush := false
	if persist && c.store != nil {
		s := string(sig)
		c.pending[s] = append(c.pending[s], store.BlobCount{OID: strings.Clone(oid), Matches: v.Matches, Lines: v.Lines, Binary: v.Binary, Captures: v.Captures})
		c.npend++
		flush = c.npend >= flushEvery
	}
	c.mu.Unlock()
	if flush {
		return c.Flush(ctx)
	}
	return nil
}

// load fetches the persisted results of oids missing from memory into memory and
// returns how many it found. Without a store it does nothing.
func (c *BlobCache) load(ctx context.Context, sig []byte, oids []string) (int, error) {
	if c == nil || c.store == nil || len(oids) == 0 {
		return 0, nil
	}
	rows, err := c.store.Search().GetBlobCounts(ctx, sig, oids)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rows {
		c.addLocked(storedKey(sig, r.OID), blobResult{BlobCount: BlobCount{Matches: r.Matches, Lines: r.Lines, Captures: r.Captures}, Binary: r.Binary})
	}
	return len(rows), nil
}

// Flush writes the pending persistent entries.
func (c *BlobCache) Flush(ctx context.Context) error {
	if c == nil || c.store == nil {
		return nil
	}
	c.mu.Lock()
	pending := c.pending
	c.pending = map[string][]store.BlobCount{}
	c.npend = 0
	c.mu.Unlock()
	for sig, rows := range pending {
		if err := c.store.Search().PutBlobCounts(ctx, []byte(sig), rows); err != nil {
			return err
		}
	}
	return nil
}

// Len is the number of entries in memory.
func (c *BlobCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Stats returns the in-memory hits and misses so far.
func (c *BlobCache) Stats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}
