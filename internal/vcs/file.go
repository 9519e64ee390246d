package vcs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
)

// File is a file of a commit's tree, read for display (the web app's file page, through
// the API's GitCommit.blob).
type File struct {
	OID  string
	Size int64
	// Binary is git's test: a NUL byte in the first 8000 bytes.
	Binary bool
	// Content is the whole file when it is at most the size the caller allowed; nil for
	// a larger file, of which only the first bytes were read (for Binary).
	Content []byte
}

// ErrNotAFile is returned by ReadFile when the path names nothing, a directory or a
// submodule in the commit's tree.
var ErrNotAFile = errors.New("no file at that path")

// binaryTestSize is how much of a file git reads to call it binary.
const binaryTestSize = 8000

// IsBinary is git's test for a binary file: a NUL byte in its first 8000 bytes.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binaryTestSize)], 0) >= 0
}

// ReadFile reads the file at path in the tree of commit (an object id or any revision),
// holding at most max bytes in memory: a larger file is sized and tested for binary
// content from its first 8000 bytes, and its content is not read.
func (m *Mirror) ReadFile(ctx context.Context, commit, path string, max int64) (*File, error) {
	if err := CheckRevision(commit); err != nil {
		return nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	o, err := m.NewObjectReader(ctx)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	info, err := o.Info(commit + ":" + path)
	var nf *ObjectNotFoundError
	if errors.As(err, &nf) {
		return nil, ErrNotAFile
	}
	if err != nil {
		return nil, err
	}
	if info.Type != "blob" {
		return nil, ErrNotAFile
	}
	f := &File{OID: info.OID, Size: info.Size}
	if info.Size <= max {
		if _, f.Content, err = o.Read(info.OID); err != nil {
			return nil, err
		}
		f.Binary = IsBinary(f.Content)
		return f, nil
	}
	// Too large to hold: git streams the blob and is stopped after the bytes the test
	// needs, so a 1 GB file costs 8 KB here.
	head := make([]byte, 0, binaryTestSize)
	err = m.c.stream(ctx, &gitCmd{gitDir: m.dir, args: []string{"cat-file", "blob", info.OID}}, func(r *bufio.Reader) error {
		n, err := io.ReadFull(r, head[:binaryTestSize])
		head = head[:n]
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return err
		}
		return errStopped
	})
	if err != nil && !errors.Is(err, errStopped) {
		return nil, err
	}
	f.Binary = IsBinary(head)
	return f, nil
}
