package query

import (
	"regexp"
	"strings"
)

// PatternType says how bare words and /.../ tokens are read.
type PatternType string

// The pattern types. The zero value stands for PatternTypeStandard.
const (
	// PatternTypeStandard reads words as literal text and /.../ as a regexp.
	PatternTypeStandard PatternType = "standard"
	// PatternTypeLiteral reads everything as literal text, /x/ included.
	PatternTypeLiteral PatternType = "literal"
	// PatternTypeRegexp reads every bare word as a regexp.
	PatternTypeRegexp PatternType = "regexp"
	// PatternTypeKeyword reads terms as ANDed literal words and /.../ as a regexp,
	// which is what standard does in Lookout.
	PatternTypeKeyword PatternType = "keyword"
)

// PatternKind says whether a pattern's Value is literal text or a regexp.
type PatternKind int

const (
	Literal PatternKind = iota // Value is text to find as is
	Regexp                     // Value is an RE2 regexp
)

func (k PatternKind) String() string {
	if k == Regexp {
		return "regexp"
	}
	return "literal"
}

// Node is a node of the syntax tree: *Pattern, *Parameter or *Operator.
type Node interface {
	// Position is the byte offset in the query of the node's first token.
	Position() int
	node()
}

// Pattern is a search pattern: text (or a regexp) to find in file content, paths or
// commits.
type Pattern struct {
	// Value is the literal text, or the regexp source (RE2 syntax) without delimiters.
	Value string
	Kind  PatternKind
	// Negated patterns must not match (NOT foo, -content:foo).
	Negated bool
	// CaseSensitive is set by the plan step from the case: filter of the Basic query
	// holding the pattern; it is false in a bare AST.
	CaseSensitive bool
	Pos           int    // byte offset of the token in the query
	Token         string // the token as written
}

// Parameter is a filter, field:value. Field is canonical (aliases resolved). In a
// Basic query the Value is normalised too (lower-case enums, linguist language names).
type Parameter struct {
	Field   string
	Value   string
	Negated bool
	Pos     int    // byte offset of the token in the query; -1 when added by a helper
	Token   string // the token as written
}

// OperatorKind is AND, OR or NOT.
type OperatorKind int

const (
	And OperatorKind = iota // every operand
	Or                      // some operand
	Not                     // not the operand
)

func (k OperatorKind) String() string {
	switch k {
	case Or:
		return "OR"
	case Not:
		return "NOT"
	default:
		return "AND"
	}
}

// Operator combines operands: AND and OR have two or more, NOT exactly one. Terms
// written side by side are an AND like an explicit AND.
type Operator struct {
	Kind     OperatorKind
	Operands []Node
	Pos      int
}

func (p *Pattern) Position() int   { return p.Pos }
func (p *Parameter) Position() int { return p.Pos }
func (o *Operator) Position() int  { return o.Pos }
func (*Pattern) node()             {}
func (*Parameter) node()           {}
func (*Operator) node()            {}

// RegexpSource returns the pattern as a regexp source for matching: literal text is
// quoted with regexp.QuoteMeta, and (?i) is prepended unless the pattern is case
// sensitive. Negation is not part of it: see PatternNode.Eval.
func (p *Pattern) RegexpSource() string {
	src := p.Value
	if p.Kind == Literal {
		src = regexp.QuoteMeta(src)
	}
	if !p.CaseSensitive {
		src = "(?i)" + src
	}
	return src
}

// Compile compiles RegexpSource. It does not fail for a pattern of a parsed plan.
func (p *Pattern) Compile() (*regexp.Regexp, error) {
	return regexp.Compile(p.RegexpSource())
}

// String renders a syntax tree as S-expressions, (AND a (OR b c)), with patterns
// written as in the standard pattern type, for debugging and tests. The canonical
// query text of a parsed query is Plan.String.
func String(n Node) string {
	var b strings.Builder
	writeNode(&b, n)
	return b.String()
}

func writeNode(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *Pattern:
		b.WriteString(formatPattern(n, PatternTypeStandard))
	case *Parameter:
		b.WriteString(formatParam(*n))
	case *Operator:
		b.WriteString("(")
		b.WriteString(n.Kind.String())
		for _, o := range n.Operands {
			b.WriteString(" ")
			writeNode(b, o)
		}
		b.WriteString(")")
	}
}
