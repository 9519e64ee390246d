package packfile

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/gittest"
)

// object is an object as git reads it.
type object struct {
	oid  string
	typ  string
	data []byte
}

// gitObjects reads every object of the repository through git cat-file: the answers
// the package must give.
func gitObjects(t *testing.T, dir string) []object {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch")
	cmd.Dir = dir
	cmd.Env = gittest.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git cat-file: %v", err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	var objs []object
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(line)
		size, _ := strconv.Atoi(f[2])
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, object{oid: f[0], typ: f[1], data: data[:size]})
	}
}

// deltaRepo makes a repository whose files change a little at each commit, so that its
// packs hold deltas (chains of them), and packs it.
func deltaRepo(t *testing.T, commits int) *gittest.Repo {
	t.Helper()
	r := gittest.NewRepo(t)
	rng := rand.New(rand.NewSource(1))
	lines := map[string][]string{}
	for c := 0; c < commits; c++ {
		files := map[string]string{}
		for f := 0; f < 8; f++ {
			name := fmt.Sprintf("dir%d/file%d.go", f%3, f)
			ls := lines[name]
			for k := 0; k < 20; k++ {
				pos := 0
				if len(ls) > 0 {
					pos = rng.Intn(len(ls) + 1)
				}
				ls = append(ls[:pos], append([]string{fmt.Sprintf("line %d of %s at commit %d: %x", k, name, c, rng.Int63())}, ls[pos:]...)...)
			}
			lines[name] = ls
			files[name] = strings.Join(ls, "\n") + "\n"
		}
		if c == 0 {
			files["empty-ish.txt"] = "\n"
			files["big.bin"] = strings.Repeat("0123456789abcdef\x00", 70000) // over one 64 KiB delta copy
		}
		r.Commit(time.Date(2024, 1, 1, 0, 0, c, 0, time.UTC), "", fmt.Sprintf("commit %d", c), files)
	}
	r.Git("-c", "pack.depth=20", "repack", "-a", "-d", "-f", "-q")
	return r
}

func objectsDir(r *gittest.Repo) string { return filepath.Join(r.Dir, ".git", "objects") }

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustOID(t *testing.T, s string) OID {
	t.Helper()
	o, ok := ParseOID(s)
	if !ok {
		t.Fatalf("bad oid %q", s)
	}
	return o
}

// entryTypes counts the pack entries of each type in the store.
func entryTypes(t *testing.T, s *Store) map[Type]int {
	t.Helper()
	counts := map[Type]int{}
	for _, p := range s.packs {
		for i := 0; i < p.n; i++ {
			var o OID
			copy(o[:], p.names[i*20:])
			e, err := p.entryAt(p.find(&o))
			if err != nil {
				t.Fatal(err)
			}
			counts[e.typ]++
		}
	}
	return counts
}

// checkAll reads every object one by one and in one batch, comparing with git.
func checkAll(t *testing.T, s *Store, want []object) {
	t.Helper()
	r, err := s.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range want {
		typ, data, err := r.Read(mustOID(t, o.oid))
		if err != nil {
			t.Fatalf("Read(%s): %v", o.oid, err)
		}
		if typ.String() != o.typ || !bytes.Equal(data, o.data) {
			t.Fatalf("Read(%s) = %s, %d bytes; git: %s, %d bytes", o.oid, typ, len(data), o.typ, len(o.data))
		}
		typ, size, err := r.Info(mustOID(t, o.oid))
		if err != nil || typ.String() != o.typ || size != int64(len(o.data)) {
			t.Fatalf("Info(%s) = %s, %d, %v; git: %s, %d bytes", o.oid, typ, size, err, o.typ, len(o.data))
		}
	}
	// A fresh store (empty base cache), the objects in reverse: bases are met after
	// the deltas against them as well as before.
	s2 := openStore(t, s.dir)
	r2, err := s2.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	oids := make([]OID, len(want))
	for i := range want {
		oids[len(want)-1-i] = mustOID(t, want[i].oid)
	}
	n := 0
	err = r2.ReadBatch(oids, func(i int, typ Type, data []byte, err error) error {
		o := want[len(want)-1-i]
		if err != nil {
			return fmt.Errorf("%s: %w", o.oid, err)
		}
		if typ.String() != o.typ || !bytes.Equal(data, o.data) {
			return fmt.Errorf("%s = %s, %d bytes; git: %s, %d bytes", o.oid, typ, len(data), o.typ, len(o.data))
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("ReadBatch called back %d times for %d objects", n, len(want))
	}
}

func TestReadsWhatGitReads(t *testing.T) {
	t.Parallel()
	r := deltaRepo(t, 40)
	s := openStore(t, objectsDir(r))
	types := entryTypes(t, s)
	if types[ofsDelta] == 0 || types[Blob] == 0 || types[Commit] == 0 || types[Tree] == 0 {
		t.Fatalf("the test pack lacks kinds of entries: %v", types)
	}
	checkAll(t, s, gitObjects(t, r.Dir))
}

func TestReferenceDeltas(t *testing.T) {
	t.Parallel()
	r := deltaRepo(t, 20)
	// Without offset deltas, git's packs name delta bases by id (as fetched packs from
	// servers that do not offer offset deltas do).
	r.Git("-c", "repack.useDeltaBaseOffset=false", "repack", "-a", "-d", "-f", "-q")
	s := openStore(t, objectsDir(r))
	types := entryTypes(t, s)
	if types[refDelta] == 0 || types[ofsDelta] != 0 {
		t.Fatalf("want reference deltas only: %v", types)
	}
	checkAll(t, s, gitObjects(t, r.Dir))
}

func TestSeveralPacksAndLooseObjects(t *testing.T) {
	t.Parallel()
	r := deltaRepo(t, 10)
	r.Commit(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), "", "more", map[string]string{"dir0/file0.go": "changed\n", "new.txt": "new\n"})
	r.Git("repack", "-d", "-q") // a second pack with the new objects only
	// Loose objects of every type, as a small fetch leaves them: a commit (with its
	// trees and blobs) after the last repack, an empty blob, one of exactly the header
	// buffer's size.
	r.Commit(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "", "loose", map[string]string{"loose.txt": strings.Repeat("loose\n", 1000)})
	empty := r.Git("hash-object", "-w", "--stdin")
	// "blob 24\0" and 24 bytes: the header buffer holds the whole object, stream end not.
	if err := os.WriteFile(filepath.Join(r.Dir, ".git", "x24"), []byte(strings.Repeat("x", 24)), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Git("hash-object", "-w", ".git/x24")
	s := openStore(t, objectsDir(r))
	if len(s.packs) != 2 {
		t.Fatalf("%d packs, want 2", len(s.packs))
	}
	looseFiles, _ := filepath.Glob(filepath.Join(objectsDir(r), "??", "*"))
	if len(looseFiles) < 5 {
		t.Fatalf("%d loose objects, want a commit, trees and blobs", len(looseFiles))
	}
	all := gitObjects(t, r.Dir)
	checkAll(t, s, all)
	rd, _ := s.NewReader()
	if typ, data, err := rd.Read(mustOID(t, empty)); err != nil || typ != Blob || len(data) != 0 {
		t.Fatalf("empty loose blob: %v %q %v", typ, data, err)
	}
	// Neither packed nor loose: ErrNotFound in its place in a batch, the rest still read.
	var errs []error
	err := rd.ReadBatch([]OID{mustOID(t, all[0].oid), {0xde, 0xad}, mustOID(t, all[1].oid)}, func(i int, _ Type, data []byte, err error) error {
		errs = append(errs, err)
		return nil
	})
	if err != nil || len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], ErrNotFound) || errs[2] != nil {
		t.Fatalf("batch with a missing object: %v, %v", err, errs)
	}
}

// TestDamagedLooseObjects: a loose object that is not zlib, has a bad header or a size
// its content does not have is ErrCorrupt.
func TestDamagedLooseObjects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(oid OID, content []byte) {
		t.Helper()
		name := fmt.Sprintf("%x", oid[:])
		p := filepath.Join(dir, name[:2], name[2:])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	deflate := func(s string) []byte {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	cases := map[string][]byte{
		"not zlib":     []byte("plain text, not a zlib stream"),
		"unknown type": deflate("thing 3\x00abc"),
		"no NUL":       deflate("blob 3abc"),
		"short":        deflate("blob 10\x00abc"),
		"long":         deflate("blob 1\x00abc"),
		"sign":         deflate("blob -1\x00"),
		"truncated":    deflate("blob 3\x00abc")[:8],
	}
	var oids []OID
	i := byte(0)
	for name, content := range cases {
		oid := OID{0xaa, i}
		i++
		write(oid, content)
		oids = append(oids, oid)
		_ = name
	}
	good := OID{0xbb}
	write(good, deflate("blob 3\x00abc"))
	s := openStore(t, dir)
	rd, _ := s.NewReader()
	for _, oid := range oids {
		if _, _, err := rd.Read(oid); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%x: %v, want ErrCorrupt", oid[:2], err)
		}
	}
	if typ, data, err := rd.Read(good); err != nil || typ != Blob || string(data) != "abc" {
		t.Errorf("good loose object: %v %q %v", typ, data, err)
	}
}

func TestEmptyObjectsDirectory(t *testing.T) {
	t.Parallel()
	s := openStore(t, t.TempDir())
	r, _ := s.NewReader()
	if _, _, err := r.Read(OID{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

// TestDamagedPacks flips bytes all over a pack: reading must report ErrCorrupt (or
// read what zlib's checksum and the size checks let through), never panic or hang.
func TestDamagedPacks(t *testing.T) {
	t.Parallel()
	r := deltaRepo(t, 12)
	objs := gitObjects(t, r.Dir)
	src := objectsDir(r)
	packs, _ := filepath.Glob(filepath.Join(src, "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs", len(packs))
	}
	orig, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	idx, err := os.ReadFile(strings.TrimSuffix(packs[0], ".pack") + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	corrupt := 0
	for round := 0; round < 40; round++ {
		dir := filepath.Join(t.TempDir(), "objects")
		if err := os.MkdirAll(filepath.Join(dir, "pack"), 0o755); err != nil {
			t.Fatal(err)
		}
		data := bytes.Clone(orig)
		for k := 0; k < 1+round%4; k++ {
			data[packHeader+rng.Intn(len(data)-packHeader-20)] ^= byte(1 + rng.Intn(255))
		}
		base := filepath.Join(dir, "pack", "pack-x")
		if err := os.WriteFile(base+".pack", data, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+".idx", idx, 0o444); err != nil {
			t.Fatal(err)
		}
		s := openStore(t, dir)
		rd, _ := s.NewReader()
		oids := make([]OID, len(objs))
		for i, o := range objs {
			oids[i] = mustOID(t, o.oid)
		}
		err := rd.ReadBatch(oids, func(i int, _ Type, _ []byte, err error) error {
			if err != nil {
				corrupt++
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
					return fmt.Errorf("%s: unexpected error %w", objs[i].oid, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if corrupt == 0 {
		t.Fatal("no damage was detected in 40 damaged packs")
	}
}

func TestDamagedIndexIsRefused(t *testing.T) {
	t.Parallel()
	r := deltaRepo(t, 2)
	idxs, _ := filepath.Glob(filepath.Join(objectsDir(r), "pack", "*.idx"))
	idx, _ := os.ReadFile(idxs[0])
	dir := filepath.Join(t.TempDir(), "objects")
	_ = os.MkdirAll(filepath.Join(dir, "pack"), 0o755)
	pack, _ := os.ReadFile(strings.TrimSuffix(idxs[0], ".idx") + ".pack")
	_ = os.WriteFile(filepath.Join(dir, "pack", "pack-x.pack"), pack, 0o444)
	for name, bad := range map[string][]byte{
		"truncated":     idx[:len(idx)-9],
		"version 1":     append([]byte{0, 0, 0, 1}, idx[4:]...),
		"wrong version": append(append([]byte{}, idx[:4]...), append([]byte{0, 0, 0, 3}, idx[8:]...)...),
	} {
		_ = os.WriteFile(filepath.Join(dir, "pack", "pack-x.idx"), bad, 0o644)
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s index: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestLargeOffsets builds an index whose object lies past 2 GiB, which git records in
// the 8-byte offset table.
func TestLargeOffsets(t *testing.T) {
	t.Parallel()
	const n = 2
	ids := []OID{{0x10, 1}, {0xa0, 2}}
	var idx bytes.Buffer
	idx.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	for b := 0; b < 256; b++ {
		c := 0
		for _, id := range ids {
			if int(id[0]) <= b {
				c++
			}
		}
		_ = binary.Write(&idx, binary.BigEndian, uint32(c))
	}
	for _, id := range ids {
		idx.Write(id[:])
	}
	idx.Write(make([]byte, 4*n)) // CRCs
	_ = binary.Write(&idx, binary.BigEndian, uint32(1234))
	_ = binary.Write(&idx, binary.BigEndian, uint32(0x80000000))
	_ = binary.Write(&idx, binary.BigEndian, uint64(5<<30))
	idx.Write(make([]byte, idxTrailer))
	p := &pack{idx: idx.Bytes(), data: append([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x02"), make([]byte, 20)...)}
	if err := p.parseIndex(); err != nil {
		t.Fatal(err)
	}
	if got := p.find(&ids[0]); got != 1234 {
		t.Errorf("small offset: %d", got)
	}
	if got := p.find(&ids[1]); got != 5<<30 {
		t.Errorf("large offset: %d, want %d", got, int64(5<<30))
	}
	if got := p.find(&OID{0xa0, 3}); got != -1 {
		t.Errorf("absent id: %d", got)
	}
}

func TestApplyDelta(t *testing.T) {
	base := bytes.Repeat([]byte("abcdefgh"), 0x3000) // 96 KiB: a copy of size 0 means 64 KiB
	enc := func(v int) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v == 0 {
				return append(b, c)
			}
			b = append(b, c|0x80)
		}
	}
	want := append(append([]byte("hi"), base[8:8+0x10000]...), base[:3]...)
	d := append(enc(len(base)), enc(len(want))...)
	d = append(d, 2, 'h', 'i')  // insert "hi"
	d = append(d, 0x80|0x01, 8) // copy from offset 8, size 0 → 0x10000
	d = append(d, 0x80|0x10, 3) // copy from offset 0, 3 bytes
	size, err := deltaTargetSize(d, len(base))
	if err != nil || size != int64(len(want)) {
		t.Fatalf("target size %d, %v", size, err)
	}
	got := make([]byte, size)
	if err := applyDelta(got, base, d); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("applyDelta: %v", err)
	}
	for name, bad := range map[string][]byte{
		"copy past base": append(append(enc(len(base)), enc(4)...), 0x80|0x01|0x10, 0xff, 0xff),
		"reserved op":    append(append(enc(len(base)), enc(1)...), 0),
		"short result":   append(append(enc(len(base)), enc(5)...), 1, 'x'),
		"long result":    append(append(enc(len(base)), enc(1)...), 2, 'x', 'y'),
		"truncated copy": append(append(enc(len(base)), enc(1)...), 0x80|0x01),
	} {
		size, err := deltaTargetSize(bad, len(base))
		if err == nil {
			err = applyDelta(make([]byte, size), base, bad)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := deltaTargetSize(append(enc(3), enc(1)...), len(base)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("base size mismatch: %v", err)
	}
}

// FuzzApplyDelta: no delta, however malformed, makes applyDelta panic or write past its
// result.
func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("abcdef"), []byte{6, 4, 0x91, 1, 4})
	f.Add([]byte("x"), []byte{1, 2, 2, 'a', 'b'})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		size, err := deltaTargetSize(delta, len(base))
		if err != nil || size > 1<<20 {
			return
		}
		_ = applyDelta(make([]byte, size), base, delta)
	})
}

// TestBaseCacheBounds: the cache keeps at most its budget, oldest out first, refuses a
// base that would take over a quarter of it, and forgets a closed Store's packs.
func TestBaseCacheBounds(t *testing.T) {
	c := newBaseCache(100)
	p1, p2 := &pack{name: "1"}, &pack{name: "2"}
	for i := 0; i < 10; i++ {
		c.put(baseKey{p1, int64(i)}, cached{Blob, make([]byte, 20)})
	}
	if c.size > 100 || len(c.m) != 5 {
		t.Fatalf("size %d with %d entries, want 100 with 5", c.size, len(c.m))
	}
	if _, ok := c.get(baseKey{p1, 0}); ok {
		t.Error("the oldest entry was kept")
	}
	if _, ok := c.get(baseKey{p1, 9}); !ok {
		t.Error("the newest entry was evicted")
	}
	c.put(baseKey{p2, 1}, cached{Blob, make([]byte, 26)})
	if _, ok := c.get(baseKey{p2, 1}); ok {
		t.Error("an entry over a quarter of the budget was kept")
	}
	c.put(baseKey{p2, 2}, cached{Blob, make([]byte, 10)})
	c.drop([]*pack{p1})
	if c.size != 10 || len(c.m) != 1 || len(c.order) != 1 {
		t.Fatalf("after dropping a pack: size %d, %d entries, %d in order", c.size, len(c.m), len(c.order))
	}
}

// TestConcurrentReaders: Readers of one Store on several goroutines share its base
// cache (run with -race).
func TestConcurrentReaders(t *testing.T) {
	t.Parallel()
	r := deltaRepo(t, 15)
	want := gitObjects(t, r.Dir)
	s := openStore(t, objectsDir(r))
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			rd, err := s.NewReader()
			if err != nil {
				errs <- err
				return
			}
			order := rand.New(rand.NewSource(int64(g))).Perm(len(want))
			oids := make([]OID, len(order))
			for i, k := range order {
				oids[i], _ = ParseOID(want[k].oid)
			}
			errs <- rd.ReadBatch(oids, func(i int, typ Type, data []byte, err error) error {
				o := want[order[i]]
				if err != nil || typ.String() != o.typ || !bytes.Equal(data, o.data) {
					return fmt.Errorf("%s: %s, %d bytes, %v", o.oid, typ, len(data), err)
				}
				return nil
			})
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
