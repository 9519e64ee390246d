package vcs

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Git file modes as they appear in trees.
const (
	ModeFile       uint32 = 0o100644
	ModeExecutable uint32 = 0o100755
	ModeSymlink    uint32 = 0o120000
	ModeSubmodule  uint32 = 0o160000
	ModeTree       uint32 = 0o040000
)

// TreeEntry is a file in a tree listing.
type TreeEntry struct {
	Path string
	Mode uint32
	Type string // "blob", "tree" or "commit" (a submodule)
	OID  string
	Size int64 // -1 for anything but blobs
}

// ListTree lists every blob and submodule below the tree of rev, recursively,
// with its mode, object id and size (git ls-tree -r -l). Paths, if any, limit
// the listing to those literal files or directories.
func (m *Mirror) ListTree(ctx context.Context, rev string, paths ...string) ([]TreeEntry, error) {
	if err := CheckRevision(rev); err != nil {
		return nil, err
	}
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return nil, err
		}
	}
	args := append([]string{"ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", rev}, paths...)
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: args})
	if err != nil {
		if isNotFound(err) {
			return nil, &RevisionNotFoundError{Repo: m.name, Rev: rev}
		}
		return nil, fmt.Errorf("listing tree of %s at %s: %w", m.name, rev, err)
	}
	entries, err := parseLsTree(out)
	if err != nil {
		return nil, fmt.Errorf("listing tree of %s at %s: %w", m.name, rev, err)
	}
	return entries, nil
}

// parseLsTree parses "<mode> SP <type> SP <oid> SP+ <size> TAB <path> NUL"
// records. The output is converted to one string that every Path and OID
// shares, so a listing of N files costs one allocation for its text.
func parseLsTree(out []byte) ([]TreeEntry, error) {
	s := string(out)
	entries := make([]TreeEntry, 0, bytes.Count(out, []byte{0}))
	for len(s) > 0 {
		end := strings.IndexByte(s, 0)
		if end < 0 {
			return nil, fmt.Errorf("unterminated ls-tree record")
		}
		rec := s[:end]
		s = s[end+1:]
		meta, path, ok := strings.Cut(rec, "\t")
		if !ok {
			return nil, fmt.Errorf("malformed ls-tree record %q", rec)
		}
		// "<mode> SP <type> SP <oid> SP+ <size>" (the size is padded with spaces).
		modeS, rest, ok1 := strings.Cut(meta, " ")
		typ, rest, ok2 := strings.Cut(rest, " ")
		oid, sizeS, ok3 := strings.Cut(rest, " ")
		sizeS = strings.TrimLeft(sizeS, " ")
		if !ok1 || !ok2 || !ok3 || sizeS == "" || typ == "" || oid == "" {
			return nil, fmt.Errorf("malformed ls-tree record %q", rec)
		}
		mode, err := strconv.ParseUint(modeS, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("malformed mode in ls-tree record %q", rec)
		}
		size := int64(-1)
		if sizeS != "-" {
			if size, err = strconv.ParseInt(sizeS, 10, 64); err != nil {
				return nil, fmt.Errorf("malformed size in ls-tree record %q", rec)
			}
		}
		entries = append(entries, TreeEntry{Path: path, Mode: uint32(mode), Type: typ, OID: oid, Size: size})
	}
	return entries, nil
}

// TreeChange is a file that differs between two trees.
type TreeChange struct {
	Path    string
	Status  FileStatus // FileAdded, FileDeleted or FileModified (including type changes)
	OldMode uint32
	NewMode uint32
	OldOID  string // empty when added
	NewOID  string // empty when deleted
}

// DiffTree lists the files whose blob (or mode) differs between the trees of
// two revisions, recursively and without rename detection (git diff-tree -r).
// An empty from compares against the empty tree. Memoized per-blob results can
// be carried from one revision to the next by replacing only these paths.
func (m *Mirror) DiffTree(ctx context.Context, from, to string) ([]TreeChange, error) {
	if err := CheckRevision(to); err != nil {
		return nil, err
	}
	if from == "" {
		// The empty tree's id depends on the hash function, which the id of
		// to's tree tells.
		out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"rev-parse", "--verify", "--end-of-options", to + "^{tree}"}})
		if err != nil {
			if isNotFound(err) {
				return nil, &RevisionNotFoundError{Repo: m.name, Rev: to}
			}
			return nil, fmt.Errorf("diffing trees of %s: %w", m.name, err)
		}
		from = emptyTreeSHA1
		if len(strings.TrimSpace(string(out))) == 64 {
			from = emptyTreeSHA256
		}
	} else if err := CheckRevision(from); err != nil {
		return nil, err
	}
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"diff-tree", "-r", "-z", "--no-renames", "--no-ext-diff", "--end-of-options", from, to}})
	if err != nil {
		if isNotFound(err) {
			return nil, &RevisionNotFoundError{Repo: m.name, Rev: from + " " + to}
		}
		return nil, fmt.Errorf("diffing trees of %s: %w", m.name, err)
	}
	changes, err := parseDiffTree(out)
	if err != nil {
		return nil, fmt.Errorf("diffing trees of %s: %w", m.name, err)
	}
	return changes, nil
}

const (
	emptyTreeSHA1   = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
	emptyTreeSHA256 = "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
)

// parseDiffTree parses ":<old mode> <new mode> <old oid> <new oid> <status> NUL <path> NUL" records.
func parseDiffTree(out []byte) ([]TreeChange, error) {
	s := string(out)
	var changes []TreeChange
	for len(s) > 0 {
		metaEnd := strings.IndexByte(s, 0)
		if metaEnd < 0 {
			return nil, fmt.Errorf("unterminated diff-tree record")
		}
		meta := s[:metaEnd]
		s = s[metaEnd+1:]
		pathEnd := strings.IndexByte(s, 0)
		if pathEnd < 0 {
			return nil, fmt.Errorf("diff-tree record without path")
		}
		path := s[:pathEnd]
		s = s[pathEnd+1:]
		f := strings.Fields(strings.TrimPrefix(meta, ":"))
		if len(f) != 5 || f[4] == "" {
			return nil, fmt.Errorf("malformed diff-tree record %q", meta)
		}
		c := TreeChange{Path: path, OldOID: f[2], NewOID: f[3]}
		c.OldMode, c.NewMode = parseMode(f[0]), parseMode(f[1])
		switch f[4][0] {
		case 'A':
			c.Status, c.OldOID = FileAdded, ""
		case 'D':
			c.Status, c.NewOID = FileDeleted, ""
		default:
			c.Status = FileModified
		}
		changes = append(changes, c)
	}
	return changes, nil
}
