package query

import (
	"strings"
	"time"
)

// AddFilter returns a copy of the plan with field:value added to every Basic query,
// as if it had been written at the top level of the query ANDed with the rest. A "-"
// prefix on field negates the filter; aliases are accepted. The result is checked
// like a parsed query: adding type:diff to a query with type:commit fails.
//
// Issue monitors use it to pin a query to one repository at one revision:
// AddFilter("repo", "^github\\.com/acme/api$@abc123").
func (p Plan) AddFilter(field, value string) (Plan, error) {
	return p.modify(field, value, false)
}

// ReplaceFilter is AddFilter after removing the filters of the same field and
// polarity (ReplaceFilter("count", "all") drops any count:, ReplaceFilter("-repo",
// "x") drops every -repo: but no repo:).
func (p Plan) ReplaceFilter(field, value string) (Plan, error) {
	return p.modify(field, value, true)
}

// RemoveFilter returns a copy of the plan without the filters of field (without "-":
// its non-negated ones; with "-": its negated ones).
func (p Plan) RemoveFilter(field string) (Plan, error) {
	f, neg, err := filterField(field, "")
	if err != nil {
		return nil, err
	}
	out := make(Plan, 0, len(p))
	for _, b := range p {
		nb, err := newBasic(without(b.Params, f, neg), b.Pattern, b.PatternType, b.options(), nil)
		if err != nil {
			return nil, err
		}
		out = append(out, nb)
	}
	return out, nil
}

func (p Plan) modify(field, value string, replace bool) (Plan, error) {
	f, neg, err := filterField(field, value)
	if err != nil {
		return nil, err
	}
	token := field + ":" + value
	out := make(Plan, 0, len(p))
	for _, b := range p {
		opts := b.options()
		v, msg := normalizeValue(f, value, &opts)
		if value == "" {
			msg = "filter " + f + ": needs a value"
		}
		if msg != "" {
			return nil, &Error{Pos: -1, Token: token, Msg: msg}
		}
		params := b.Params
		if replace {
			params = without(params, f, neg)
		}
		params = append(params[:len(params):len(params)], Parameter{Field: f, Value: v, Negated: neg, Pos: -1, Token: token})
		nb, err := newBasic(params, b.Pattern, b.PatternType, opts, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, nb)
	}
	return out, nil
}

// filterField resolves a field name given to a helper: canonical name and negation.
func filterField(field, value string) (string, bool, error) {
	neg := strings.HasPrefix(field, "-")
	f, ok := lookupField(strings.TrimPrefix(field, "-"))
	token := field + ":" + value
	switch {
	case !ok:
		return "", false, &Error{Pos: -1, Token: token, Msg: "unknown filter " + field}
	case f == FieldContent || f == FieldPatternType:
		return "", false, &Error{Pos: -1, Token: token, Msg: f + ": changes the patterns and cannot be added to a parsed query"}
	case neg && !fieldSpecs[f].negatable:
		return "", false, &Error{Pos: -1, Token: token, Msg: "filter " + f + ": cannot be negated"}
	}
	return f, neg, nil
}

func without(params []Parameter, field string, neg bool) []Parameter {
	var out []Parameter
	for _, p := range params {
		if p.Field != field || p.Negated != neg {
			out = append(out, p)
		}
	}
	return out
}

func (b Basic) options() Options {
	opts := b.opts
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if b.PatternType != "" {
		opts.PatternType = b.PatternType
	}
	return opts
}

// scopeFields are the filters a scope query may hold.
var scopeFields = map[string]bool{
	FieldRepo: true, FieldFork: true, FieldArchived: true, FieldVisibility: true, FieldContext: true,
}

// OnlyRepoFilters checks an insight scope query, which selects repositories and so
// may hold only repo:, -repo:, fork:, archived:, visibility: and context: filters
// (combined with AND, OR and NOT), and no pattern.
func OnlyRepoFilters(query string) error {
	ast, err := ParseAST(query, PatternTypeStandard)
	if err != nil {
		return err
	}
	if err := scopeOnly(ast.Root); err != nil {
		return err
	}
	_, err = ast.Plan(Options{})
	return err
}

func scopeOnly(n Node) error {
	const msg = "a scope query may hold only repo: filters (repo:, -repo:, fork:, archived:, visibility:, context:)"
	switch n := n.(type) {
	case *Pattern:
		return errorf(n.Pos, n.Token, msg)
	case *Parameter:
		if !scopeFields[n.Field] {
			return errorf(n.Pos, n.Token, msg)
		}
	case *Operator:
		for _, o := range n.Operands {
			if err := scopeOnly(o); err != nil {
				return err
			}
		}
	}
	return nil
}
