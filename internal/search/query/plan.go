package query

import (
	"context"
	"slices"
	"time"
)

// MaxBasicQueries bounds the number of Basic queries a query may expand to, since
// distributing filters over OR can multiply them.
const MaxBasicQueries = 128

// Options tune parsing. The zero value is the default.
type Options struct {
	// PatternType is the pattern type when the query has no patterntype: filter (the
	// GraphQL API passes one). Zero means standard.
	PatternType PatternType
	// Now is the time relative dates ("3 weeks ago") are counted from. Zero means
	// the time of parsing.
	Now time.Time
	// MaxTimeout bounds timeout:. Zero means DefaultMaxTimeout.
	MaxTimeout time.Duration
}

func (o *Options) maxTimeout() time.Duration {
	if o.MaxTimeout > 0 {
		return o.MaxTimeout
	}
	return DefaultMaxTimeout
}

// Plan is a query in disjunctive normal form: the executor runs every Basic query and
// unions the results.
type Plan []Basic

// Basic is a conjunction: results must satisfy every filter and the pattern tree.
type Basic struct {
	// Params are the filters in source order, canonical and without duplicates;
	// patterntype: is not among them (see PatternType).
	Params []Parameter
	// Pattern is the pattern tree, nil when the query has no pattern (as in
	// type:commit author:alice).
	Pattern *PatternNode
	// PatternType is the pattern type the query was read with.
	PatternType PatternType

	r    *resolved // typed filter values, see basic.go
	opts Options   // to re-resolve after AddFilter and friends
}

// Parse parses a query with the default options.
func Parse(query string) (Plan, error) {
	return ParseWith(query, Options{})
}

// ParseWith parses a query and plans it.
func ParseWith(query string, opts Options) (Plan, error) {
	return ParseContext(context.Background(), query, opts)
}

// ParseContext parses a query and plans it, giving up with ctx's error when ctx is
// done before the plan is (the search timeout bounds planning too).
func ParseContext(ctx context.Context, query string, opts Options) (Plan, error) {
	ast, err := ParseAST(query, opts.PatternType)
	if err != nil {
		return nil, err
	}
	return ast.PlanContext(ctx, opts)
}

// Plan validates the filters of the tree and converts it to disjunctive normal form.
func (a *AST) Plan(opts Options) (Plan, error) {
	return a.PlanContext(context.Background(), opts)
}

// PlanContext is Plan, checking ctx as it goes: it returns ctx's error (not an
// *Error) when ctx is done first.
func (a *AST) PlanContext(ctx context.Context, opts Options) (Plan, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.PatternType = a.PatternType
	pl := &planner{ctx: ctx, opts: &opts, checked: map[patternKey]bool{}}
	n, err := pl.toNNF(a.Root, false)
	if err != nil {
		return nil, err
	}
	conjs, err := pl.dnf(n)
	if err != nil {
		return nil, err
	}
	plan := make(Plan, 0, len(conjs))
	cache := reCache{}
	for _, c := range conjs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := newBasic(c.params, joinPatterns(PatternAnd, c.patterns...), a.PatternType, opts, cache)
		if err != nil {
			return nil, err
		}
		plan = append(plan, b)
	}
	return plan, nil
}

// planner carries what the plan step's recursions share. Every step is linear in the
// size of the tree (times the at most MaxBasicQueries branches), and ctx is checked
// every few hundred nodes so that a cancelled request stops planning too.
type planner struct {
	ctx     context.Context
	opts    *Options
	steps   int
	checked map[patternKey]bool // patterns that compile
}

type patternKey struct {
	kind  PatternKind
	value string
}

// tick counts a node and checks ctx now and then.
func (pl *planner) tick() error {
	pl.steps++
	if pl.steps%256 == 0 {
		return pl.ctx.Err()
	}
	return nil
}

// nnf is the tree in negation normal form: NOT is gone, pushed down to the leaves
// with De Morgan's laws (negated patterns, negated filters).
type nnf struct {
	pattern  *Pattern
	param    *Parameter
	op       OperatorKind // And or Or, for an inner node
	operands []*nnf
	hasParam bool // a filter is somewhere below
}

func (pl *planner) toNNF(n Node, neg bool) (*nnf, error) {
	if err := pl.tick(); err != nil {
		return nil, err
	}
	switch n := n.(type) {
	case *Pattern:
		p := *n
		p.Negated = p.Negated != neg
		// The same pattern written many times (a query repeating a term) is
		// compiled once.
		if k := (patternKey{p.Kind, p.Value}); !pl.checked[k] {
			if err := checkPattern(&p); err != nil {
				return nil, err
			}
			pl.checked[k] = true
		}
		return &nnf{pattern: &p}, nil
	case *Parameter:
		p := *n
		if neg && !fieldSpecs[p.Field].negatable {
			return nil, errorf(p.Pos, p.Token, "filter %s: cannot be negated", p.Field)
		}
		p.Negated = p.Negated != neg
		v, msg := normalizeValue(p.Field, p.Value, pl.opts)
		if msg != "" {
			return nil, errorf(p.Pos, p.Token, "%s", msg)
		}
		p.Value = v
		return &nnf{param: &p, hasParam: true}, nil
	case *Operator:
		if n.Kind == Not {
			if len(n.Operands) != 1 {
				return nil, errorf(n.Pos, "NOT", "NOT needs one operand")
			}
			return pl.toNNF(n.Operands[0], !neg)
		}
		op := n.Kind
		if neg { // De Morgan
			if op == And {
				op = Or
			} else {
				op = And
			}
		}
		x := &nnf{op: op, operands: make([]*nnf, 0, len(n.Operands))}
		for _, o := range n.Operands {
			c, err := pl.toNNF(o, neg)
			if err != nil {
				return nil, err
			}
			x.operands = append(x.operands, c)
			x.hasParam = x.hasParam || c.hasParam
		}
		if len(x.operands) == 0 {
			return nil, errorf(n.Pos, n.Kind.String(), "%s needs operands", n.Kind)
		}
		return x, nil
	}
	return nil, errorf(0, "", "unknown syntax tree node %T", n)
}

// conj is one term of the disjunctive normal form: filters and the pattern trees
// ANDed with them, joined once at the end (joining at every step would copy the
// growing AND node for each term: quadratic in the number of terms).
type conj struct {
	params   []Parameter
	patterns []*PatternNode
}

// dnf distributes AND over the OR nodes that hold filters. An OR of patterns only
// stays in the pattern tree: one search evaluates it, without duplicate results.
func (pl *planner) dnf(x *nnf) ([]conj, error) {
	if err := pl.tick(); err != nil {
		return nil, err
	}
	switch {
	case x.pattern != nil:
		return []conj{{patterns: []*PatternNode{leaf(x.pattern)}}}, nil
	case x.param != nil:
		return []conj{{params: []Parameter{*x.param}}}, nil
	case !x.hasParam:
		return []conj{{patterns: []*PatternNode{toPattern(x)}}}, nil
	case x.op == Or:
		var out []conj
		for _, o := range x.operands {
			cs, err := pl.dnf(o)
			if err != nil {
				return nil, err
			}
			if len(out)+len(cs) > MaxBasicQueries {
				return nil, tooMany()
			}
			out = append(out, cs...)
		}
		return out, nil
	default: // And
		out := []conj{{}}
		for _, o := range x.operands {
			cs, err := pl.dnf(o)
			if err != nil {
				return nil, err
			}
			if len(cs) == 1 {
				// The common case (a term, a filter): extend every branch in place.
				// Each branch owns its slices (see below), so appending is safe.
				for i := range out {
					out[i].params = append(out[i].params, cs[0].params...)
					out[i].patterns = append(out[i].patterns, cs[0].patterns...)
				}
				continue
			}
			if len(out)*len(cs) > MaxBasicQueries {
				return nil, tooMany()
			}
			// At most log2(MaxBasicQueries) operands multiply the branches, so these
			// copies stay linear in the size of the query.
			product := make([]conj, 0, len(out)*len(cs))
			for _, a := range out {
				for _, b := range cs {
					product = append(product, conj{
						params:   slices.Concat(a.params, b.params),
						patterns: slices.Concat(a.patterns, b.patterns),
					})
				}
			}
			out = product
		}
		return out, nil
	}
}
func tooMany() error {
	return errorf(0, "", "query expands to more than %d basic queries: simplify the OR expressions that hold filters", MaxBasicQueries)
}

func toPattern(x *nnf) *PatternNode {
	if x.pattern != nil {
		return leaf(x.pattern)
	}
	op := PatternAnd
	if x.op == Or {
		op = PatternOr
	}
	nodes := make([]*PatternNode, len(x.operands))
	for i, o := range x.operands {
		nodes[i] = toPattern(o)
	}
	return joinPatterns(op, nodes...)
}

// newBasic makes a Basic query from the filters and pattern tree of one branch:
// it drops duplicates and patterntype:, checks the filters against each other and
// resolves their typed values.
func newBasic(params []Parameter, pattern *PatternNode, pt PatternType, opts Options, cache reCache) (Basic, error) {
	b := Basic{PatternType: pt, opts: opts}
	var ptParam *Parameter
	type paramKey struct {
		field, value string
		negated      bool
	}
	seen := make(map[paramKey]bool, len(params))
	for i, p := range params {
		if p.Field == FieldPatternType {
			ptParam = &params[i]
			continue
		}
		if k := (paramKey{p.Field, p.Value, p.Negated}); !seen[k] {
			seen[k] = true
			b.Params = append(b.Params, p)
		}
	}
	if len(b.Params) == 0 && pattern == nil {
		if ptParam != nil {
			return Basic{}, errorf(ptParam.Pos, ptParam.Token, "a query needs a pattern or a filter besides patterntype:")
		}
		return Basic{}, errorf(0, "", "empty query")
	}
	r, err := resolve(b.Params, &opts, cache)
	if err != nil {
		return Basic{}, err
	}
	b.r = r
	if pattern != nil {
		b.Pattern = pattern.clone()
		for _, p := range b.Pattern.Leaves() {
			p.CaseSensitive = r.caseSensitive
		}
	}
	return b, nil
}

// checkPattern checks that a pattern compiles. It compiles the case-insensitive
// form, the larger of the two, so the case flag a Basic query sets later is safe.
func checkPattern(p *Pattern) error {
	if p.Kind == Regexp {
		if msg := checkRegexp(p.Value); msg != "" {
			return errorf(p.Pos, p.Token, "%s", msg)
		}
	}
	c := *p
	c.CaseSensitive = false
	if _, err := c.Compile(); err != nil {
		return errorf(p.Pos, p.Token, "invalid pattern: %v", err)
	}
	return nil
}

// Types returns the result types of all Basic queries, without duplicates.
func (p Plan) Types() []ResultType {
	var out []ResultType
	seen := map[ResultType]bool{}
	for _, b := range p {
		for _, t := range b.Types() {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// CheckCommitOrDiff returns ErrCommitOrDiffRequired unless every Basic query searches
// only commits or diffs, as code monitors require.
func (p Plan) CheckCommitOrDiff() error {
	for _, b := range p {
		if !b.IsCommitOrDiff() {
			return ErrCommitOrDiffRequired
		}
	}
	return nil
}
