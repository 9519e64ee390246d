package packfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Loose objects are the ones git writes one file each (objects/xx/yyyy…): what a small
// fetch brings (git unpacks fetches of fewer than 100 objects) until git's maintenance
// packs them. Each file is a zlib stream of "TYPE SIZE\0" and the content.

// looseHeaderMax is more than the longest header ("commit " and a 19-digit size).
const looseHeaderMax = 32

// looseFile reads the file of the loose object oid, or returns ErrNotFound.
func (r *Reader) looseFile(oid *OID) ([]byte, error) {
	const hex = "0123456789abcdef"
	var name [41]byte
	for i, b := range oid {
		name[2*i+1], name[2*i+2] = hex[b>>4], hex[b&15]
	}
	name[0], name[1], name[2] = name[1], name[2], '/'
	src, err := os.ReadFile(filepath.Join(r.s.dir, string(name[:])))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return src, nil
}

// looseHeader reads the type, size and header length of a loose object's file.
func (r *Reader) looseHeader(oid *OID, src []byte) (Type, int64, int, error) {
	var hdr [looseHeaderMax]byte
	n, err := r.z.inflatePrefix(src, hdr[:])
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%w (loose object %x)", err, oid[:])
	}
	t, size, hlen, ok := parseLooseHeader(hdr[:n])
	if !ok {
		return 0, 0, 0, fmt.Errorf("%w: bad header of loose object %x", ErrCorrupt, oid[:])
	}
	if size > MaxObjectSize {
		return 0, 0, 0, ErrTooLarge
	}
	return t, size, hlen, nil
}

// looseInfo is Info for a loose object.
func (r *Reader) looseInfo(oid *OID) (Type, int64, error) {
	src, err := r.looseFile(oid)
	if err != nil {
		return 0, 0, err
	}
	t, size, _, err := r.looseHeader(oid, src)
	return t, size, err
}

// loose reads the loose object oid, or returns ErrNotFound.
func (r *Reader) loose(oid *OID) (Type, []byte, error) {
	src, err := r.looseFile(oid)
	if err != nil {
		return 0, nil, err
	}
	t, size, hlen, err := r.looseHeader(oid, src)
	if err != nil {
		return 0, nil, err
	}
	// Inflated again from the start, header and all, into one buffer of the exact size:
	// zlib then checks that the stream ends there.
	buf := r.buffer(false, int64(hlen)+size)
	if err := r.z.inflate(src, buf); err != nil {
		return 0, nil, fmt.Errorf("%w (loose object %x)", err, oid[:])
	}
	return t, buf[hlen:], nil
}

// parseLooseHeader reads "TYPE SIZE\0" at the start of b.
func parseLooseHeader(b []byte) (Type, int64, int, bool) {
	end := bytes.IndexByte(b, 0)
	sp := bytes.IndexByte(b, ' ')
	if end < 0 || sp < 0 || sp > end {
		return 0, 0, 0, false
	}
	var t Type
	switch string(b[:sp]) {
	case "blob":
		t = Blob
	case "tree":
		t = Tree
	case "commit":
		t = Commit
	case "tag":
		t = Tag
	default:
		return 0, 0, 0, false
	}
	digits := b[sp+1 : end]
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return 0, 0, 0, false
	}
	size, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || size < 0 {
		return 0, 0, 0, false
	}
	return t, size, end + 1, true
}
