package httpapi

import (
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// defaultPageSize is what a connection returns when the query gives no `first`; the cost
// estimate assumes it for any field that selects `nodes` without one.
const defaultPageSize = 50

// Weights of the root fields that run searches. A plain field resolves one object
// from Postgres in about a millisecond; a search reads every repository in scope and
// takes seconds of CPU, so it weighs what tens of thousands of plain objects do.
const (
	// SearchWeight is the cost of a field that runs searches: search, the insight
	// previews, and createCampaignPlanFromSpec (repositoriesMatchingQuery).
	SearchWeight = 10_000
	// RepoScanWeight is the cost of a field that matches a query against every
	// repository name (previewRepositoriesFromQuery).
	RepoScanWeight = 1_000
	// FileWeight is the cost of reading one file whole (GitCommit.blob: up to 1 MiB held
	// for the response), so the cost limit bounds the bytes one request reads.
	FileWeight = 1_000
	// DefaultMaxExpensiveFields is how many such fields one operation may hold,
	// aliases and fragments included.
	DefaultMaxExpensiveFields = 5
)

// expensiveFields are the root fields that run searches or scan every repository,
// by operation type, with their weights.
var expensiveFields = map[ast.Operation]map[string]float64{
	ast.Query: {
		"search":                       SearchWeight,
		"searchInsightPreview":         SearchWeight,
		"searchInsightLivePreview":     SearchWeight,
		"previewRepositoriesFromQuery": RepoScanWeight,
	},
	ast.Mutation: {
		"createCampaignPlanFromSpec": SearchWeight,
	},
}

// nestedWeights are fields below the root that cost more than an object, by name (each
// name is one schema field's).
var nestedWeights = map[string]float64{
	"blob": FileWeight, // GitCommit.blob
}

// costEstimate is what an operation may cost before it runs.
type costEstimate struct {
	// Cost is the estimated objects resolved, expensive fields counting their weight.
	Cost float64
	// Expensive counts the operation's expensive root fields by name.
	Expensive map[string]int
}

// expensiveCount is the number of expensive root fields.
func (c costEstimate) expensiveCount() int {
	n := 0
	for _, k := range c.Expensive {
		n += k
	}
	return n
}

// estimateCost estimates how many objects an operation may resolve: every field counts
// one (an expensive root field its weight), and a field's children count as many times
// as the page size it asks for (`first` or `last`), so nested connections multiply. A
// page size given by a variable is read from the request's variables, else from the
// variable's default. The graph-gophers executor has no such limit of its own; depth
// alone does not stop `a(first:1000){nodes{b(first:1000){...}}}`.
func estimateCost(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) costEstimate {
	fragments := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		fragments[f.Name] = f
	}
	c := &coster{fragments: fragments, vars: effectiveVariables(op, vars), expensive: expensiveFields[op.Operation]}
	est := costEstimate{Cost: c.selectionCost(op.SelectionSet, 0, true), Expensive: c.counted}
	return est
}

// effectiveVariables are the request's variables over the operation's defaults, as the
// executor will see them.
func effectiveVariables(op *ast.OperationDefinition, vars map[string]any) map[string]any {
	out := make(map[string]any, len(op.VariableDefinitions))
	for _, d := range op.VariableDefinitions {
		if d.DefaultValue != nil {
			out[d.Variable] = d.DefaultValue.Raw
		}
	}
	for k, v := range vars {
		if v == nil {
			// An explicit null leaves the argument to the field's own default.
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

type coster struct {
	fragments map[string]*ast.FragmentDefinition
	vars      map[string]any
	expensive map[string]float64 // of the operation's root type
	counted   map[string]int
}

// selectionCost costs a selection set; root is set while the set is the operation's
// own (through fragments and inline fragments), where expensive fields live.
func (c *coster) selectionCost(set ast.SelectionSet, depth int, root bool) float64 {
	if depth > 64 { // fragment cycles are rejected by validation; this is a backstop
		return math.Inf(1)
	}
	var total float64
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			weight := 1.0
			if w, ok := nestedWeights[s.Name]; ok && !root {
				weight = w
			}
			if w, ok := c.expensive[s.Name]; ok && root {
				weight = w
				if c.counted == nil {
					c.counted = map[string]int{}
				}
				c.counted[s.Name]++
			}
			total += weight
			if len(s.SelectionSet) > 0 {
				total += c.pageSize(s) * c.selectionCost(s.SelectionSet, depth+1, false)
			}
		case *ast.InlineFragment:
			total += c.selectionCost(s.SelectionSet, depth+1, root)
		case *ast.FragmentSpread:
			if f := c.fragments[s.Name]; f != nil {
				total += c.selectionCost(f.SelectionSet, depth+1, root)
			}
		}
	}
	return total
}

func (c *coster) pageSize(f *ast.Field) float64 {
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil || arg.Value == nil {
			continue
		}
		var raw any
		if arg.Value.Kind == ast.Variable {
			v, ok := c.vars[arg.Value.Raw]
			if !ok {
				continue // unset and without a default: the field's default applies
			}
			raw = v
		} else if arg.Value.Kind == ast.NullValue {
			continue
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
