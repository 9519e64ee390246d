package notify

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func lines(n int, line string) string {
	return strings.Repeat(line+"\n", n)
}

func TestTruncateMatch(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		truncated      bool
	}{
		{"empty", "", "", false},
		{"short", "a\nb\n", "a\nb\n", false},
		{"ten lines", lines(10, "x"), lines(10, "x"), false},
		{"ten lines without final newline", strings.TrimSuffix(lines(10, "x"), "\n"), strings.TrimSuffix(lines(10, "x"), "\n"), false},
		{"eleven lines", lines(11, "x"), lines(10, "x") + TruncationMarker, true},
		{"eleven lines, last unterminated", lines(10, "x") + "y", lines(10, "x") + TruncationMarker, true},
		{"bytes", strings.Repeat("a", 3000), strings.Repeat("a", MaxMatchBytes) + "\n" + TruncationMarker, true},
		{"exactly the byte limit", strings.Repeat("a", MaxMatchBytes), strings.Repeat("a", MaxMatchBytes), false},
		{"long lines", lines(5, strings.Repeat("b", 999)), lines(2, strings.Repeat("b", 999)) + strings.Repeat("b", MaxMatchBytes-2000) + "\n" + TruncationMarker, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated := TruncateMatch(tc.in)
			if truncated != tc.truncated {
				t.Errorf("truncated = %v, want %v", truncated, tc.truncated)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestTruncateMatchUTF8(t *testing.T) {
	// 'é' is two bytes: an odd cut would split one.
	in := "a" + strings.Repeat("é", 2000)
	got, truncated := TruncateMatch(in)
	if !truncated {
		t.Fatal("not truncated")
	}
	body := strings.TrimSuffix(got, "\n"+TruncationMarker)
	if !utf8.ValidString(got) || len(body) > MaxMatchBytes || len(body) < MaxMatchBytes-1 {
		t.Errorf("cut at %d bytes, valid UTF-8 %v", len(body), utf8.ValidString(got))
	}
}

func TestTruncateWithRanges(t *testing.T) {
	text := lines(12, "0123456789")
	at := func(off int) Location { return locationAt(text, off) }
	ranges := []Range{
		{Start: at(2), End: at(5)},     // line 0: kept
		{Start: at(100), End: at(115)}, // line 9 into line 10: shortened to the cut
		{Start: at(112), End: at(114)}, // line 10: dropped
		{Start: at(7), End: at(3)},     // backwards: dropped
	}
	got, kept := truncateWithRanges(text, ranges)
	if want := lines(10, "0123456789") + TruncationMarker; got != want {
		t.Fatalf("text = %q", got)
	}
	want := []Range{
		{Start: Location{Offset: 2, Line: 0, Column: 2}, End: Location{Offset: 5, Line: 0, Column: 5}},
		{Start: Location{Offset: 100, Line: 9, Column: 1}, End: Location{Offset: 110, Line: 10, Column: 0}},
	}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("ranges (-want +got)\n%s", diff)
	}

	// Nothing cut: ranges pass through untouched.
	short := "abc"
	_, same := truncateWithRanges(short, []Range{{Start: Location{Offset: 1}, End: Location{Offset: 2}}})
	if len(same) != 1 {
		t.Errorf("ranges of an uncut text changed: %v", same)
	}
}

func TestSegments(t *testing.T) {
	text := "héllo wörld"
	r := func(s, e int) Range { return Range{Start: Location{Offset: s}, End: Location{Offset: e}} }
	got := segments(text, []Range{
		r(7, 13),  // "wörld" (ö is 2 bytes)
		r(0, 1),   // "h"
		r(0, 3),   // overlaps the first: ignored
		r(2, 3),   // splits 'é': ignored
		r(12, 99), // out of bounds: ignored
	})
	want := []segment{
		{Text: "h", Match: true},
		{Text: "éllo "},
		{Text: "wörld", Match: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	var joined strings.Builder
	for _, s := range got {
		joined.WriteString(s.Text)
	}
	if joined.String() != text {
		t.Errorf("segments lose text: %q", joined.String())
	}
}
