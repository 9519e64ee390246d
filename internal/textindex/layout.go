package textindex

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// What Lookout writes into a shard beyond zoekt's own documents. The index must let a
// search find exactly the files the unindexed path finds, so every file of the tree that
// zoekt would not hold as text is still a document: its content replaced (zoekt's
// SkipReason) by a line that says what the unindexed path needs to know about it.

// layout names this file's conventions; it is part of ShardVersion, so shards written
// under other conventions never count as current.
const layout = "lookout2"

// ShardVersion is the version a shard records for its one branch (HEAD): the layout and
// the size limit it was built with, and the commit. A searcher compares it with the
// version it wants, so a shard of an older commit, an older layout or another size limit
// is never used.
func ShardVersion(commit string, maxFileSize int64) string {
	return fmt.Sprintf("%s-%d:%s", layout, maxFileSize, commit)
}

// CommitOf returns the commit of a ShardVersion ("" for a version of another layout).
func CommitOf(version string) string {
	if !strings.HasPrefix(version, layout+"-") {
		return ""
	}
	_, commit, _ := strings.Cut(version, ":")
	return commit
}

// LanguageSkipped is what zoekt calls a document whose content it replaced by its
// SkipReason: in a shard Lookout wrote, always a Remainder.
const LanguageSkipped = "skipped"

// FoldHazard reports whether text holds a rune that Go's case folding matches with an
// ASCII letter (a Kelvin sign with k, a long s with s) but zoekt's case-insensitive
// search does not: such files are remainders whose content the search always reads.
func FoldHazard(text []byte) bool {
	return bytes.Contains(text, []byte("\u212a")) || bytes.Contains(text, []byte("\u017f"))
}

// Remainder kinds.
const (
	// RemainderLarge is a file larger than the size limit: never read by a search.
	RemainderLarge = 'l'
	// RemainderBinary is a file with a NUL byte in its first 8000 bytes (git's test):
	// read by a search only to find that out.
	RemainderBinary = 'b'
	// RemainderStored is text the search must read but zoekt would not find (shorter than
	// 3 bytes, a NUL byte after the first 8000, a fold hazard): its content travels in
	// the reason.
	RemainderStored = 'c'
)

// Remainder is a file whose content the shard does not hold as indexed text.
type Remainder struct {
	Kind byte
	Size int64
	OID  string
	// Content is the file's content (RemainderStored only).
	Content []byte
}

// notIndexedPrefix is what zoekt puts before a SkipReason in a skipped document's
// content.
const notIndexedPrefix = "NOT-INDEXED: "

// RemainderText is what every remainder's content starts with: a search finds them all
// with this substring (zoekt indexes a skipped document's text like any other). A real
// file holding it is found too, and read as the text it is.
const RemainderText = notIndexedPrefix + layout + " "

// reason encodes r as a SkipReason.
func (r Remainder) reason() string {
	s := fmt.Sprintf("%s %c %d %s", layout, r.Kind, r.Size, r.OID)
	if r.Kind == RemainderStored {
		s += " " + base64.StdEncoding.EncodeToString(r.Content)
	}
	return s
}

// ParseRemainder decodes the content zoekt returns for a skipped document; false when it
// is not one Lookout wrote.
func ParseRemainder(content []byte) (Remainder, bool) {
	rest, ok := bytes.CutPrefix(content, []byte(RemainderText))
	if !ok {
		return Remainder{}, false
	}
	f := bytes.Fields(rest)
	if len(f) < 3 || len(f) > 4 || len(f[0]) != 1 {
		return Remainder{}, false
	}
	size, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return Remainder{}, false
	}
	r := Remainder{Kind: f[0][0], Size: size, OID: string(f[2])}
	switch {
	case r.Kind == RemainderStored && len(f) == 4:
		r.Content = make([]byte, base64.StdEncoding.DecodedLen(len(f[3])))
		n, err := base64.StdEncoding.Decode(r.Content, f[3])
		if err != nil || int64(n) != size {
			return Remainder{}, false
		}
		r.Content = r.Content[:n]
	case r.Kind == RemainderStored && len(f) == 3 && size == 0:
	case (r.Kind == RemainderLarge || r.Kind == RemainderBinary) && len(f) == 3:
	default:
		return Remainder{}, false
	}
	return r, true
}
