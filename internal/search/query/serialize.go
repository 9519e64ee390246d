package query

import "strings"

// The canonical form written by Basic.String and Plan.String parses back to the same
// plan: filters first, in order, then the pattern tree; literal patterns bare when
// that reads back the same, quoted otherwise; regexps between slashes (bare under
// patterntype:regexp when possible).

// quote writes s as a double-quoted string the lexer reads back exactly.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// escapeSlashes prepares a regexp source (which never holds \/, see
// unescapeSlashes) for /.../ delimiters.
func escapeSlashes(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case s[i] == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// bareWord reports whether s, written as is, lexes back as one word with value s,
// even before a closing parenthesis (so foo( must be quoted: (a OR foo() would read
// foo() as the word). A word starting with a slash is never bare: a later slash in
// the query could close it (/ / is a regexp).
func bareWord(s string) bool {
	if strings.HasPrefix(s, "/") {
		return false
	}
	toks, err := lex(s + ")")
	return err == nil && len(toks) == 2 && toks[0].kind == tokWord && toks[0].raw == s && toks[1].kind == tokRParen
}

// formatValue writes a filter value bare when field:value lexes back to it, even
// before a closing parenthesis.
func formatValue(field, v string) string {
	if toks, err := lex(field + ":" + v + ")"); err == nil && len(toks) == 2 &&
		toks[0].kind == tokParam && !toks[0].quoted && toks[0].value == v && toks[1].kind == tokRParen {
		return v
	}
	return quote(v)
}

func formatParam(p Parameter) string {
	neg := ""
	if p.Negated {
		neg = "-"
	}
	return neg + p.Field + ":" + formatValue(p.Field, p.Value)
}

func formatPattern(p *Pattern, pt PatternType) string {
	var s string
	switch {
	case p.Kind == Regexp && pt == PatternTypeRegexp && bareWord(p.Value):
		s = p.Value
	case p.Kind == Regexp:
		s = "/" + escapeSlashes(p.Value) + "/"
	case pt != PatternTypeRegexp && bareWord(p.Value):
		s = p.Value
	default:
		s = quote(p.Value)
	}
	if p.Negated {
		return "NOT " + s
	}
	return s
}

func writePatternNode(b *strings.Builder, n *PatternNode, pt PatternType) {
	switch n.Op {
	case PatternLeaf:
		b.WriteString(formatPattern(n.Pattern, pt))
	case PatternAnd:
		for i, o := range n.Operands {
			if i > 0 {
				b.WriteByte(' ')
			}
			if o.Op == PatternOr {
				b.WriteByte('(')
				writePatternNode(b, o, pt)
				b.WriteByte(')')
			} else {
				writePatternNode(b, o, pt)
			}
		}
	case PatternOr:
		// AND binds tighter than OR: operands need no parentheses.
		for i, o := range n.Operands {
			if i > 0 {
				b.WriteString(" OR ")
			}
			writePatternNode(b, o, pt)
		}
	}
}

// String renders the tree in the canonical form of the standard pattern type.
func (n *PatternNode) String() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	writePatternNode(&b, n, PatternTypeStandard)
	return b.String()
}

func formatBasic(q Basic) string {
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
	}
	if q.PatternType != "" && q.PatternType != PatternTypeStandard {
		b.WriteString("patterntype:" + string(q.PatternType))
	}
	for _, p := range q.Params {
		sep()
		b.WriteString(formatParam(p))
	}
	if q.Pattern != nil {
		sep()
		if q.Pattern.Op == PatternOr && b.Len() > 0 {
			b.WriteByte('(')
			writePatternNode(&b, q.Pattern, q.PatternType)
			b.WriteByte(')')
		} else {
			writePatternNode(&b, q.Pattern, q.PatternType)
		}
	}
	return b.String()
}

// String renders the Basic query in canonical form: what Lookout stores as "the query
// as run". It parses back to the same Basic query.
func (b Basic) String() string { return formatBasic(b) }

// String renders the plan in canonical form: each Basic query, ORed. It parses back
// to the same plan.
func (p Plan) String() string {
	if len(p) == 1 {
		return p[0].String()
	}
	var b strings.Builder
	for i, q := range p {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		b.WriteString(q.String())
		b.WriteByte(')')
	}
	return b.String()
}
