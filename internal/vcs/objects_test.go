package vcs

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestReadBatchAroundBufferSize reads objects on both sides of the read buffer's size:
// smaller ones are handed over in place, larger ones copied; both must arrive whole, in
// order, with nothing of the next object within reach of the slice.
func TestReadBatchAroundBufferSize(t *testing.T) {
	t.Parallel()
	w := newWorkRepo(t)
	sizes := []int{0, 1, 4095, readBufferSize - 2, readBufferSize - 1, readBufferSize, readBufferSize + 1, 3*readBufferSize + 7}
	files := map[string]string{}
	for i, n := range sizes {
		// Distinct contents, newline-free runs so that a shifted read shows.
		unit := fmt.Sprintf("%d-abcdefghijklmnopqrstuvwxyz.", i)
		files[fmt.Sprintf("f%d.txt", i)] = strings.Repeat(unit, n/len(unit)+1)[:n]
	}
	files["f0.txt"] = "x" // an empty file would be deleted by the helper; one byte instead
	sizes[0] = 1
	w.commit(baseTime, "Alice", "sizes", files)
	c := newTestCache(t, "")
	ctx := testContext(t)
	m, err := c.EnsureCloned(ctx, w.repo("example.com/sizes"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	want := map[string]string{}
	for i := range sizes {
		oid := gitT(t, w.dir, nil, "rev-parse", fmt.Sprintf("HEAD:f%d.txt", i))
		names = append(names, oid)
		want[oid] = files[fmt.Sprintf("f%d.txt", i)]
	}
	// A missing object in the middle, and the largest object twice.
	names = append(names[:3], append([]string{"0123456789012345678901234567890123456789"}, names[3:]...)...)
	names = append(names, names[len(names)-1])

	r, err := m.NewObjectReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for round := 0; round < 2; round++ { // the reader is reused
		i := 0
		err = r.ReadBatch(names, func(info ObjectInfo, data []byte) error {
			name := names[i]
			i++
			if name == names[3] {
				if !info.Missing || data != nil {
					t.Errorf("missing object: %+v, %d bytes", info, len(data))
				}
				return nil
			}
			if info.OID != name || int(info.Size) != len(want[name]) {
				t.Errorf("object %d: info %+v, want %s of %d bytes", i-1, info, name, len(want[name]))
			}
			if string(data) != want[name] {
				t.Errorf("object %d (%d bytes): content differs", i-1, len(want[name]))
			}
			if cap(data) != len(data) {
				t.Errorf("object %d: cap %d > len %d: the next object is within reach", i-1, cap(data), len(data))
			}
			return nil
		})
		if err != nil || i != len(names) {
			t.Fatalf("ReadBatch: %v after %d of %d objects", err, i, len(names))
		}
	}
	// Single reads go through the same stream.
	for _, name := range names[4:6] {
		_, data, err := r.Read(name)
		if err != nil || !bytes.Equal(data, []byte(want[name])) {
			t.Errorf("Read %s: %d bytes, %v", name, len(data), err)
		}
	}
}

// TestObjectReaderPipeSize checks that git's stdout pipe was enlarged where Linux lets
// an unprivileged process do so.
func TestObjectReaderPipeSize(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("F_SETPIPE_SZ is Linux's")
	}
	limit, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
	if err != nil {
		t.Skip(err)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(string(limit))); err != nil || n < pipeSize {
		t.Skipf("pipe-max-size %s", limit)
	}
	_, m := clonedHistory(t)
	r, err := m.NewObjectReader(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	raw, err := r.stdout.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size uintptr
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		const fGetPipeSz = 1032 // F_GETPIPE_SZ
		size, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, fGetPipeSz, 0)
	}); err != nil || errno != 0 {
		t.Fatal(err, errno)
	}
	if size < pipeSize {
		t.Errorf("pipe size %d, want %d", size, pipeSize)
	}
}
