package query

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind classifies a lexical token. The lexer does not know the pattern type: the
// parser decides whether a word or a /.../ token is a literal or a regexp, because a
// patterntype: filter anywhere in the query changes that.
type tokenKind int

const (
	tokWord   tokenKind = iota // bare text: a pattern
	tokQuoted                  // "..." or '...': a literal pattern
	tokSlash                   // /.../: a regexp pattern (outside patterntype:literal)
	tokParam                   // field:value with a known field
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot
)

type token struct {
	kind tokenKind
	pos  int    // byte offset of the token in the query
	raw  string // the token as written
	// value is the word as written, the unescaped text of a quoted string, the body
	// of a /.../ regexp (with \/ turned into /), or a filter's (unescaped) value.
	value   string
	field   string // canonical field of a tokParam
	negated bool   // tokParam written with a "-" prefix
	quoted  bool   // tokParam whose value was quoted
}

type lexer struct {
	s    string
	toks []token
}

// lex splits a query into tokens. It rejects unterminated quotes, text glued to a
// closing quote, unknown-but-reserved filters and filters without a value.
func lex(s string) ([]token, error) {
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return nil, errorf(i, "", "query is not valid UTF-8")
	}
	l := &lexer{s: s}
	i := 0
	for {
		i = l.skipSpace(i)
		if i >= len(s) {
			return l.toks, nil
		}
		next, err := l.token(i)
		if err != nil {
			return nil, err
		}
		i = next
	}
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

func (l *lexer) skipSpace(i int) int {
	for i < len(l.s) {
		r, size := utf8.DecodeRuneInString(l.s[i:])
		if !isSpace(r) {
			break
		}
		i += size
	}
	return i
}

// boundary reports whether a token may end at i: end of input, a space or ')'.
func (l *lexer) boundary(i int) bool {
	if i >= len(l.s) {
		return true
	}
	if l.s[i] == ')' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(l.s[i:])
	return isSpace(r)
}

func (l *lexer) emit(t token) { l.toks = append(l.toks, t) }

// token scans one token starting at i (not a space) and returns where it ends.
func (l *lexer) token(i int) (int, error) {
	s := l.s
	switch s[i] {
	case '(':
		l.emit(token{kind: tokLParen, pos: i, raw: "("})
		return i + 1, nil
	case ')':
		l.emit(token{kind: tokRParen, pos: i, raw: ")"})
		return i + 1, nil
	case '"', '\'':
		value, end, err := l.quoted(i, i)
		if err != nil {
			return 0, err
		}
		l.emit(token{kind: tokQuoted, pos: i, raw: s[i:end], value: value})
		return end, nil
	case '/':
		if value, end, ok := l.slash(i); ok {
			l.emit(token{kind: tokSlash, pos: i, raw: s[i:end], value: value})
			return end, nil
		}
	}
	if end, ok, err := l.param(i); ok || err != nil {
		return end, err
	}
	end := l.bare(i)
	raw := s[i:end]
	kind := tokWord
	switch raw {
	case "AND":
		kind = tokAnd
	case "OR":
		kind = tokOr
	case "NOT":
		kind = tokNot
	}
	l.emit(token{kind: kind, pos: i, raw: raw, value: raw})
	return end, nil
}

// bare scans unquoted text from i: up to a space, or a ')' that closes no '(' opened
// inside the text itself, so that foo() is one word but (foo) is a group. A backslash
// keeps the next character in the word (foo\ bar, \)).
func (l *lexer) bare(i int) int {
	s := l.s
	depth := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isSpace(r):
			return i
		case r == '\\':
			i += size
			if i < len(s) {
				_, size = utf8.DecodeRuneInString(s[i:])
			} else {
				size = 0
			}
		case r == '(':
			depth++
		case r == ')':
			if depth == 0 {
				return i
			}
			depth--
		}
		i += size
	}
	return i
}

// looksLikeFilterValue reports whether the text after an unknown field's colon at k
// reads as a filter value: it starts with a letter or ^ (lnag:go, repp:^x). Anything
// else leaves the token ordinary text, as it is in code: a second colon (std::vector,
// a::b), a slash (http://x), a digit (localhost:8080), a quote (json:"name"), an
// equals sign (x:=1), a backslash (C:\dir) or nothing at all (TODO:).
func looksLikeFilterValue(s string, k int) bool {
	if k >= len(s) {
		return false
	}
	c := s[k]
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '^'
}

// predicateCall matches the start of a predicate such as at.time( in a filter value.
var predicateCall = regexp.MustCompile(`^[a-z]+(\.[a-z]+)+\(`)

// predicate scans an unquoted filter value from i: a predicate's call (at the start, or
// after repo:NAME@) up to its closing parenthesis, spaces included
// (rev:at.time(3 weeks ago, main)), then as bare text; anything else as bare text.
func (l *lexer) predicate(i int) int {
	s := l.s
	start := i
	m := predicateCall.FindStringIndex(s[i:])
	if m == nil {
		// A revision predicate after repo:NAME@ (repo:x@at.time(3 weeks ago)).
		at := strings.IndexByte(s[i:l.bare(i)], '@')
		if at < 0 {
			return l.bare(i)
		}
		if m = predicateCall.FindStringIndex(s[i+at+1:]); m == nil {
			return l.bare(i)
		}
		start = i + at + 1
	}
	depth := 0
	for k := start + m[1] - 1; k < len(s); k++ {
		switch s[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return l.bare(k + 1)
			}
		}
	}
	return l.bare(i) // unbalanced: the value's own check says what is wrong
}

// quoted scans a quoted string starting at the quote at i and returns its unescaped
// text and the offset after the closing quote. A closing quote must be followed by a
// boundary; start is where the token began (before field: for a filter value), for
// the error.
func (l *lexer) quoted(start, i int) (string, int, error) {
	s := l.s
	q := s[i]
	var b strings.Builder
	k := i + 1
	for k < len(s) {
		c := s[k]
		if c == '\\' && k+1 < len(s) {
			switch e := s[k+1]; e {
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			k += 2
			continue
		}
		if c == q {
			k++
			if !l.boundary(k) {
				return "", 0, errorf(start, s[start:l.bare(k)], "expected a space or ')' after the closing quote")
			}
			return b.String(), k, nil
		}
		b.WriteByte(c)
		k++
	}
	return "", 0, errorf(start, s[start:], "unterminated quoted string: add the closing %c", q)
}

// slash scans a /.../ regexp starting at i. It fails (and the text is read as a word)
// when there is no closing slash, the body is empty (// is text, as in "// TODO") or
// the closing slash is glued to more text (/usr/bin/env is a path, not a regexp).
// Inside, \/ stands for a slash.
func (l *lexer) slash(i int) (string, int, bool) {
	s := l.s
	var b strings.Builder
	for k := i + 1; k < len(s); k++ {
		c := s[k]
		if c == '\\' && k+1 < len(s) {
			if s[k+1] != '/' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[k+1])
			k++
			continue
		}
		if c == '/' {
			if b.Len() == 0 || !l.boundary(k+1) {
				return "", 0, false
			}
			return b.String(), k + 1, true
		}
		b.WriteByte(c)
	}
	return "", 0, false
}

// param scans field:value at i when the field is known. It reports ok=false (and no
// error) for text that is not a filter, such as std::vector, http://x or TODO:.
//
// As in Sourcegraph, a filter is recognised only at the start of a token, as an
// optional "-", ASCII letters and a colon. When the letters name no filter and a
// value follows, the token is refused with the list of known filters rather than
// searched as text, so that a mistyped filter (lnag:go) never silently widens a
// search. Text of that shape is still found quoted ("json:x") or with content:.
func (l *lexer) param(i int) (int, bool, error) {
	s := l.s
	k := i
	negated := false
	if s[k] == '-' {
		negated = true
		k++
	}
	start := k
	for k < len(s) && ('a' <= s[k] && s[k] <= 'z' || 'A' <= s[k] && s[k] <= 'Z') {
		k++
	}
	if k == start || k >= len(s) || s[k] != ':' {
		return 0, false, nil
	}
	name := s[start:k]
	if unsupportedFields[strings.ToLower(name)] {
		return 0, false, errorf(i, s[i:l.bare(i)], "filter %s: is not supported", strings.ToLower(name))
	}
	field, ok := lookupField(name)
	if !ok {
		if looksLikeFilterValue(s, k+1) {
			raw := s[i:l.bare(i)]
			return 0, false, errorf(i, raw, "unknown filter %s: (known filters: %s); to search for the text, quote it: %s",
				strings.ToLower(name), strings.Join(KnownFilters(), ", "), quote(raw))
		}
		return 0, false, nil
	}
	k++ // the colon
	var value string
	var end int
	quoted := false
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		v, e, err := l.quoted(i, k)
		if err != nil {
			return 0, false, err
		}
		value, end, quoted = v, e, true
	} else {
		end = l.predicate(k)
		value = s[k:end]
	}
	raw := s[i:end]
	if value == "" {
		return 0, false, errorf(i, raw, "filter %s: needs a value", field)
	}
	if negated && !fieldSpecs[field].negatable {
		return 0, false, errorf(i, raw, "filter %s: cannot be negated", field)
	}
	l.emit(token{kind: tokParam, pos: i, raw: raw, value: value, field: field, negated: negated, quoted: quoted})
	return end, true, nil
}
