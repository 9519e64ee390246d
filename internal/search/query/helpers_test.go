package query

import (
	"regexp"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testNow is "now" for relative dates in tests.
var testNow = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

// planOpts compare plans by content, not by where tokens were in the source.
var planOpts = []cmp.Option{
	cmpopts.IgnoreUnexported(Basic{}),
	cmpopts.IgnoreFields(Pattern{}, "Pos", "Token"),
	cmpopts.IgnoreFields(Parameter{}, "Pos", "Token"),
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b *regexp.Regexp) bool { return a.String() == b.String() }),
}

func lit(v string) *PatternNode {
	return &PatternNode{Op: PatternLeaf, Pattern: &Pattern{Value: v, Kind: Literal}}
}

func re(v string) *PatternNode {
	return &PatternNode{Op: PatternLeaf, Pattern: &Pattern{Value: v, Kind: Regexp}}
}

// not negates a leaf.
func not(n *PatternNode) *PatternNode {
	n.Pattern.Negated = true
	return n
}

// cs marks every leaf case-sensitive.
func cs(n *PatternNode) *PatternNode {
	for _, p := range n.Leaves() {
		p.CaseSensitive = true
	}
	return n
}

func and(ns ...*PatternNode) *PatternNode { return &PatternNode{Op: PatternAnd, Operands: ns} }
func or(ns ...*PatternNode) *PatternNode  { return &PatternNode{Op: PatternOr, Operands: ns} }

func prm(field, value string) Parameter { return Parameter{Field: field, Value: value} }
func neg(field, value string) Parameter {
	return Parameter{Field: field, Value: value, Negated: true}
}

// basic makes an expected standard Basic query.
func basic(pattern *PatternNode, params ...Parameter) Basic {
	return Basic{Pattern: pattern, Params: params, PatternType: PatternTypeStandard}
}

// typed sets the pattern type of an expected Basic query.
func typed(pt PatternType, b Basic) Basic {
	b.PatternType = pt
	return b
}
