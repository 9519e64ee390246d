package vcs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListTreeAndObjects(t *testing.T) {
	t.Parallel()
	h, m := clonedHistory(t)
	ctx := testContext(t)

	entries, err := m.ListTree(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	byPath := map[string]TreeEntry{}
	for _, e := range entries {
		paths = append(paths, e.Path)
		byPath[e.Path] = e
	}
	if diff := cmp.Diff([]string{"README.md", "docs/guide.md", "src/a.go", "src/b.go"}, paths); diff != "" {
		t.Errorf("tree paths (-want +got):\n%s", diff)
	}
	readme := byPath["README.md"]
	if readme.Mode != ModeFile || readme.Type != "blob" || readme.Size != int64(len("# Project\n\nNow with B.\n")) ||
		readme.OID != gitT(t, h.w.dir, nil, "rev-parse", "v1:README.md") {
		t.Errorf("README entry = %+v", readme)
	}
	sub, err := m.ListTree(ctx, h.c3, "src")
	if err != nil || len(sub) != 2 {
		t.Errorf("ListTree(src) = %+v, %v", sub, err)
	}
	if _, err := m.ListTree(ctx, "nope"); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("ListTree(nope) = %v, want not found", err)
	}

	r, err := m.NewObjectReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info, data, err := r.Read(readme.OID)
	if err != nil || string(data) != "# Project\n\nNow with B.\n" || info.Type != "blob" || info.Size != readme.Size {
		t.Errorf("Read = %+v %q %v", info, data, err)
	}
	if _, _, err := r.Read("0123456789012345678901234567890123456789"); !errors.Is(err, ErrObjectNotFound) {
		t.Errorf("Read(missing) = %v, want ErrObjectNotFound", err)
	}
	// The reader stays usable after a missing object.
	if info, err := r.Info("main:src/a.go"); err != nil || info.Type != "blob" || info.Size != int64(len("package src\n\nfunc A() int {\n\treturn 2\n}\n")) {
		t.Errorf("Info = %+v, %v", info, err)
	}

	var names []string
	want := map[string]string{}
	for _, e := range entries {
		names = append(names, e.OID)
		want[e.OID] = gitT(t, h.w.dir, nil, "cat-file", "blob", e.OID)
	}
	names = append(names, "0000000000000000000000000000000000000001")
	var got []string
	err = r.ReadBatch(names, func(info ObjectInfo, data []byte) error {
		if info.Missing {
			got = append(got, "missing:"+info.Name)
			return nil
		}
		if strings.TrimSpace(string(data)) != want[info.OID] {
			t.Errorf("ReadBatch %s = %q, want %q", info.OID, data, want[info.OID])
		}
		got = append(got, info.OID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append(names[:len(names)-1:len(names)-1], "missing:0000000000000000000000000000000000000001"), got); diff != "" {
		t.Errorf("ReadBatch order (-want +got):\n%s", diff)
	}

	// A callback error stops the batch but leaves the reader in sync.
	stop := errors.New("stop")
	calls := 0
	if err := r.ReadBatch(names, func(ObjectInfo, []byte) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ReadBatch with failing callback = %v after %d calls", err, calls)
	}
	var sizes []int64
	if err := r.InfoBatch(names[:2], func(info ObjectInfo) error { sizes = append(sizes, info.Size); return nil }); err != nil {
		t.Fatal(err)
	}
	if sizes[0] != entries[0].Size || sizes[1] != entries[1].Size {
		t.Errorf("InfoBatch sizes = %v", sizes)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, _, err := r.Read(readme.OID); err == nil {
		t.Error("Read after Close succeeded")
	}
}

func TestObjectReaderContextCancel(t *testing.T) {
	t.Parallel()
	_, m := clonedHistory(t)
	ctx, cancel := context.WithCancel(testContext(t))
	r, err := m.NewObjectReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, _, err := r.Read("HEAD"); err == nil {
		t.Error("Read after cancel succeeded")
	}
	_ = r.Close()
}

func TestDiffTree(t *testing.T) {
	t.Parallel()
	h, m := clonedHistory(t)
	ctx := testContext(t)
	changes, err := m.DiffTree(ctx, h.c2, h.c3)
	if err != nil {
		t.Fatal(err)
	}
	blob := func(rev string) string { return gitT(t, h.w.dir, nil, "rev-parse", rev) }
	want := []TreeChange{
		{Path: "README.md", Status: FileModified, OldMode: ModeFile, NewMode: ModeFile, OldOID: blob(h.c2 + ":README.md"), NewOID: blob(h.c3 + ":README.md")},
		{Path: "src/b.go", Status: FileAdded, NewMode: ModeFile, NewOID: blob(h.c3 + ":src/b.go")},
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("DiffTree (-want +got):\n%s", diff)
	}
	root, err := m.DiffTree(ctx, "", h.c1)
	if err != nil || len(root) != 2 || root[0].Status != FileAdded {
		t.Errorf("DiffTree from empty = %+v, %v", root, err)
	}
}

// BenchmarkSearchPrimitives lists a 2,000-file tree and reads every blob
// through one long-lived object reader, as content search does.
func BenchmarkSearchPrimitives(b *testing.B) {
	w := newWorkRepo(b)
	files := map[string]string{}
	for i := 0; i < 2000; i++ {
		files[fmt.Sprintf("dir%d/file%d.go", i%20, i)] = strings.Repeat(fmt.Sprintf("line %d\n", i), 50)
	}
	w.commit(baseTime, "Bench", "many files", files)
	c := newTestCache(b, "")
	ctx := context.Background()
	m, err := c.EnsureCloned(ctx, w.repo("example.com/bench"))
	if err != nil {
		b.Fatal(err)
	}
	entries, err := m.ListTree(ctx, "HEAD")
	if err != nil {
		b.Fatal(err)
	}
	oids := make([]string, len(entries))
	for j, e := range entries {
		oids[j] = e.OID
	}

	b.Run("ListTree", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := m.ListTree(ctx, "HEAD"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadBatch", func(b *testing.B) {
		r, err := m.NewObjectReader(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var total int64
			if err := r.ReadBatch(oids, func(_ ObjectInfo, data []byte) error { total += int64(len(data)); return nil }); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(total)
		}
	})
	b.Run("Read", func(b *testing.B) {
		r, err := m.NewObjectReader(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, oid := range oids {
				if _, _, err := r.Read(oid); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
