package notify

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits on what a notification shows, as the reference sets them.
const (
	MaxMatchLines   = 10   // lines of one match's content
	MaxMatchBytes   = 2500 // bytes of one match's content
	MaxShownResults = 5    // results (or issues) in an email or a Slack message
)

// TruncationMarker ends content that was cut, on a line of its own.
const TruncationMarker = "...\n"

// TruncateMatch cuts s to MaxMatchLines lines and MaxMatchBytes bytes (never inside a
// UTF-8 sequence) and appends TruncationMarker when it cut anything.
func TruncateMatch(s string) (out string, truncated bool) {
	cut := truncationPoint(s)
	if cut == len(s) {
		return s, false
	}
	out = s[:cut]
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out + TruncationMarker, true
}

// truncationPoint is the length of the prefix of s that TruncateMatch keeps.
func truncationPoint(s string) int {
	cut := len(s)
	lines := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '\n' {
			continue
		}
		lines++
		if lines == MaxMatchLines {
			cut = i + 1
			break
		}
	}
	if cut > MaxMatchBytes {
		cut = MaxMatchBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return cut
}

// truncateWithRanges cuts text like TruncateMatch and keeps the ranges that still point into
// the kept part, shortening those that cross the cut.
func truncateWithRanges(text string, ranges []Range) (string, []Range) {
	cut := truncationPoint(text)
	out, truncated := TruncateMatch(text)
	if !truncated {
		return out, ranges
	}
	var kept []Range
	for _, r := range ranges {
		if r.Start.Offset < 0 || r.Start.Offset >= cut || r.End.Offset <= r.Start.Offset {
			continue
		}
		if r.End.Offset > cut {
			r.End = locationAt(text, cut)
		}
		kept = append(kept, r)
	}
	return out, kept
}

// locationAt is the Location of byte offset off in text.
func locationAt(text string, off int) Location {
	lineStart := strings.LastIndexByte(text[:off], '\n') + 1
	return Location{Offset: off, Line: strings.Count(text[:off], "\n"), Column: off - lineStart}
}

// segment is a piece of shown content, matched or not, for highlighting.
type segment struct {
	Text  string
	Match bool
}

// segments splits text at the matched ranges. Ranges out of bounds, overlapping an earlier
// one or splitting a UTF-8 sequence are ignored: highlighting is a nicety, never an error.
func segments(text string, ranges []Range) []segment {
	rs := append([]Range(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Offset < rs[j].Start.Offset })
	var out []segment
	pos := 0
	for _, r := range rs {
		s, e := r.Start.Offset, r.End.Offset
		if s < pos || e <= s || e > len(text) {
			continue
		}
		if !boundary(text, s) || !boundary(text, e) {
			continue
		}
		if s > pos {
			out = append(out, segment{Text: text[pos:s]})
		}
		out = append(out, segment{Text: text[s:e], Match: true})
		pos = e
	}
	if pos < len(text) {
		out = append(out, segment{Text: text[pos:]})
	}
	return out
}

func boundary(s string, i int) bool {
	return i == len(s) || utf8.RuneStart(s[i])
}
