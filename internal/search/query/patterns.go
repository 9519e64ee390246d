package query

// PatternOp is the kind of a PatternNode.
type PatternOp int

const (
	PatternLeaf PatternOp = iota // a single pattern
	PatternAnd                   // every operand matches
	PatternOr                    // some operand matches
)

// PatternNode is the pattern tree of a Basic query: leaves (possibly negated
// patterns) combined with AND and OR. NOT only appears at the leaves. AND nodes never
// hold AND nodes and OR nodes never hold OR nodes; both have two operands or more.
type PatternNode struct {
	Op       PatternOp
	Pattern  *Pattern       // PatternLeaf only
	Operands []*PatternNode // PatternAnd and PatternOr only
}

func leaf(p *Pattern) *PatternNode {
	c := *p
	return &PatternNode{Op: PatternLeaf, Pattern: &c}
}

// joinPatterns combines nodes with op, skipping nil ones, flattening nested nodes of
// the same op and returning a lone node as is (nil for none).
func joinPatterns(op PatternOp, nodes ...*PatternNode) *PatternNode {
	var operands []*PatternNode
	for _, n := range nodes {
		switch {
		case n == nil:
		case n.Op == op:
			operands = append(operands, n.Operands...)
		default:
			operands = append(operands, n)
		}
	}
	switch len(operands) {
	case 0:
		return nil
	case 1:
		return operands[0]
	}
	return &PatternNode{Op: op, Operands: operands}
}

// clone copies the tree, so that Basic queries sharing a subtree after distribution
// can set their own case flags.
func (n *PatternNode) clone() *PatternNode {
	if n == nil {
		return nil
	}
	c := &PatternNode{Op: n.Op}
	if n.Pattern != nil {
		p := *n.Pattern
		c.Pattern = &p
	}
	if n.Operands != nil {
		c.Operands = make([]*PatternNode, len(n.Operands))
		for i, o := range n.Operands {
			c.Operands[i] = o.clone()
		}
	}
	return c
}

// Eval evaluates the tree, given whether each (non-negated) pattern matches; match
// is called with the leaf's Pattern and Eval applies its negation. A nil tree is
// true: a query without a pattern matches whatever its filters select.
func (n *PatternNode) Eval(match func(*Pattern) bool) bool {
	if n == nil {
		return true
	}
	switch n.Op {
	case PatternAnd:
		for _, o := range n.Operands {
			if !o.Eval(match) {
				return false
			}
		}
		return true
	case PatternOr:
		for _, o := range n.Operands {
			if o.Eval(match) {
				return true
			}
		}
		return false
	default:
		return match(n.Pattern) != n.Pattern.Negated
	}
}

// Leaves returns the patterns of the tree, left to right. Non-negated ones are those
// whose matches a result shows (highlights).
func (n *PatternNode) Leaves() []*Pattern {
	var out []*Pattern
	var walk func(*PatternNode)
	walk = func(n *PatternNode) {
		if n == nil {
			return
		}
		if n.Op == PatternLeaf {
			out = append(out, n.Pattern)
			return
		}
		for _, o := range n.Operands {
			walk(o)
		}
	}
	walk(n)
	return out
}
