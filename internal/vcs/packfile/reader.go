package packfile

import (
	"fmt"
)

// Reader reads objects of a Store for one goroutine, reusing its zlib state and
// buffers from one object to the next.
type Reader struct {
	s     *Store
	z     *inflater
	out   []byte // the last object read, when it is not kept in the base cache
	delta []byte // delta instructions being applied
	chain []entryRef
	locs  []loc
	want  map[baseKey]int
	last  *pack // where the last object was found: objects read together are often packed together
}

type entryRef struct {
	p *pack
	e entry
	k baseKey
}

type loc struct {
	p   *pack
	off int64
}

// cached is an inflated object kept in the base cache.
type cached struct {
	t Type
	b []byte
}

// maxChain bounds a delta chain (git's deepest is 4095); a longer one is a damaged
// or hostile pack, possibly a loop of reference deltas.
const maxChain = 10000

// maxKeptOut bounds the buffer a Reader keeps between objects.
const maxKeptOut = 16 << 20

// NewReader returns a Reader of the Store.
func (s *Store) NewReader() (*Reader, error) {
	z, err := newInflater()
	if err != nil {
		return nil, err
	}
	return &Reader{s: s, z: z, want: map[baseKey]int{}}, nil
}

// Read returns one object. The data is valid until the Reader's next read and must
// not be modified.
func (r *Reader) Read(oid OID) (Type, []byte, error) {
	p, off := r.locate(&oid)
	if p == nil {
		return r.loose(&oid)
	}
	return r.object(p, off, false)
}

// Info returns an object's type and size without inflating it: from its pack entry's
// header, the header of its delta (a few bytes inflated) and its chain's base's type, or
// a loose object's header.
func (r *Reader) Info(oid OID) (Type, int64, error) {
	p, off := r.locate(&oid)
	if p == nil {
		return r.looseInfo(&oid)
	}
	e, err := p.entryAt(off)
	if err != nil {
		return 0, 0, err
	}
	if !e.typ.isDelta() {
		return e.typ, e.size, nil
	}
	var hdr [20]byte // two varints of at most 10 bytes
	n, err := r.z.inflatePrefix(p.data[e.data:len(p.data)-20], hdr[:min(int64(len(hdr)), e.size)])
	if err != nil {
		return 0, 0, fmt.Errorf("%w (%s offset %d)", err, p.name, off)
	}
	_, k := deltaVarint(hdr[:n])
	size, m := deltaVarint(hdr[k:n])
	if k == 0 || m == 0 {
		return 0, 0, fmt.Errorf("%w: bad delta header (%s offset %d)", ErrCorrupt, p.name, off)
	}
	// The type is the chain's base's.
	for depth := 0; e.typ.isDelta(); depth++ {
		if depth >= maxChain {
			return 0, 0, fmt.Errorf("%w: delta chain longer than %d at %s offset %d", ErrCorrupt, maxChain, p.name, off)
		}
		b, err := r.baseOf(p, e)
		if err != nil {
			return 0, 0, err
		}
		if e, err = b.p.entryAt(b.off); err != nil {
			return 0, 0, err
		}
		p = b.p
	}
	return e.typ, size, nil
}

// ReadBatch reads objects in order, calling fn for each with its index in oids and its
// type and data, or the error that stopped it being read (ErrNotFound: in no pack and
// not loose; ErrCorrupt; ErrTooLarge), which fn may handle; an error fn returns ends
// the batch and is returned. The data is valid only during the call and must not be
// modified.
//
// Knowing the whole batch, the Reader keeps the objects that later objects of the
// batch are deltas against, so each is inflated once.
func (r *Reader) ReadBatch(oids []OID, fn func(i int, t Type, data []byte, err error) error) error {
	r.locs = r.locs[:0]
	clear(r.want)
	for i := range oids {
		p, off := r.locate(&oids[i])
		r.locs = append(r.locs, loc{p, off})
		if p == nil {
			continue
		}
		e, err := p.entryAt(off)
		if err != nil {
			continue // reported when it is read
		}
		if e.typ.isDelta() {
			if b, err := r.baseOf(p, e); err == nil {
				r.want[b]++
			}
		}
	}
	for i, l := range r.locs {
		var err error
		var t Type
		var data []byte
		if l.p == nil {
			t, data, err = r.loose(&oids[i])
		} else {
			t, data, err = r.object(l.p, l.off, r.want[baseKey{l.p, l.off}] > 0)
		}
		if err := fn(i, t, data, err); err != nil {
			return err
		}
	}
	return nil
}

// baseOf locates the base of the delta entry e of pack p: in p at an offset, or by id
// in any pack.
func (r *Reader) baseOf(p *pack, e entry) (baseKey, error) {
	if e.typ == ofsDelta {
		return baseKey{p, e.base}, nil
	}
	bp, boff := r.locate(&e.ref)
	if bp == nil {
		return baseKey{}, fmt.Errorf("%w: delta base %x missing", ErrCorrupt, e.ref)
	}
	return baseKey{bp, boff}, nil
}

// locate is Store.locate trying the pack of the last hit first, as git does: a mirror
// fetched many times has many packs until git's maintenance merges them.
func (r *Reader) locate(oid *OID) (*pack, int64) {
	if r.last != nil {
		if off := r.last.find(oid); off >= 0 {
			return r.last, off
		}
	}
	p, off := r.s.locate(oid)
	if p != nil {
		r.last = p
	}
	return p, off
}

// object inflates the object at off, resolving its delta chain. keep puts the result in
// the base cache (a later object is a delta against it).
func (r *Reader) object(p *pack, off int64, keep bool) (Type, []byte, error) {
	k := baseKey{p, off}
	if c, ok := r.s.cache.get(k); ok {
		return c.t, c.b, nil
	}
	// Walk down the chain to a whole object or a cached base.
	r.chain = r.chain[:0]
	var base cached
	haveBase := false
	for {
		if len(r.chain) >= maxChain {
			return 0, nil, fmt.Errorf("%w: delta chain longer than %d at %s offset %d", ErrCorrupt, maxChain, p.name, off)
		}
		e, err := k.p.entryAt(k.off)
		if err != nil {
			return 0, nil, err
		}
		r.chain = append(r.chain, entryRef{k.p, e, k})
		if !e.typ.isDelta() {
			break // a whole object: the chain's root
		}
		next, err := r.baseOf(k.p, e)
		if err != nil {
			return 0, nil, err
		}
		if c, ok := r.s.cache.get(next); ok {
			base, haveBase = c, true
			break
		}
		k = next
	}
	n := len(r.chain)
	if !haveBase {
		// The last link is a whole object: the requested one, or the chain's root base.
		last := r.chain[n-1]
		n--
		if n == 0 {
			buf := r.buffer(keep, last.e.size)
			if err := r.inflate(last.p, last.e, buf); err != nil {
				return 0, nil, err
			}
			if keep {
				r.s.cache.put(last.k, cached{last.e.typ, buf})
			}
			return last.e.typ, buf, nil
		}
		buf := make([]byte, last.e.size)
		if err := r.inflate(last.p, last.e, buf); err != nil {
			return 0, nil, err
		}
		base = cached{last.e.typ, buf}
		r.s.cache.put(last.k, base)
	}
	// Apply the deltas from the base up; every result but the requested one is a base.
	for i := n - 1; i >= 0; i-- {
		link := r.chain[i]
		var delta []byte
		switch {
		case int64(cap(r.delta)) >= link.e.size:
			delta = r.delta[:link.e.size]
		case link.e.size > maxKeptOut:
			delta = make([]byte, link.e.size) // not kept: the reader would hold it until closed
		default:
			r.delta = make([]byte, link.e.size)
			delta = r.delta
		}
		if err := r.inflate(link.p, link.e, delta); err != nil {
			return 0, nil, err
		}
		target, err := deltaTargetSize(delta, len(base.b))
		if err != nil {
			return 0, nil, fmt.Errorf("%w (%s offset %d)", err, link.p.name, link.k.off)
		}
		top := i == 0
		var buf []byte
		if top {
			buf = r.buffer(keep, target)
		} else {
			buf = make([]byte, target)
		}
		if err := applyDelta(buf, base.b, delta); err != nil {
			return 0, nil, fmt.Errorf("%w (%s offset %d)", err, link.p.name, link.k.off)
		}
		base = cached{base.t, buf}
		if !top || keep {
			r.s.cache.put(link.k, base)
		}
	}
	return base.t, base.b, nil
}

// buffer returns room for an object of size n: a fresh slice when it is to be kept,
// else the Reader's reused one.
func (r *Reader) buffer(keep bool, n int64) []byte {
	if keep {
		return make([]byte, n)
	}
	if int64(cap(r.out)) < n {
		b := make([]byte, n)
		if n > maxKeptOut {
			return b
		}
		r.out = b
	}
	return r.out[:n]
}

func (r *Reader) inflate(p *pack, e entry, dst []byte) error {
	if err := r.z.inflate(p.data[e.data:len(p.data)-20], dst); err != nil {
		return fmt.Errorf("%w (%s offset %d)", err, p.name, e.data)
	}
	return nil
}

// deltaTargetSize reads a delta's header: the base's size, which must be baseLen, and
// the result's.
func deltaTargetSize(delta []byte, baseLen int) (int64, error) {
	src, n := deltaVarint(delta)
	if n == 0 || src != int64(baseLen) {
		return 0, fmt.Errorf("%w: delta does not fit its base", ErrCorrupt)
	}
	dst, m := deltaVarint(delta[n:])
	if m == 0 {
		return 0, fmt.Errorf("%w: bad delta header", ErrCorrupt)
	}
	if dst > MaxObjectSize {
		return 0, ErrTooLarge
	}
	return dst, nil
}

// deltaVarint reads a little-endian base-128 number, returning it and its length (0
// when malformed).
func deltaVarint(b []byte) (int64, int) {
	var v int64
	for i, shift := 0, 0; i < len(b) && shift <= 56; i, shift = i+1, shift+7 {
		v |= int64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// applyDelta writes into dst (sized to the delta's result) the result of the copy and
// insert instructions of delta against base.
func applyDelta(dst, base, delta []byte) error {
	_, n := deltaVarint(delta)
	_, m := deltaVarint(delta[n:])
	d := delta[n+m:]
	w := 0
	for len(d) > 0 {
		c := d[0]
		d = d[1:]
		if c&0x80 != 0 {
			// Copy from the base: offset and size bytes present per the flag bits.
			var off, size int
			for bit := 0; bit < 7; bit++ {
				if c&(1<<bit) == 0 {
					continue
				}
				if len(d) == 0 {
					return fmt.Errorf("%w: truncated delta copy", ErrCorrupt)
				}
				if bit < 4 {
					off |= int(d[0]) << (8 * bit)
				} else {
					size |= int(d[0]) << (8 * (bit - 4))
				}
				d = d[1:]
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > len(base) || w+size > len(dst) {
				return fmt.Errorf("%w: delta copy out of range", ErrCorrupt)
			}
			w += copy(dst[w:], base[off:off+size])
		} else if c != 0 {
			size := int(c)
			if size > len(d) || w+size > len(dst) {
				return fmt.Errorf("%w: delta insert out of range", ErrCorrupt)
			}
			w += copy(dst[w:], d[:size])
			d = d[size:]
		} else {
			return fmt.Errorf("%w: reserved delta opcode", ErrCorrupt)
		}
	}
	if w != len(dst) {
		return fmt.Errorf("%w: delta result is %d bytes, not %d", ErrCorrupt, w, len(dst))
	}
	return nil
}
