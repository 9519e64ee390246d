package search

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"

	zq "github.com/sourcegraph/zoekt/query"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/textindex"
)

// The index only narrows a search down: it is asked for candidate files, a superset of
// the files the scan spec reports, and the scan then matches their content with the
// Matcher, as over a mirror. So the index path finds what the unindexed path finds by
// construction, as long as the candidates hold every file that has a match or counts as
// skipped. A candidate query is therefore built only from what every match must
// contain: the literals the Matcher's fast paths scan for (one of each leaf's needle
// set, ASCII when case-folded), and the file: filters' required literals. Negated
// leaves, leaves without such literals and -file:/lang: narrow nothing; the scan
// applies them.

// minTrigram is the shortest literal (in runes) zoekt finds through its trigram index;
// shorter ones make it read every document.
const minTrigram = 3

// candidateQuery returns a zoekt query every file the spec would report satisfies:
// the candidates, plus the documents that are remainders (always needed, they may
// count as skipped) and, when a case-folded literal holds k or s, the documents with
// a Kelvin sign or a long s. selective is false when some branch of the query reads
// every document (no literal of minTrigram runes to look up).
func (sp *scanSpec) candidateQuery(b query.Basic) (q zq.Q, selective bool) {
	var hazard bool
	var parts []zq.Q
	var sel []bool
	if sp.readContent || sp.paths && !sp.matcher.Empty() {
		pq, ps, ph := sp.patternCandidates(sp.matcher.tree)
		parts, sel, hazard = append(parts, pq), append(sel, ps), ph
	}
	include, _ := b.Files()
	for _, re := range include {
		fq, fs, fh := fileCandidates(re)
		parts, sel, hazard = append(parts, fq), append(sel, fs), hazard || fh
	}
	for _, s := range sel {
		selective = selective || s
	}
	q = &zq.Const{Value: true}
	if len(parts) > 0 {
		q = zq.NewAnd(parts...)
	}
	alternatives := []zq.Q{q, &zq.Language{Language: textindex.LanguageSkipped}}
	if hazard {
		alternatives = append(alternatives, &zq.Language{Language: textindex.LanguageFoldHazard})
	}
	return zq.NewOr(alternatives...), selective
}

// patternCandidates is the candidate query of a pattern tree, whether it is selective
// and whether a case-folded literal of it holds k or s.
func (sp *scanSpec) patternCandidates(n *query.PatternNode) (zq.Q, bool, bool) {
	if n == nil {
		return &zq.Const{Value: true}, false, false
	}
	switch n.Op {
	case query.PatternAnd, query.PatternOr:
		var qs []zq.Q
		selective, hazard := n.Op == query.PatternOr, false
		for _, o := range n.Operands {
			q, s, h := sp.patternCandidates(o)
			qs = append(qs, q)
			hazard = hazard || h
			if n.Op == query.PatternAnd {
				selective = selective || s
			} else {
				selective = selective && s
			}
		}
		if n.Op == query.PatternAnd {
			return zq.NewAnd(qs...), selective, hazard
		}
		return zq.NewOr(qs...), selective, hazard
	}
	if n.Pattern.Negated {
		return &zq.Const{Value: true}, false, false
	}
	l := sp.matcher.index[n.Pattern]
	if l.never {
		return &zq.Const{Value: false}, true, false
	}
	needles := l.pres
	if l.lit != nil {
		needles = []needle{{b: l.lit}}
	}
	return sp.needleQuery(needles, l.fold, false)
}

// fileCandidates is the candidate query of a file: filter (a regexp matched against
// the path).
func fileCandidates(re *regexp.Regexp) (zq.Q, bool, bool) {
	sre, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return &zq.Const{Value: true}, false, false
	}
	set, fold, ok := requiredSet(sre.Simplify())
	if !ok {
		return &zq.Const{Value: true}, false, false
	}
	needles, fold := prefilterNeedles(set, fold)
	return (&scanSpec{paths: true}).needleQuery(needles, fold, true)
}

// needleQuery is "one of the needles is in the file": in its content when the spec
// reads content, in its path when it matches paths (or fileOnly).
func (sp *scanSpec) needleQuery(needles []needle, fold, fileOnly bool) (zq.Q, bool, bool) {
	if len(needles) == 0 {
		return &zq.Const{Value: true}, false, false
	}
	var qs []zq.Q
	hazard := false
	for _, n := range needles {
		if utf8.RuneCount(n.b) < minTrigram {
			return &zq.Const{Value: true}, false, false
		}
		s := &zq.Substring{Pattern: string(n.b), CaseSensitive: !fold}
		switch {
		case fileOnly || !sp.readContent:
			s.FileName = true
		case !sp.paths:
			s.Content = true
		}
		qs = append(qs, s)
		hazard = hazard || fold && bytes.ContainsAny(n.b, "ks")
	}
	return zq.NewOr(qs...), true, hazard
}
