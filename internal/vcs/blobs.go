package vcs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/vcs/packfile"
)

// blobReads shows admins whether searches read objects in process (packs and loose
// objects) or fall back to git (packs written since, damaged data, alternates).
var blobReads = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "lookout_vcs_blob_reads_total",
	Help: "Objects read by searches, by source: in process (packfile), or git cat-file (git).",
}, []string{"source"})

// Collectors are the package's metrics, for a binary's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{gitDuration, blobReads}
}

var (
	packReads = blobReads.WithLabelValues("packfile")
	gitReads  = blobReads.WithLabelValues("git")
)

// BlobReader reads many objects of one mirror, for one goroutine at a time.
type BlobReader interface {
	// ReadBatch reads the named objects in order, as ObjectReader.ReadBatch does: data
	// is nil for missing objects, valid only during the call, and must not be modified.
	ReadBatch(names []string, fn func(info ObjectInfo, data []byte) error) error
	// InfoBatch is ReadBatch for types and sizes only.
	InfoBatch(names []string, fn func(info ObjectInfo) error) error
	// Close releases the reader.
	Close() error
}

// NewBlobReader returns the fastest reader of the mirror's objects: one reading the
// mirror's packs and loose objects in process (see package packfile) when this build
// inflates with the system's zlib, else an ObjectReader. The in-process reader asks git
// for whatever it does not find (objects in packs added since, damaged data), so both
// answer alike.
func (m *Mirror) NewBlobReader(ctx context.Context) (BlobReader, error) {
	if !packfile.Fast || m.c.opts.NoPackReader {
		return m.NewObjectReader(ctx)
	}
	st, err := m.c.packs.acquire(m.dir)
	if err != nil {
		// Unreadable packs are git's to report; searches still run, through git.
		m.c.logger.Warn("cannot read the mirror's packs in process", log.String("repo", m.name), log.Error(err))
		return m.NewObjectReader(ctx)
	}
	r, err := st.store.NewReader()
	if err != nil {
		m.c.packs.release(st)
		return m.NewObjectReader(ctx)
	}
	return &packBlobReader{m: m, ctx: ctx, st: st, r: r}, nil
}

// packBlobReader is a BlobReader over the mirror's packs, with git for the rest.
type packBlobReader struct {
	m      *Mirror
	ctx    context.Context
	st     *sharedPacks
	r      *packfile.Reader
	git    *ObjectReader // started at the first object the packs do not answer
	oids   []packfile.OID
	closed bool
}

// inProcessID parses an object id as git prints them; other names ("HEAD:README.md",
// short, upper-case or SHA-256 ids) are git's to resolve.
func inProcessID(name string) (packfile.OID, bool) {
	oid, ok := packfile.ParseOID(name)
	return oid, ok && strings.ToLower(name) == name
}

func (p *packBlobReader) ReadBatch(names []string, fn func(info ObjectInfo, data []byte) error) error {
	if p.closed {
		return errors.New("blob reader is closed")
	}
	if err := p.ctx.Err(); err != nil {
		return err
	}
	p.oids = p.oids[:0]
	for _, n := range names {
		oid, ok := inProcessID(n)
		if !ok {
			gitReads.Add(float64(len(names)))
			return p.readThroughGit(names, fn)
		}
		p.oids = append(p.oids, oid)
	}
	fallbacks := 0
	defer func() {
		packReads.Add(float64(len(names) - fallbacks))
		gitReads.Add(float64(fallbacks))
	}()
	return p.r.ReadBatch(p.oids, func(i int, t packfile.Type, data []byte, err error) error {
		if i&63 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		if err != nil {
			fallbacks++
			// One object, with ReadBatch's conventions (a missing one is reported to fn).
			return p.readThroughGit(names[i:i+1], fn)
		}
		return fn(ObjectInfo{Name: names[i], OID: names[i], Type: t.String(), Size: int64(len(data))}, data)
	})
}

// InfoBatch reads types and sizes from pack entry and loose object headers, asking git
// for what those do not answer.
func (p *packBlobReader) InfoBatch(names []string, fn func(info ObjectInfo) error) error {
	if p.closed {
		return errors.New("blob reader is closed")
	}
	for i, n := range names {
		if i&63 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		if oid, ok := inProcessID(n); ok {
			if t, size, err := p.r.Info(oid); err == nil {
				if err := fn(ObjectInfo{Name: n, OID: n, Type: t.String(), Size: size}); err != nil {
					return err
				}
				continue
			}
		}
		r, err := p.gitReader()
		if err != nil {
			return err
		}
		if err := r.InfoBatch([]string{n}, fn); err != nil {
			return err
		}
	}
	return nil
}

func (p *packBlobReader) gitReader() (*ObjectReader, error) {
	if p.git == nil {
		r, err := p.m.NewObjectReader(p.ctx)
		if err != nil {
			return nil, err
		}
		p.git = r
	}
	return p.git, nil
}

func (p *packBlobReader) readThroughGit(names []string, fn func(ObjectInfo, []byte) error) error {
	r, err := p.gitReader()
	if err != nil {
		return err
	}
	return r.ReadBatch(names, fn)
}

func (p *packBlobReader) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var err error
	if p.git != nil {
		err = p.git.Close()
	}
	p.m.c.packs.release(p.st)
	return err
}

// packStores shares the mapped packs of a mirror between the readers using them at
// once (the readers of one search, and concurrent searches), so that they share one
// delta base cache and map the packs once. A mirror's entry is replaced when its pack
// directory changes, and unmapped when its last reader closes.
type packStores struct {
	mu sync.Mutex
	m  map[string]*sharedPacks
}

type sharedPacks struct {
	dir   string
	store *packfile.Store
	stamp time.Time // the pack directory's modification time when mapped
	refs  int
}

func (s *packStores) acquire(dir string) (*sharedPacks, error) {
	var stamp time.Time // no pack directory (nothing packed yet): loose objects only
	fi, err := os.Stat(filepath.Join(dir, "objects", "pack"))
	switch {
	case err == nil:
		stamp = fi.ModTime()
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp := s.m[dir]; sp != nil {
		if sp.stamp.Equal(stamp) {
			sp.refs++
			return sp, nil
		}
		delete(s.m, dir) // unmapped when its last reader closes
	}
	st, err := packfile.Open(filepath.Join(dir, "objects"))
	if err != nil {
		return nil, fmt.Errorf("mapping packs of %s: %w", dir, err)
	}
	sp := &sharedPacks{dir: dir, store: st, stamp: stamp, refs: 1}
	if s.m == nil {
		s.m = map[string]*sharedPacks{}
	}
	s.m[dir] = sp
	return sp, nil
}

func (s *packStores) release(sp *sharedPacks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp.refs--
	if sp.refs > 0 {
		return
	}
	if s.m[sp.dir] == sp {
		delete(s.m, sp.dir)
	}
	_ = sp.store.Close()
}
