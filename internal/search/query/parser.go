package query

import (
	"strings"
)

// MaxDepth bounds the nesting of parentheses and NOT, so that no input can exhaust
// the stack or make the plan step slow.
const MaxDepth = 64

// MaxQueryLength is the longest query text, in bytes, that any part of Lookout accepts:
// search, code monitor triggers, insight series and scopes, issue monitors, search
// contexts and campaign repositoriesMatchingQuery all parse through ParseAST. Parsing
// and planning are linear in the length, but every term becomes a pattern that each
// searched file is matched against, so the bound keeps one query's cost predictable.
// 16 KiB holds a hand-written query many times over (an alternation of ~800
// identifiers), while the 160 KB queries that used to take the parser most of a
// minute are refused at once.
const MaxQueryLength = 16 << 10

// AST is a parsed query before planning.
type AST struct {
	// Root is the whole query: usually an AND operator of its terms.
	Root Node
	// PatternType is the pattern type the patterns were read with: the query's
	// patterntype: filter if it has one, else the default given to ParseAST.
	PatternType PatternType
}

// ParseAST parses a query into a syntax tree, reading patterns with defaultType
// unless the query has a patterntype: filter ("" means standard). It checks syntax
// only; filter values are checked by AST.Plan.
func ParseAST(query string, defaultType PatternType) (*AST, error) {
	if len(query) > MaxQueryLength {
		return nil, errorf(MaxQueryLength, "", "query is too long: %d bytes, the limit is %d bytes (%d KiB)", len(query), MaxQueryLength, MaxQueryLength>>10)
	}
	return parseAST(query, defaultType)
}

// parseAST is ParseAST without the length limit (benchmarks show it is linear well
// past it).
func parseAST(query string, defaultType PatternType) (*AST, error) {
	pt, err := checkPatternType(defaultType)
	if err != nil {
		return nil, err
	}
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	if pt, err = patternTypeOf(toks, pt); err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errorf(0, "", "empty query")
	}
	p := &parser{toks: toks, pt: pt, end: len(query)}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok {
		// Only an unmatched ")" stops the top-level expression early.
		return nil, errorf(t.pos, t.raw, "unbalanced parenthesis: no ( to close")
	}
	return &AST{Root: root, PatternType: pt}, nil
}

// checkPatternType validates a pattern type given by the API (not by the query).
func checkPatternType(pt PatternType) (PatternType, error) {
	if pt == "" {
		return PatternTypeStandard, nil
	}
	norm, msg := parsePatternType(string(pt))
	if msg != "" {
		return "", &Error{Pos: -1, Msg: msg}
	}
	return norm, nil
}

func parsePatternType(v string) (PatternType, string) {
	switch strings.ToLower(v) {
	case "standard":
		return PatternTypeStandard, ""
	case "literal":
		return PatternTypeLiteral, ""
	case "regexp", "regex":
		return PatternTypeRegexp, ""
	case "keyword":
		return PatternTypeKeyword, ""
	case "structural":
		return "", "structural search is not supported"
	default:
		return "", "unknown pattern type " + quote(v) + " (want standard, literal, regexp or keyword)"
	}
}

// patternTypeOf finds the query's patterntype: filters, which apply to the whole
// query wherever they are written, and must agree.
func patternTypeOf(toks []token, def PatternType) (PatternType, error) {
	var found *token
	var pt PatternType
	for i := range toks {
		t := &toks[i]
		if t.kind != tokParam || t.field != FieldPatternType {
			continue
		}
		v, msg := parsePatternType(t.value)
		if msg != "" {
			return "", errorf(t.pos, t.raw, "%s", msg)
		}
		if found != nil && v != pt {
			return "", errorf(t.pos, t.raw, "patterntype: may appear only once (found %s and %s)", pt, v)
		}
		found, pt = t, v
	}
	if found == nil {
		return def, nil
	}
	return pt, nil
}

type parser struct {
	toks  []token
	i     int
	pt    PatternType
	depth int
	end   int // length of the query, the position of errors at the end
}

func (p *parser) peek() (token, bool) {
	if p.i >= len(p.toks) {
		return token{}, false
	}
	return p.toks[p.i], true
}

// operandError reports a missing operand after an operator token.
func (p *parser) operandError(op token) error {
	if t, ok := p.peek(); ok {
		return errorf(t.pos, t.raw, "expected a pattern or filter after %s", op.raw)
	}
	return errorf(op.pos, op.raw, "expected a pattern or filter after %s", op.raw)
}

// startsTerm reports whether a token can begin a term (an operand of AND).
func startsTerm(t token) bool {
	switch t.kind {
	case tokWord, tokQuoted, tokSlash, tokParam, tokLParen, tokNot:
		return true
	}
	return false
}

// or parses: and (OR and)*.
func (p *parser) or() (Node, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	operands := []Node{first}
	for {
		t, ok := p.peek()
		if !ok || t.kind != tokOr {
			break
		}
		p.i++
		if next, ok := p.peek(); !ok || !startsTerm(next) {
			return nil, p.operandError(t)
		}
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		operands = append(operands, n)
	}
	if len(operands) == 1 {
		return first, nil
	}
	return &Operator{Kind: Or, Operands: operands, Pos: first.Position()}, nil
}

// and parses: term ((AND)? term)*. Terms side by side are ANDed.
func (p *parser) and() (Node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, errorf(p.end, "", "expected a pattern or filter")
	}
	if !startsTerm(t) {
		switch t.kind {
		case tokAnd, tokOr:
			return nil, errorf(t.pos, t.raw, "expected a pattern or filter before %s", t.raw)
		default: // ")"
			return nil, errorf(t.pos, t.raw, "unbalanced parenthesis: no ( to close")
		}
	}
	var operands []Node
	for {
		t, ok := p.peek()
		if !ok {
			break
		}
		if t.kind == tokAnd {
			p.i++
			if next, ok := p.peek(); !ok || !startsTerm(next) {
				return nil, p.operandError(t)
			}
		} else if !startsTerm(t) {
			break
		}
		n, err := p.term()
		if err != nil {
			return nil, err
		}
		operands = append(operands, n)
	}
	if len(operands) == 1 {
		return operands[0], nil
	}
	return &Operator{Kind: And, Operands: operands, Pos: operands[0].Position()}, nil
}

// term parses: NOT term | ( or ) | pattern | parameter.
func (p *parser) term() (Node, error) {
	t := p.toks[p.i]
	switch t.kind {
	case tokNot, tokLParen:
		if p.depth >= MaxDepth {
			return nil, errorf(t.pos, t.raw, "query is nested too deeply (more than %d levels of parentheses and NOT)", MaxDepth)
		}
		p.depth++
		defer func() { p.depth-- }()
	}
	p.i++
	switch t.kind {
	case tokNot:
		next, ok := p.peek()
		if !ok || !startsTerm(next) {
			return nil, p.operandError(t)
		}
		n, err := p.term()
		if err != nil {
			return nil, err
		}
		return &Operator{Kind: Not, Operands: []Node{n}, Pos: t.pos}, nil
	case tokLParen:
		next, ok := p.peek()
		if !ok {
			return nil, errorf(t.pos, t.raw, "unbalanced parenthesis: this ( is never closed")
		}
		if next.kind == tokRParen {
			return nil, errorf(t.pos, "()", `empty parentheses: write "()" to search for them`)
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if next, ok := p.peek(); !ok || next.kind != tokRParen {
			return nil, errorf(t.pos, t.raw, "unbalanced parenthesis: this ( is never closed")
		}
		p.i++
		return n, nil
	case tokParam:
		return p.param(t)
	default:
		return p.pattern(t)
	}
}

// pattern makes a pattern from a word, quoted string or /.../ token.
func (p *parser) pattern(t token) (Node, error) {
	pat := &Pattern{Pos: t.pos, Token: t.raw}
	switch {
	case t.kind == tokQuoted:
		pat.Value, pat.Kind = t.value, Literal
	case t.kind == tokSlash && p.pt != PatternTypeLiteral:
		pat.Value, pat.Kind = t.value, Regexp
	case t.kind == tokSlash:
		pat.Value, pat.Kind = t.raw, Literal
	case p.pt == PatternTypeRegexp:
		pat.Value, pat.Kind = t.value, Regexp
	default:
		pat.Value, pat.Kind = t.value, Literal
	}
	if pat.Value == "" {
		return nil, errorf(t.pos, t.raw, "empty pattern")
	}
	if pat.Kind == Regexp {
		pat.Value = unescapeSlashes(pat.Value)
	}
	return pat, nil
}

// param makes a parameter, or a pattern for content:, which states a pattern
// explicitly (so that text such as repo:x can be searched for).
func (p *parser) param(t token) (Node, error) {
	if t.field != FieldContent {
		return &Parameter{Field: t.field, Value: t.value, Negated: t.negated, Pos: t.pos, Token: t.raw}, nil
	}
	pat := &Pattern{Value: t.value, Kind: Literal, Negated: t.negated, Pos: t.pos, Token: t.raw}
	switch p.pt {
	case PatternTypeRegexp:
		pat.Kind = Regexp
	case PatternTypeStandard, PatternTypeKeyword:
		if !t.quoted {
			l := &lexer{s: t.value}
			if t.value[0] == '/' {
				if body, end, ok := l.slash(0); ok && end == len(t.value) {
					pat.Value, pat.Kind = body, Regexp
				}
			}
		}
	}
	if pat.Kind == Regexp {
		pat.Value = unescapeSlashes(pat.Value)
	}
	return pat, nil
}

// unescapeSlashes turns \/ into / in a regexp source. RE2 reads both alike; keeping
// one spelling lets /.../ delimiters be added back without ambiguity.
func unescapeSlashes(s string) string {
	if !strings.Contains(s, `\/`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] != '/' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
