package textindex

import (
	"bytes"
	"testing"
)

func TestParseRemainderReadsWhatReasonWrites(t *testing.T) {
	for _, r := range []Remainder{
		{Kind: RemainderLarge, Size: 5 << 20, OID: "0123abcd"},
		{Kind: RemainderBinary, Size: 9000, OID: "ffee"},
		{Kind: RemainderStored, Size: 2, OID: "aa", Content: []byte("ok")},
		{Kind: RemainderStored, Size: 0, OID: "e69de29b"},
		{Kind: RemainderStored, Size: 11, OID: "bb", Content: []byte("Kelvin \u212a\n")},
	} {
		got, ok := ParseRemainder([]byte(notIndexedPrefix + r.reason()))
		if !ok || got.Kind != r.Kind || got.Size != r.Size || got.OID != r.OID || !bytes.Equal(got.Content, r.Content) {
			t.Errorf("ParseRemainder(%q) = %+v, %v; want %+v", r.reason(), got, ok, r)
		}
	}
}

func TestParseRemainderRefusesWhatItDidNotWrite(t *testing.T) {
	for _, s := range []string{
		"package main\n",                      // a file, not a remainder
		notIndexedPrefix + "lookout1 l 10 aa", // another layout
		RemainderText + "l 10",                // too few fields
		RemainderText + "l 10 aa extra",       // too many for its kind
		RemainderText + "c 2 aa b2s= more",    // too many fields
		RemainderText + "lx 10 aa",            // kind of two letters
		RemainderText + "l ten aa",            // size not a number
		RemainderText + "c 2 aa !!!!",         // content not base64
		RemainderText + "c 3 aa b2s=",         // content of another size
		RemainderText + "c 2 aa",              // stored content missing
		RemainderText + "x 10 aa",             // unknown kind
	} {
		if r, ok := ParseRemainder([]byte(s)); ok {
			t.Errorf("ParseRemainder(%q) = %+v, want refused", s, r)
		}
	}
}
