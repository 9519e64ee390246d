package httpapi

import (
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// defaultPageSize is what a connection returns when the query gives no `first`; the cost
// estimate assumes it for any field that selects `nodes` without one.
const defaultPageSize = 50

// estimateCost estimates how many objects an operation may resolve: every field counts
// one, and a field's children count as many times as the page size it asks for (`first`
// or `last`), so nested connections multiply. The graph-gophers executor has no such
// limit of its own; depth alone does not stop `a(first:1000){nodes{b(first:1000){...}}}`.
func estimateCost(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) float64 {
	fragments := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		fragments[f.Name] = f
	}
	return selectionCost(op.SelectionSet, fragments, vars, 0)
}

func selectionCost(set ast.SelectionSet, fragments map[string]*ast.FragmentDefinition, vars map[string]any, depth int) float64 {
	if depth > 64 { // fragment cycles are rejected by validation; this is a backstop
		return math.Inf(1)
	}
	var total float64
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total += 1
			if len(s.SelectionSet) > 0 {
				total += pageSize(s, vars) * selectionCost(s.SelectionSet, fragments, vars, depth+1)
			}
		case *ast.InlineFragment:
			total += selectionCost(s.SelectionSet, fragments, vars, depth+1)
		case *ast.FragmentSpread:
			if f := fragments[s.Name]; f != nil {
				total += selectionCost(f.SelectionSet, fragments, vars, depth+1)
			}
		}
	}
	return total
}

func pageSize(f *ast.Field, vars map[string]any) float64 {
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil || arg.Value == nil {
			continue
		}
		var raw any
		if arg.Value.Kind == ast.Variable {
			raw = vars[arg.Value.Raw]
		} else {
			raw = arg.Value.Raw
		}
		switch v := raw.(type) {
		case string:
			if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 1 {
				return n
			}
		case float64:
			if v >= 1 {
				return v
			}
		case int:
			if v >= 1 {
				return float64(v)
			}
		}
		return 1
	}
	for _, sel := range f.SelectionSet {
		if child, ok := sel.(*ast.Field); ok && child.Name == "nodes" {
			return defaultPageSize
		}
	}
	return 1
}
