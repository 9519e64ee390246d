package search

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lookout/lookout/internal/search/query"
)

// Content matching is line-oriented, as in git grep: a match never spans a newline, ^ and
// $ match at line boundaries, and character classes ([^a], \s, . with s) never match a
// newline. Every pattern is compiled to an RE2 regexp with those semantics, which is the
// reference; literal patterns and regexps with a required literal then take fast paths
// (memchr-speed searches, the regexp run only on candidate lines) that find exactly what
// the regexp finds.

// leaf is one compiled pattern of a pattern tree.
type leaf struct {
	pat *query.Pattern
	re  *regexp.Regexp
	// lit is set when the whole pattern is this literal (lower-case when fold).
	lit []byte
	// pres are literals one of which every match contains (lower-case when fold),
	// used to skip to candidate lines; nil when there are none worth using.
	pres []needle
	fold bool // lit/pre compare ASCII case-insensitively
	// hazard: lit/pre hold k or s, which Go's case folding also matches with the Kelvin
	// sign and the long s; a file holding either takes the regexp path.
	hazard bool
	// never: the pattern cannot match within a line (it requires a newline).
	never    bool
	captures bool // the regexp has capture groups
	rare     int  // index in lit of the byte to scan for
	chunk    int  // the longest text the regexp is run on at once
	// hazardNeedles are the prefilter of files the hazard applies to.
	hazardNeedles []needle
	// win is the prefilter of patterns without a literal to scan for: classes of bytes
	// that every match holds at consecutive positions.
	win *classWindow
}

const (
	kelvin = "\u212a" // folds to k
	longS  = "\u017f" // folds to s
)

// compileLeaf compiles a pattern with the line-oriented semantics.
func compileLeaf(p *query.Pattern) (*leaf, error) {
	src := p.Value
	if p.Kind == query.Literal {
		src = regexp.QuoteMeta(src)
	}
	flags := syntax.Perl &^ syntax.OneLine // ^ and $ at line boundaries
	if !p.CaseSensitive {
		flags |= syntax.FoldCase
	}
	sre, err := syntax.Parse(src, flags)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p.Value, err)
	}
	sre = lineLocal(sre).Simplify()
	re, err := regexp.Compile(sre.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p.Value, err)
	}
	l := &leaf{pat: p, re: re, captures: re.NumSubexp() > 0, never: sre.Op == syntax.OpNoMatch}
	if prog, err := syntax.Compile(sre); err == nil {
		// Go's regexp backtracks (much faster than its NFA) on inputs shorter than
		// this, so texts are matched in chunks of whole lines this long.
		l.chunk = max(256, 256*1024/len(prog.Inst)-2)
	}
	if sre.Op == syntax.OpLiteral && !l.captures {
		if b, fold, ok := literalBytes(sre.Rune, sre.Flags&syntax.FoldCase != 0, false); ok {
			l.lit, l.fold = b, fold
		}
	}
	if l.lit == nil {
		if set, fold, ok := requiredSet(sre); ok {
			l.pres, l.fold = prefilterNeedles(set, fold)
		}
	}
	if l.fold && bytes.ContainsAny(l.lit, "ks") {
		l.hazard = true
	}
	for _, n := range l.pres {
		l.hazard = l.hazard || l.fold && bytes.ContainsAny(n.b, "ks")
	}
	l.rare = rarestByte(l.lit, l.fold)
	if l.lit == nil && l.pres == nil && !l.never {
		l.win = windowOf(sre, re)
	}
	if l.hazard {
		// A file holding a Kelvin sign or a long s takes the regexp on the lines that
		// hold a literal or one of those (a match has one or the other).
		l.hazardNeedles = append(l.hazardNeedles, l.pres...)
		if l.lit != nil {
			l.hazardNeedles = append(l.hazardNeedles, needle{b: l.lit, rare: l.rare})
		}
		l.hazardNeedles = append(l.hazardNeedles, needle{b: []byte(kelvin)}, needle{b: []byte(longS)})
	}
	return l, nil
}

// needle is a prefilter literal with the index of its rarest byte.
type needle struct {
	b    []byte
	rare int
}

// maxNeedles bounds the literals of an alternation prefilter; each costs a scan.
const maxNeedles = 6

// maxScan bounds the literals scanned for at once (the hazard adds two).
const maxScan = maxNeedles + 2

// prefilterNeedles encodes a required literal set for the fast path; nil when one of
// the literals is too short to be worth scanning for.
func prefilterNeedles(set [][]rune, fold bool) ([]needle, bool) {
	var out []needle
	folded := false
	for _, runes := range set {
		b, f, ok := literalBytes(runes, fold, true)
		if !ok || len(b) < 2 {
			return nil, false
		}
		folded = folded || f
		out = append(out, needle{b: b})
	}
	if fold && !folded {
		// No letters at all: compare exactly.
		fold = false
	}
	for i := range out {
		out[i].rare = rarestByte(out[i].b, fold)
	}
	return out, fold
}

// requiredSet returns literals one of which every match of re contains: a required
// literal, or one literal per branch of an alternation.
func requiredSet(re *syntax.Regexp) ([][]rune, bool, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return [][]rune{re.Rune}, re.Flags&syntax.FoldCase != 0, true
	case syntax.OpCapture, syntax.OpPlus:
		return requiredSet(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredSet(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out [][]rune
		fold := false
		for i, sub := range re.Sub {
			set, f, ok := requiredSet(sub)
			if !ok || i > 0 && f != fold || len(out)+len(set) > maxNeedles {
				return nil, false, false
			}
			fold = f
			out = append(out, set...)
		}
		return out, fold, len(out) > 0
	case syntax.OpConcat:
		var best [][]rune
		var bestFold, found bool
		consider := func(set [][]rune, fold bool) {
			if !found || setScore(set, fold) > setScore(best, bestFold) {
				best, bestFold, found = set, fold, true
			}
		}
		var run []rune
		var runFold bool
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				f := sub.Flags&syntax.FoldCase != 0
				if len(run) > 0 && f != runFold {
					consider([][]rune{run}, runFold)
					run = nil
				}
				run = append(append([]rune(nil), run...), sub.Rune...)
				runFold = f
				continue
			}
			if len(run) > 0 {
				consider([][]rune{run}, runFold)
				run = nil
			}
			if set, f, ok := requiredSet(sub); ok {
				consider(set, f)
			}
		}
		if len(run) > 0 {
			consider([][]rune{run}, runFold)
		}
		return best, bestFold, found
	}
	return nil, false, false
}

// setScore ranks prefilter sets: the shortest literal decides how selective a set is;
// fewer literals cost fewer scans; case-sensitive ones are cheaper.
func setScore(set [][]rune, fold bool) int {
	shortest := -1
	for _, r := range set {
		if shortest < 0 || len(r) < shortest {
			shortest = len(r)
		}
	}
	score := shortest*16 - len(set)*2
	if !fold {
		score++
	}
	return score
}

// lineLocal rewrites a parsed regexp so that nothing in it matches a newline.
func lineLocal(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpAnyChar:
		re.Op = syntax.OpAnyCharNotNL
	case syntax.OpCharClass:
		var out []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo <= '\n' && '\n' <= hi {
				if lo < '\n' {
					out = append(out, lo, '\n'-1)
				}
				if hi > '\n' {
					out = append(out, '\n'+1, hi)
				}
				continue
			}
			out = append(out, lo, hi)
		}
		if len(out) == 0 {
			return &syntax.Regexp{Op: syntax.OpNoMatch}
		}
		re.Rune = out
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == '\n' {
				return &syntax.Regexp{Op: syntax.OpNoMatch}
			}
		}
	}
	for i, s := range re.Sub {
		re.Sub[i] = lineLocal(s)
	}
	return re
}

// literalBytes encodes a literal for the fast paths. Case-folded literals must be
// ASCII (their fold is a byte table); with part set, the longest ASCII run of a folded
// literal is taken instead (a part of a required literal is required too).
func literalBytes(runes []rune, fold, part bool) ([]byte, bool, bool) {
	if !fold {
		return []byte(string(runes)), false, true
	}
	var best, cur []byte
	for _, r := range runes {
		if r >= utf8.RuneSelf {
			if !part {
				return nil, false, false
			}
			if len(cur) > len(best) {
				best = cur
			}
			cur = nil
			continue
		}
		cur = append(cur, lower[byte(r)])
	}
	if len(cur) > len(best) {
		best = cur
	}
	if len(best) == 0 {
		return nil, false, false
	}
	// A folded literal without letters is an ordinary one.
	for _, c := range best {
		if lower[c] != upper[c] {
			return best, true, true
		}
	}
	return best, false, true
}

var lower, upper [256]byte

// byteRank orders bytes from rarest to most common in source code, roughly; the fast
// literal search scans for the rarest byte of the needle.
var byteRank [256]int

func init() {
	for i := range 256 {
		lower[i], upper[i] = byte(i), byte(i)
		if 'A' <= i && i <= 'Z' {
			lower[i] = byte(i) + 'a' - 'A'
		}
		if 'a' <= i && i <= 'z' {
			upper[i] = byte(i) - 'a' + 'A'
		}
	}
	common := " \te\ntrnisoa;c,ld(p)u.f=m\"g:h*b_0y/1-w{}v2k>x<&[]3@S45E6T7A89RCINDOLPFMq#'B!j|+%zUGHKVWYXJ?QZ$\\~^`"
	for i := range byteRank {
		byteRank[i] = len(common) // rarer than anything listed
	}
	for i := 0; i < len(common); i++ {
		byteRank[common[i]] = i
	}
}

// rarestByte returns the index of the needle's rarest byte (the highest rank; for a
// letter of a case-folded needle, both cases are scanned, so its rank is that of the
// more common case).
func rarestByte(needle []byte, fold bool) int {
	rank := func(c byte) int {
		r := byteRank[c]
		if fold {
			r = min(r, byteRank[upper[c]])
		}
		return r
	}
	best := 0
	for i, c := range needle {
		if rank(c) > rank(needle[best]) {
			best = i
		}
	}
	return best
}

// indexFold finds needle (lower-case ASCII) in s ignoring ASCII case. It scans for the
// needle's rarest byte in both cases with memchr-speed IndexByte calls and checks each
// candidate.
func indexFold(s, needle []byte, k int) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	if len(s) < n {
		return -1
	}
	c, u := needle[k], upper[needle[k]]
	last := len(s) - n + k // the last position the rare byte can be at
	nl, nu := -2, -2       // next known positions of c and u; -1: none, -2: not looked
	pos := k
	for pos <= last {
		if nl != -1 && nl < pos {
			nl = indexByteFrom(s, c, pos)
		}
		if c != u && nu != -1 && nu < pos {
			nu = indexByteFrom(s, u, pos)
		}
		j := nl
		if c != u && nu >= 0 && (j < 0 || nu < j) {
			j = nu
		}
		if j < 0 || j > last {
			return -1
		}
		if equalFold(s[j-k:j-k+n], needle) {
			return j - k
		}
		pos = j + 1
	}
	return -1
}

func indexByteFrom(s []byte, c byte, from int) int {
	i := bytes.IndexByte(s[from:], c)
	if i < 0 {
		return -1
	}
	return from + i
}

func equalFold(s, lowerNeedle []byte) bool {
	for i, c := range lowerNeedle {
		if lower[s[i]] != c {
			return false
		}
	}
	return true
}

// indexCase finds needle in s, case-sensitively, scanning for its rarest byte.
func indexCase(s, needle []byte, k int) int {
	if len(needle) <= 1 || k == 0 {
		return bytes.Index(s, needle)
	}
	n := len(needle)
	c := needle[k]
	for pos := k; pos <= len(s)-n+k; {
		j := indexByteFrom(s, c, pos)
		if j < 0 || j > len(s)-n+k {
			return -1
		}
		if bytes.Equal(s[j-k:j-k+n], needle) {
			return j - k
		}
		pos = j + 1
	}
	return -1
}

func (l *leaf) index(s, needle []byte) int {
	return l.indexRare(s, needle, l.rare)
}

func (l *leaf) indexRare(s, needle []byte, rare int) int {
	if l.fold {
		return indexFold(s, needle, rare)
	}
	return indexCase(s, needle, rare)
}

// candidates calls fn with the bounds [ls, le) of each line holding one of the
// prefilter literals, in order; fn returns false to stop.
func (l *leaf) candidates(data []byte, needles []needle, fn func(ls, le int) bool) {
	// next[i] is the next known occurrence of needles[i] at or after the position it
	// was looked for from: -1 none, -2 not looked for yet.
	var nextBuf [maxScan]int
	next := nextBuf[:len(needles)]
	for i := range next {
		next[i] = -2
	}
	linesAt(data, func(from int) int {
		p := -1
		for i, n := range needles {
			if next[i] == -2 || next[i] >= 0 && next[i] < from {
				if j := l.indexRare(data[from:], n.b, n.rare); j >= 0 {
					next[i] = from + j
				} else {
					next[i] = -1
				}
			}
			if next[i] >= 0 && (p < 0 || next[i] < p) {
				p = next[i]
			}
		}
		return p
	}, fn)
}

// windowCandidates calls fn with the bounds [ls, le) of each line holding the class
// window, in order; fn returns false to stop.
func (l *leaf) windowCandidates(data []byte, fn func(ls, le int) bool) {
	linesAt(data, func(from int) int { return l.win.index(data, from) }, fn)
}

// linesAt calls fn with the bounds [ls, le) of each line holding a position next finds
// at or after from (-1: none left), in order; fn returns false to stop.
func linesAt(data []byte, next func(from int) int, fn func(ls, le int) bool) {
	for from := 0; from < len(data); {
		p := next(from)
		if p < 0 {
			return
		}
		ls := p - lastLineLen(data[from:p])
		le := lineEnd(data, p)
		if !fn(ls, le) {
			return
		}
		from = le + 1
	}
}

// useRegexp reports whether data must take the regexp path (the fold hazard).
func (l *leaf) useRegexp(data []byte) bool {
	if !l.hazard {
		return false
	}
	return bytes.Contains(data, []byte(kelvin)) || bytes.Contains(data, []byte(longS))
}

// each calls fn for every match in data, in order: [start, end) byte offsets, the
// non-overlapping matches of the regexp within each line. fn returns false to stop.
func (l *leaf) each(data []byte, fn func(start, end int) bool) {
	if l.never {
		return
	}
	slow := l.useRegexp(data)
	needles := l.pres
	if slow {
		needles = l.hazardNeedles
	}
	switch {
	case l.lit != nil && !slow:
		n := len(l.lit)
		for from := 0; from <= len(data); {
			i := l.index(data[from:], l.lit)
			if i < 0 {
				return
			}
			s := from + i
			if !fn(s, s+n) {
				return
			}
			from = s + max(n, 1)
		}
	case needles != nil || l.win != nil:
		// The regexp runs only on candidate lines.
		perLine := func(ls, le int) bool {
			for _, m := range l.re.FindAllIndex(data[ls:le], -1) {
				if !fn(ls+m[0], ls+m[1]) {
					return false
				}
			}
			return true
		}
		if needles != nil {
			l.candidates(data, needles, perLine)
		} else {
			l.windowCandidates(data, perLine)
		}
	default:
		l.eachChunk(data, func(off int, chunk []byte) bool {
			for _, m := range l.re.FindAllIndex(chunk, -1) {
				if !fn(off+m[0], off+m[1]) {
					return false
				}
			}
			return true
		})
	}
}

// eachChunk cuts data into chunks of whole lines of at most l.chunk bytes (or one
// longer line), without the newline that ends a chunk: matches never span lines, so
// matching chunk by chunk finds what matching the whole text finds.
func (l *leaf) eachChunk(data []byte, fn func(off int, chunk []byte) bool) {
	size := l.chunk
	if size <= 0 {
		size = len(data) + 1
	}
	for off := 0; off <= len(data); {
		end := len(data)
		if off+size < len(data) {
			end = bytes.LastIndexByte(data[off:off+size], '\n')
			if end < 0 {
				end = lineEnd(data, off) // one long line
			} else {
				end += off
			}
		}
		if !fn(off, data[off:end]) {
			return
		}
		off = end + 1
	}
}

// has reports whether data holds a match.
func (l *leaf) has(data []byte) bool {
	if l.never {
		return false
	}

	found := false
	l.each(data, func(int, int) bool { found = true; return false })
	return found
}

// count counts the matches and the lines holding one.
func (l *leaf) count(data []byte) (matches, lines int) {
	lineEndAt := -1
	l.each(data, func(s, _ int) bool {
		matches++
		if s > lineEndAt {
			lines++
			lineEndAt = lineEnd(data, s)
		}
		return true
	})
	return matches, lines
}

// eachCapture calls fn with the first capture group's text of every match.
func (l *leaf) eachCapture(data []byte, fn func(value []byte)) {
	if !l.captures || l.never {
		return
	}
	// Captures need the regexp; the required literal still picks the lines.
	needles := l.pres
	if l.useRegexp(data) {
		needles = l.hazardNeedles
	}
	perLine := func(ls, le int) bool {
		for _, m := range l.re.FindAllSubmatchIndex(data[ls:le], -1) {
			if m[2] >= 0 {
				fn(data[ls+m[2] : ls+m[3]])
			}
		}
		return true
	}
	switch {
	case needles != nil:
		l.candidates(data, needles, perLine)
		return
	case l.win != nil:
		l.windowCandidates(data, perLine)
		return
	}
	l.eachChunk(data, func(off int, chunk []byte) bool {
		for _, m := range l.re.FindAllSubmatchIndex(chunk, -1) {
			if m[2] >= 0 {
				fn(chunk[m[2]:m[3]])
			}
		}
		return true
	})
}

// lastLineLen is the length of the last (unterminated) line of b.
func lastLineLen(b []byte) int {
	return len(b) - bytes.LastIndexByte(b, '\n') - 1
}

// lineEnd is the offset of the newline ending the line holding data[i] (len(data) for
// the last line).
func lineEnd(data []byte, i int) int {
	j := bytes.IndexByte(data[i:], '\n')
	if j < 0 {
		return len(data)
	}
	return i + j
}

// Matcher is a compiled pattern tree: what content, paths and commit text are matched
// with. A file's content matches when the tree evaluates true on it (a leaf is true
// when it matches somewhere in the file, negated leaves when they match nowhere), and
// its matches are those of its non-negated leaves.
type Matcher struct {
	tree     *query.PatternNode
	leaves   []*leaf
	index    map[*query.Pattern]*leaf
	positive []*leaf
	sig      [32]byte
	captures bool
}

// NewMatcher compiles a pattern tree; nil matches everything and has no matches.
func NewMatcher(tree *query.PatternNode) (*Matcher, error) {
	m := &Matcher{tree: tree, index: map[*query.Pattern]*leaf{}}
	for _, p := range tree.Leaves() {
		l, err := compileLeaf(p)
		if err != nil {
			return nil, err
		}
		m.leaves = append(m.leaves, l)
		m.index[p] = l
		if !p.Negated {
			m.positive = append(m.positive, l)
			m.captures = m.captures || l.captures
		}
	}
	var b strings.Builder
	b.WriteString("lookout-content-v1\x00")
	writeSignature(&b, tree)
	m.sig = sha256.Sum256([]byte(b.String()))
	return m, nil
}

// writeSignature writes everything about a tree that decides its matches in a text.
func writeSignature(b *strings.Builder, n *query.PatternNode) {
	if n == nil {
		b.WriteString("nil")
		return
	}
	switch n.Op {
	case query.PatternLeaf:
		p := n.Pattern
		fmt.Fprintf(b, "(leaf %s neg=%t case=%t %s)", p.Kind, p.Negated, p.CaseSensitive, strconv.Quote(p.Value))
	case query.PatternAnd, query.PatternOr:
		op := "and"
		if n.Op == query.PatternOr {
			op = "or"
		}
		b.WriteString("(" + op)
		for _, o := range n.Operands {
			b.WriteByte(' ')
			writeSignature(b, o)
		}
		b.WriteString(")")
	}
}

// mayMatch is a cheap necessary condition for the tree to match somewhere in texts that
// are parts of data (such as the added lines of a diff, parts of its hunks): false
// only when a literal that every match of the tree needs is absent from data.
func (m *Matcher) mayMatch(data []byte) bool {
	var required []*leaf
	switch {
	case m.tree == nil:
		return true
	case m.tree.Op == query.PatternLeaf && !m.tree.Pattern.Negated:
		required = []*leaf{m.index[m.tree.Pattern]}
	case m.tree.Op == query.PatternAnd:
		for _, o := range m.tree.Operands {
			if o.Op == query.PatternLeaf && !o.Pattern.Negated {
				required = append(required, m.index[o.Pattern])
			}
		}
	}
	for _, l := range required {
		if l.useRegexp(data) {
			continue
		}
		switch {
		case l.lit != nil:
			if l.index(data, l.lit) < 0 {
				return false
			}
		case l.pres != nil:
			found := false
			for _, n := range l.pres {
				if l.indexRare(data, n.b, n.rare) >= 0 {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		case l.win != nil:
			if l.win.index(data, 0) < 0 {
				return false
			}
		}
	}
	return true
}

// literalOnly reports whether every pattern is a literal (searched without the regexp
// but in texts holding a Kelvin sign or a long s): short texts such as paths are then
// matched faster than a map is consulted.
func (m *Matcher) literalOnly() bool {
	for _, l := range m.leaves {
		if l.lit == nil {
			return false
		}
	}
	return true
}

// Signature identifies what the matcher finds in a text: two matchers with the same
// signature find the same matches in every text. It keys the per-blob cache.
func (m *Matcher) Signature() []byte { return m.sig[:16] }

// Empty reports whether the matcher has no pattern.
func (m *Matcher) Empty() bool { return m.tree == nil }

// HasCaptures reports whether a non-negated pattern has capture groups.
func (m *Matcher) HasCaptures() bool { return m.captures }

// Matches evaluates the tree on a text.
func (m *Matcher) Matches(data []byte) bool {
	if m.tree == nil {
		return true
	}
	return m.tree.Eval(func(p *query.Pattern) bool { return m.index[p].has(data) })
}

// Range is a match: byte offsets [Start, End) in a text.
type Range struct {
	Start, End int
}

// Ranges returns the merged, sorted matches of the non-negated leaves in data; nil when
// the tree does not match.
func (m *Matcher) Ranges(data []byte) []Range {
	if m.tree == nil || !m.Matches(data) {
		return nil
	}
	var out []Range
	for _, l := range m.positive {
		l.each(data, func(s, e int) bool {
			out = append(out, Range{s, e})
			return true
		})
	}
	if len(m.positive) > 1 {
		out = mergeRanges(out)
	}
	return out
}

func mergeRanges(rs []Range) []Range {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Start != rs[j].Start {
			return rs[i].Start < rs[j].Start
		}
		return rs[i].End > rs[j].End
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.Start < out[n-1].End {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		if n := len(out); n > 0 && r.Start == out[n-1].Start && r.End == out[n-1].End {
			continue
		}
		out = append(out, r)
	}
	return out
}

// BlobCount is what a matcher finds in one text: the number of matches, of lines
// holding one, and the first capture group's values with their counts (when the
// patterns have capture groups).
type BlobCount struct {
	Matches  int
	Lines    int
	Captures map[string]int
}

// Count counts the matches in data without building line objects.
func (m *Matcher) Count(data []byte) BlobCount {
	if m.tree == nil {
		return BlobCount{}
	}
	single := m.tree.Op == query.PatternLeaf && !m.tree.Pattern.Negated
	if !single && !m.Matches(data) {
		return BlobCount{}
	}
	var c BlobCount
	if len(m.positive) == 1 {
		c.Matches, c.Lines = m.positive[0].count(data)
	} else {
		rs := m.Ranges(data)
		c.Matches = len(rs)
		lineEndAt := -1
		for _, r := range rs {
			if r.Start > lineEndAt {
				c.Lines++
				lineEndAt = lineEnd(data, r.Start)
			}
		}
	}
	if m.captures {
		c.Captures = map[string]int{}
		for _, l := range m.positive {
			l.eachCapture(data, func(v []byte) { c.Captures[string(v)]++ })
		}
	}
	return c
}

// Patterns without a literal to scan for (/[A-Z][a-z]+[0-9]{2,}/) would run the regexp
// over every byte, at about 70 MB/s. Most still require a few bytes of known classes
// next to each other ([a-z][0-9][0-9] there), which only a few lines hold: the window
// prefilter finds those lines at a fraction of a nanosecond per byte, and the regexp
// runs only on them.

// byteFreq is how often each ASCII byte occurs in source code, per 100,000 bytes
// (counted over Go's src tree); it only steers which classes a window scans for.
var byteFreq = [128]uint32{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 3527, 2937, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	14069, 111, 862, 30, 52, 72, 116, 102, 1140, 1139, 190, 137, 2283, 250, 1394, 1176,
	3618, 1411, 1098, 790, 813, 529, 745, 453, 646, 474, 968, 143, 105, 845, 95, 8,
	7, 1208, 371, 553, 478, 679, 373, 215, 187, 557, 54, 105, 387, 442, 365, 527,
	471, 129, 642, 774, 676, 238, 373, 143, 413, 131, 70, 252, 577, 251, 12, 727,
	42, 2915, 825, 1805, 1574, 4851, 1652, 996, 916, 2760, 77, 412, 1806, 1041, 3070, 2513,
	1237, 84, 3169, 2591, 3979, 1479, 627, 389, 2160, 650, 122, 619, 138, 617, 4, 0,
}

// maxWindow bounds a window's classes; more rarely pays.
const maxWindow = 4

// maxWindowFreq is the most often (per 100,000 positions, estimated) a window may
// occur for the prefilter to be used. Even a class as common as [a-z] pays (matching
// line by line with the regexp's backtracker beats running it over whole texts).
const maxWindowFreq = 70000

// byteClass is a set of ASCII bytes.
type byteClass struct {
	in     [256]bool
	ranges [][2]byte // inclusive, sorted
	freq   uint32    // estimated occurrences per 100,000 bytes
}

// classWindow is a sequence of byte classes that every match holds at consecutive
// positions.
type classWindow struct {
	classes []*byteClass
	anchor  int // the rarest class, scanned for
}

// windowOf finds the best window of a line-local regexp, or nil. The regexp package
// skips to a literal prefix of its own (/[(][a-z]+[)]/) at memchr speed, so a window
// must be much rarer than that prefix to do better.
func windowOf(re *syntax.Regexp, compiled *regexp.Regexp) *classWindow {
	var best *classWindow
	var bestFreq float64
	for _, run := range classRuns(re) {
		for i := range run {
			f := 1.0
			for k := i; k < len(run) && k-i < maxWindow; k++ {
				f *= float64(run[k].freq) / 100000
				if best == nil || f < bestFreq {
					best, bestFreq = &classWindow{classes: run[i : k+1]}, f
				}
			}
		}
	}
	if best == nil || bestFreq*100000 > maxWindowFreq {
		return nil
	}
	if prefix, _ := compiled.LiteralPrefix(); prefix != "" {
		f := 1.0
		for i := 0; i < len(prefix); i++ {
			f *= float64(freqOf(prefix[i])) / 100000
		}
		if bestFreq*4 >= f {
			return nil
		}
	}
	for i, c := range best.classes {
		if c.freq < best.classes[best.anchor].freq {
			best.anchor = i
		}
	}
	return best
}

// classRuns returns runs of single-byte classes that every match of re holds at
// consecutive positions: the top-level sequence of the regexp, cut wherever the width
// of what comes next is unknown (x*, x?, an alternation, a non-ASCII class).
func classRuns(re *syntax.Regexp) [][]*byteClass {
	var runs [][]*byteClass
	var cur []*byteClass
	cut := func() {
		if len(cur) > 0 {
			runs = append(runs, cur)
		}
		cur = nil
	}
	var walk func(re *syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpConcat:
			for _, sub := range re.Sub {
				walk(sub)
			}
		case syntax.OpCapture:
			walk(re.Sub[0])
		case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
			syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			// Zero width: the neighbours stay adjacent.
		case syntax.OpLiteral:
			fold := re.Flags&syntax.FoldCase != 0
			for _, r := range re.Rune {
				if c := literalClass(r, fold); c != nil {
					cur = append(cur, c...)
				} else {
					cut()
				}
			}
		case syntax.OpCharClass:
			if c := rangesClass(re.Rune); c != nil {
				cur = append(cur, c)
			} else {
				cut()
			}
		case syntax.OpPlus, syntax.OpRepeat:
			lo, hi := 1, -1
			if re.Op == syntax.OpRepeat {
				lo, hi = re.Min, re.Max
			}
			c := singleClass(re.Sub[0])
			if c == nil || lo < 1 {
				cut()
				return
			}
			// The first lo copies follow what came before; the last lo copies
			// precede what comes next.
			n := min(lo, maxWindow)
			for range n {
				cur = append(cur, c)
			}
			if hi != lo {
				cut()
				for range n {
					cur = append(cur, c)
				}
			}
		default:
			cut()
		}
	}
	walk(re)
	cut()
	return runs
}

// singleClass is the class of a regexp that matches one ASCII byte, or nil.
func singleClass(re *syntax.Regexp) *byteClass {
	switch re.Op {
	case syntax.OpCapture:
		return singleClass(re.Sub[0])
	case syntax.OpLiteral:
		if len(re.Rune) == 1 {
			if cs := literalClass(re.Rune[0], re.Flags&syntax.FoldCase != 0); len(cs) == 1 {
				return cs[0]
			}
		}
	case syntax.OpCharClass:
		return rangesClass(re.Rune)
	}
	return nil
}

// literalClass returns the classes of a literal rune's bytes: one class for an ASCII
// rune (both cases when folded), one singleton per byte for another rune matched
// exactly, nil when the width of what matches varies (a folded non-ASCII rune, or a
// folded k or s, which also match the Kelvin sign and the long s).
func literalClass(r rune, fold bool) []*byteClass {
	if r >= utf8.RuneSelf {
		if fold {
			return nil
		}
		var out []*byteClass
		var buf [utf8.UTFMax]byte
		for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
			out = append(out, newByteClass([][2]byte{{b, b}}))
		}
		return out
	}
	b := byte(r)
	if !fold || lower[b] == upper[b] {
		return []*byteClass{newByteClass([][2]byte{{b, b}})}
	}
	if lower[b] == 'k' || lower[b] == 's' {
		return nil
	}
	return []*byteClass{newByteClass([][2]byte{{upper[b], upper[b]}, {lower[b], lower[b]}})}
}

// rangesClass is the class of a character class's rune ranges when all are ASCII
// (after lineLocal, never a newline), else nil.
func rangesClass(rs []rune) *byteClass {
	var ranges [][2]byte
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i+1] >= utf8.RuneSelf {
			return nil
		}
		ranges = append(ranges, [2]byte{byte(rs[i]), byte(rs[i+1])})
	}
	if len(ranges) == 0 {
		return nil
	}
	return newByteClass(ranges)
}

// freqOf is a byte's estimated frequency per 100,000 (bytes of non-ASCII text are
// taken as rare).
func freqOf(b byte) uint32 {
	if b >= utf8.RuneSelf {
		return 50
	}
	return max(byteFreq[b], 1)
}

func newByteClass(ranges [][2]byte) *byteClass {
	c := &byteClass{}
	for _, r := range ranges {
		for b := int(r[0]); b <= int(r[1]); b++ {
			c.in[b] = true
			c.freq += freqOf(byte(b))
		}
	}
	// Merge adjacent ranges (a folded literal gives two singletons).
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	for _, r := range ranges {
		if n := len(c.ranges); n > 0 && int(r[0]) <= int(c.ranges[n-1][1])+1 {
			c.ranges[n-1][1] = max(c.ranges[n-1][1], r[1])
			continue
		}
		c.ranges = append(c.ranges, r)
	}
	c.freq = max(c.freq, 1)
	return c
}

// index returns the first position at or after from where the window starts, or -1.
func (w *classWindow) index(data []byte, from int) int {
	a := w.anchor
	k := len(w.classes)
	anchor := w.classes[a]
	last := len(data) - k + a // the last position the anchor can be at
	for p := from + a; p <= last; p++ {
		j := anchor.indexFrom(data[:last+1], p)
		if j < 0 {
			return -1
		}
		s := j - a
		ok := true
		for i, c := range w.classes {
			if !c.in[data[s+i]] {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		p = j
	}
	return -1
}

const (
	swarOnes = 0x0101010101010101
	swarLow7 = 0x7f7f7f7f7f7f7f7f
	swarHigh = 0x8080808080808080
)

// indexFrom returns the first position at or after from of a byte of the class, or -1.
// One byte is found with IndexByte; up to three ranges 8 bytes at a time (a byte b
// is in [lo, hi] when b > lo-1 and b < hi+1, tested on the low 7 bits of each byte at
// once without carries between bytes; bytes >= 0x80 are never in the class).
func (c *byteClass) indexFrom(data []byte, from int) int {
	if len(c.ranges) == 1 && c.ranges[0][0] == c.ranges[0][1] {
		return indexByteFrom(data, c.ranges[0][0], from)
	}
	i := from
	if len(c.ranges) <= 3 && c.ranges[0][0] > 0 {
		for ; i+8 <= len(data); i += 8 {
			x := binary.LittleEndian.Uint64(data[i:])
			t := x & swarLow7
			var hit uint64
			for _, r := range c.ranges {
				m, n := uint64(r[0])-1, uint64(r[1])+1
				hit |= (swarOnes*(127+n) - t) & ^x & (t + swarOnes*(127-m))
			}
			if hit &= swarHigh; hit != 0 {
				return i + bits.TrailingZeros64(hit)/8
			}
		}
	}
	for ; i < len(data); i++ {
		if c.in[data[i]] {
			return i
		}
	}
	return -1
}
