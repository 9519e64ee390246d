package packfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// ErrNotFound is returned for an object that is neither in a pack nor loose (it may
// still be in an alternate object store, or in a pack written since: ask git).
var ErrNotFound = errors.New("packfile: object not found")

// ErrCorrupt is returned for an object whose pack data cannot be read back.
var ErrCorrupt = errors.New("packfile: damaged pack data")

// Type is an object's type, numbered as in pack entries.
type Type byte

const (
	Commit Type = 1
	Tree   Type = 2
	Blob   Type = 3
	Tag    Type = 4

	ofsDelta Type = 6
	refDelta Type = 7
)

// isDelta reports whether an entry holds a delta against another object.
func (t Type) isDelta() bool { return t == ofsDelta || t == refDelta }

func (t Type) String() string {
	switch t {
	case Commit:
		return "commit"
	case Tree:
		return "tree"
	case Blob:
		return "blob"
	case Tag:
		return "tag"
	}
	return fmt.Sprintf("type %d", byte(t))
}

// OID is a SHA-1 object id.
type OID [20]byte

// ParseOID parses a 40-digit hex object id.
func ParseOID(s string) (OID, bool) {
	var o OID
	if len(s) != 40 {
		return o, false
	}
	for i := 0; i < 40; i += 2 {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return o, false
		}
		o[i/2] = hi<<4 | lo
	}
	return o, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// MaxObjectSize bounds the objects read here; larger ones are ErrTooLarge (git can
// still read them, in pieces).
const MaxObjectSize = 1 << 30

// ErrTooLarge is returned for an object over MaxObjectSize.
var ErrTooLarge = errors.New("packfile: object too large to read in memory")

// Store reads the packs of one objects directory as they were when it was opened, and
// its loose objects as they are when read. Packs that git adds later are not seen
// (their objects are ErrNotFound); packs that git deletes stay readable, being mapped.
// It is safe for concurrent use; each goroutine reads through its own Reader. Close it
// when its Readers are done.
type Store struct {
	dir   string
	packs []*pack
	cache *baseCache
}

// pack is one mapped pack and its index.
type pack struct {
	name  string
	data  []byte // the .pack file
	idx   []byte // the .idx file
	n     int    // objects
	names []byte // n sorted 20-byte ids
	offs  []byte // n 4-byte offsets (high bit: index into large)
	large []byte // 8-byte offsets of objects past 2 GiB
	unmap []func() error
}

// Open maps the packs of objectsDir (a repository's "objects" directory). A directory
// without packs gives a Store that finds nothing.
func Open(objectsDir string) (*Store, error) {
	idxs, err := filepath.Glob(filepath.Join(objectsDir, "pack", "pack-*.idx"))
	if err != nil {
		return nil, err
	}
	s := &Store{dir: objectsDir, cache: bases}
	for _, idx := range idxs {
		p, err := openPack(idx)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed by a concurrent repack: its objects are in another pack
		}
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		s.packs = append(s.packs, p)
	}
	return s, nil
}

// Close unmaps the packs. Data returned by Readers must not be used after it.
func (s *Store) Close() error {
	var first error
	for _, p := range s.packs {
		for _, u := range p.unmap {
			if err := u(); err != nil && first == nil {
				first = err
			}
		}
	}
	s.cache.drop(s.packs)
	s.packs = nil
	return first
}

func openPack(idxPath string) (*pack, error) {
	p := &pack{name: filepath.Base(idxPath)}
	idx, unmapIdx, err := mapFile(idxPath)
	if err != nil {
		return nil, err
	}
	p.unmap = append(p.unmap, unmapIdx)
	data, unmapPack, err := mapFile(strings.TrimSuffix(idxPath, ".idx") + ".pack")
	if err != nil {
		_ = unmapIdx()
		return nil, err
	}
	p.unmap = append(p.unmap, unmapPack)
	p.idx, p.data = idx, data
	if err := p.parseIndex(); err != nil {
		for _, u := range p.unmap {
			_ = u()
		}
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	return p, nil
}

// Index version 2: magic, version, 256 fan-out counts, the sorted ids, their CRCs,
// their 4-byte offsets, the 8-byte offsets, then the pack's and the index's checksums.
const (
	idxHeader  = 8
	idxFanout  = 256 * 4
	idxTrailer = 40
	packHeader = 12
)

func (p *pack) parseIndex() error {
	idx := p.idx
	if len(idx) < idxHeader+idxFanout+idxTrailer || !bytes.Equal(idx[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(idx[4:]) != 2 {
		return fmt.Errorf("%w: not a version 2 pack index", ErrCorrupt)
	}
	n := int(binary.BigEndian.Uint32(idx[idxHeader+255*4:]))
	rest := len(idx) - idxHeader - idxFanout - idxTrailer - n*28
	if n < 0 || rest < 0 || rest%8 != 0 {
		// A SHA-256 repository's index (32-byte ids) fails here too.
		return fmt.Errorf("%w: pack index size does not match its %d objects", ErrCorrupt, n)
	}
	base := idxHeader + idxFanout
	p.n = n
	p.names = idx[base : base+n*20]
	p.offs = idx[base+n*24 : base+n*28]
	p.large = idx[base+n*28 : base+n*28+rest]
	if len(p.data) < packHeader+20 || !bytes.Equal(p.data[:4], []byte("PACK")) {
		return fmt.Errorf("%w: not a pack file", ErrCorrupt)
	}
	if v := binary.BigEndian.Uint32(p.data[4:]); v != 2 && v != 3 {
		return fmt.Errorf("%w: pack version %d", ErrCorrupt, v)
	}
	if int(binary.BigEndian.Uint32(p.data[8:])) != n {
		return fmt.Errorf("%w: pack and index disagree on the object count", ErrCorrupt)
	}
	return nil
}

// find returns the offset of oid in the pack, or -1.
func (p *pack) find(oid *OID) int64 {
	first := int(oid[0])
	lo := 0
	if first > 0 {
		lo = int(binary.BigEndian.Uint32(p.idx[idxHeader+(first-1)*4:]))
	}
	hi := int(binary.BigEndian.Uint32(p.idx[idxHeader+first*4:]))
	if lo > hi || hi > p.n {
		return -1
	}
	i := lo + sort.Search(hi-lo, func(i int) bool {
		return bytes.Compare(p.names[(lo+i)*20:(lo+i)*20+20], oid[:]) >= 0
	})
	if i >= hi || !bytes.Equal(p.names[i*20:i*20+20], oid[:]) {
		return -1
	}
	off := binary.BigEndian.Uint32(p.offs[i*4:])
	if off&0x80000000 == 0 {
		return int64(off)
	}
	k := int(off & 0x7fffffff)
	if (k+1)*8 > len(p.large) {
		return -1
	}
	return int64(binary.BigEndian.Uint64(p.large[k*8:]))
}

// locate finds the pack and offset of oid, or returns a nil pack.
func (s *Store) locate(oid *OID) (*pack, int64) {
	for _, p := range s.packs {
		if off := p.find(oid); off >= 0 {
			return p, off
		}
	}
	return nil, -1
}

// entry is the header of a pack entry.
type entry struct {
	typ  Type
	size int64
	data int64 // offset of the compressed data
	base int64 // ofsDelta: the base's offset
	ref  OID   // refDelta: the base's id
}

// entryAt parses the entry header at off.
func (p *pack) entryAt(off int64) (entry, error) {
	end := int64(len(p.data) - 20) // the trailing checksum
	if off < packHeader || off >= end {
		return entry{}, fmt.Errorf("%w: entry offset %d out of range", ErrCorrupt, off)
	}
	d := p.data[off:end]
	c := d[0]
	e := entry{typ: Type(c>>4) & 7, size: int64(c & 15)}
	i := 1
	for shift := 4; c&0x80 != 0; shift += 7 {
		if i >= len(d) || shift > 56 {
			return entry{}, fmt.Errorf("%w: bad entry header at %d", ErrCorrupt, off)
		}
		c = d[i]
		i++
		e.size |= int64(c&0x7f) << shift
	}
	switch e.typ {
	case Commit, Tree, Blob, Tag:
	case ofsDelta:
		if i >= len(d) {
			return entry{}, fmt.Errorf("%w: bad delta header at %d", ErrCorrupt, off)
		}
		c = d[i]
		i++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= len(d) || rel > 1<<48 {
				return entry{}, fmt.Errorf("%w: bad delta offset at %d", ErrCorrupt, off)
			}
			c = d[i]
			i++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		if rel <= 0 || rel > off-packHeader {
			return entry{}, fmt.Errorf("%w: delta base offset out of range at %d", ErrCorrupt, off)
		}
		e.base = off - rel
	case refDelta:
		if i+20 > len(d) {
			return entry{}, fmt.Errorf("%w: bad delta header at %d", ErrCorrupt, off)
		}
		copy(e.ref[:], d[i:i+20])
		i += 20
	default:
		return entry{}, fmt.Errorf("%w: unknown entry type %d at %d", ErrCorrupt, e.typ, off)
	}
	if e.size > MaxObjectSize {
		return entry{}, ErrTooLarge
	}
	e.data = off + int64(i)
	// Deflate expands at most about 1032 to 1: a size beyond that of the bytes left is
	// a damaged header, not an object worth allocating for.
	if e.size > (end-e.data)*1032+64 {
		return entry{}, fmt.Errorf("%w: entry size %d at %d exceeds the pack", ErrCorrupt, e.size, off)
	}
	return e, nil
}

// baseCacheBytes bounds the delta bases kept by all Stores of the process, as git's
// core.deltaBaseCacheLimit (96 MiB) bounds its own: a worker searching many
// repositories at once holds no more.
const baseCacheBytes = 96 << 20

// bases is the process's delta base cache, shared by every Store.
var bases = newBaseCache(baseCacheBytes)

// baseCache keeps inflated objects that are the bases of deltas, evicting the oldest
// first.
type baseCache struct {
	mu    sync.Mutex
	max   int
	size  int
	m     map[baseKey]cached
	order []baseKey // insertion order; entries may already be gone
}

type baseKey struct {
	p   *pack
	off int64
}

func newBaseCache(max int) *baseCache {
	return &baseCache{max: max, m: map[baseKey]cached{}}
}

func (c *baseCache) get(k baseKey) (cached, bool) {
	c.mu.Lock()
	b, ok := c.m[k]
	c.mu.Unlock()
	return b, ok
}

// put keeps v, whose bytes must not be modified afterwards.
func (c *baseCache) put(k baseKey, v cached) {
	if len(v.b) > c.max/4 {
		return // one huge base would flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	c.m[k] = v
	c.size += len(v.b)
	c.order = append(c.order, k)
	for c.size > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		if v, ok := c.m[old]; ok {
			c.size -= len(v.b)
			delete(c.m, old)
		}
	}
}

// drop forgets the objects of closed packs.
func (c *baseCache) drop(packs []*pack) {
	if len(packs) == 0 {
		return
	}
	gone := make(map[*pack]bool, len(packs))
	for _, p := range packs {
		gone[p] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.m {
		if gone[k.p] {
			c.size -= len(v.b)
			delete(c.m, k)
		}
	}
	kept := c.order[:0]
	for _, k := range c.order {
		if !gone[k.p] {
			kept = append(kept, k)
		}
	}
	clear(c.order[len(kept):])
	c.order = kept
}
