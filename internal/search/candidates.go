package search

import (
	"regexp"
	"regexp/syntax"
	"unicode/utf8"

	zq "github.com/sourcegraph/zoekt/query"

	"github.com/lookout/lookout/internal/search/query"
)

// The index only narrows a search down: it is asked for candidate files, a superset of
// the files the scan spec reports, and the scan then matches their content with the
// Matcher, as over a mirror. So the index path finds what the unindexed path finds by
// construction, as long as the candidates hold every file that has a match or counts as
// skipped. A candidate query is therefore built only from what every match must
// contain: the literals the Matcher's fast paths scan for (one of each leaf's needle
// set, ASCII when case-folded), and the file: filters' required literals. Negated
// leaves, leaves without such literals and -file:/lang: narrow nothing; the scan
// applies them. The remainders (textindex.Remainder) are always candidates: the index
// adds them to every answer itself.

// minTrigram is the shortest literal (in runes) zoekt finds through its trigram index;
// shorter ones make it read every document.
const minTrigram = 3

// candidateQuery returns a zoekt query every file the spec would report satisfies, but
// for the remainders (files the index keeps apart, which may count as skipped or match
// in ways zoekt does not see), which the index returns with every answer. selective is
// false when the candidates are every document (no literal of minTrigram runes to look up).
func (sp *scanSpec) candidateQuery(b query.Basic) (q zq.Q, selective bool) {
	var parts []zq.Q
	if sp.readContent || sp.paths && !sp.matcher.Empty() {
		pq, ps := sp.patternCandidates(sp.matcher.tree)
		parts, selective = append(parts, pq), ps
	}
	include, _ := b.Files()
	for _, re := range include {
		fq, fs := fileCandidates(re)
		parts, selective = append(parts, fq), selective || fs
	}
	q = &zq.Const{Value: true}
	if len(parts) > 0 {
		q = zq.NewAnd(parts...)
	}
	return q, selective
}

// patternCandidates is the candidate query of a pattern tree, and whether it is
// selective.
func (sp *scanSpec) patternCandidates(n *query.PatternNode) (zq.Q, bool) {
	if n == nil {
		return &zq.Const{Value: true}, false
	}
	switch n.Op {
	case query.PatternAnd, query.PatternOr:
		var qs []zq.Q
		selective := n.Op == query.PatternOr
		for _, o := range n.Operands {
			q, s := sp.patternCandidates(o)
			qs = append(qs, q)
			if n.Op == query.PatternAnd {
				selective = selective || s
			} else {
				selective = selective && s
			}
		}
		if n.Op == query.PatternAnd {
			return zq.NewAnd(qs...), selective
		}
		return zq.NewOr(qs...), selective
	}
	if n.Pattern.Negated {
		return &zq.Const{Value: true}, false
	}
	l := sp.matcher.index[n.Pattern]
	if l.never {
		return &zq.Const{Value: false}, true
	}
	needles := l.pres
	if l.lit != nil {
		needles = []needle{{b: l.lit}}
	}
	return sp.needleQuery(needles, l.fold, false)
}

// fileCandidates is the candidate query of a file: filter (a regexp matched against
// the path).
func fileCandidates(re *regexp.Regexp) (zq.Q, bool) {
	sre, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return &zq.Const{Value: true}, false
	}
	set, fold, ok := requiredSet(sre.Simplify())
	if !ok {
		return &zq.Const{Value: true}, false
	}
	needles, fold := prefilterNeedles(set, fold)
	return (&scanSpec{paths: true}).needleQuery(needles, fold, true)
}

// needleQuery is "one of the needles is in the file": in its content when the spec
// reads content, in its path when it matches paths (or fileOnly). Case-folded needles
// are ASCII, whose case zoekt folds as Go does but for k and s (a Kelvin sign or a long
// s makes a file a remainder).
func (sp *scanSpec) needleQuery(needles []needle, fold, fileOnly bool) (zq.Q, bool) {
	if len(needles) == 0 {
		return &zq.Const{Value: true}, false
	}
	var qs []zq.Q
	for _, n := range needles {
		if utf8.RuneCount(n.b) < minTrigram {
			return &zq.Const{Value: true}, false
		}
		s := &zq.Substring{Pattern: string(n.b), CaseSensitive: !fold}
		switch {
		case fileOnly || !sp.readContent:
			s.FileName = true
		case !sp.paths:
			s.Content = true
		}
		qs = append(qs, s)
	}
	return zq.NewOr(qs...), true
}
