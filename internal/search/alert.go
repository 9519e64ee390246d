package search

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Alert says why a search that found nothing most likely did, with queries that would
// find something: the API's SearchResults.alert, which Sourcegraph's clients show above
// empty results. Alerts name no repository, so they reveal nothing the viewer may not
// see.
type Alert struct {
	Title       string
	Description string
	// ProposedQueries are queries to run instead, each parsed (and so valid).
	ProposedQueries []ProposedQuery
}

// ProposedQuery is a query to try, with what it changes.
type ProposedQuery struct {
	Description string
	Query       string
}

// Alert returns the alert of a finished search of req, or nil when the search found
// something or nothing points at a mistake. The checks, first that applies:
//
//   - the repository scope (repo:, -repo:, context:, fork:, archived:) admits no
//     repository the viewer may see: proposes the query with forks or archived
//     repositories included, or without its context or repo: filters, whichever
//     admits some;
//   - repositories in scope are still being cloned;
//   - the search timed out: proposes a longer timeout:;
//   - case:yes: proposes the query without it;
//   - a literal pattern that looks like a regular expression (foo.*bar, \bword,
//     a|b): proposes the query read as regular expressions.
//
// Only the first check reads the store (the repositories the viewer may see), and only
// when the search found nothing.
func (s *Service) Alert(ctx context.Context, req Request, res *Results) (*Alert, error) {
	if res.MatchCount > 0 {
		return nil, nil
	}
	plan := res.Plan
	if a, err := s.scopeAlert(ctx, req, plan); a != nil || err != nil {
		return a, err
	}
	if len(res.Cloning) > 0 {
		return &Alert{
			Title:       "Repositories are still being cloned",
			Description: fmt.Sprintf("%d of the repositories this query covers are not cloned yet, so they were not searched; search again in a moment.", len(res.Cloning)),
		}, nil
	}
	if len(res.TimedOut) > 0 {
		return timeoutAlert(plan, len(res.TimedOut)), nil
	}
	if caseSensitive(plan) {
		if p, err := plan.RemoveFilter(query.FieldCase); err == nil {
			return &Alert{
				Title:           "No results matching the case",
				Description:     "case:yes matches only text with the same upper and lower case letters as the pattern.",
				ProposedQueries: []ProposedQuery{{Description: "ignore case", Query: p.String()}},
			}, nil
		}
	}
	return regexpAlert(req, plan), nil
}

// scopeAlert is the alert of a query whose repository scope admits nothing.
func (s *Service) scopeAlert(ctx context.Context, req Request, plan query.Plan) (*Alert, error) {
	if req.RepoIDs != nil {
		return nil, nil // the caller chose the repositories
	}
	visible, err := s.store.Repos().List(ctx, req.Viewer, store.RepoListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	if len(visible) == 0 {
		return &Alert{
			Title:       "No repositories to search",
			Description: "You can see no repositories yet: a site admin adds them with a code host connection (addExternalService).",
		}, nil
	}
	admitsAny := func(p query.Plan) (bool, error) {
		for _, b := range p {
			ctxPlan, err := LoadSearchContext(ctx, s.store, b.Context(), query.Options{Now: req.Now})
			if err != nil {
				return false, err
			}
			for _, r := range visible {
				if ScopeAdmits(b, ctxPlan, r) {
					return true, nil
				}
			}
		}
		return false, nil
	}
	if ok, err := admitsAny(plan); ok || err != nil {
		return nil, err
	}
	a := &Alert{
		Title:       "No repositories match the query",
		Description: "The query's repository filters (repo:, -repo:, context:, fork:, archived:) leave out every repository you can see.",
	}
	for _, alt := range []struct {
		description string
		change      func(query.Plan) (query.Plan, error)
	}{
		{"include forks", func(p query.Plan) (query.Plan, error) { return p.ReplaceFilter(query.FieldFork, "yes") }},
		{"include archived repositories", func(p query.Plan) (query.Plan, error) { return p.ReplaceFilter(query.FieldArchived, "yes") }},
		{"include forks and archived repositories", func(p query.Plan) (query.Plan, error) {
			p, err := p.ReplaceFilter(query.FieldFork, "yes")
			if err != nil {
				return nil, err
			}
			return p.ReplaceFilter(query.FieldArchived, "yes")
		}},
		{"search every repository, not only the context's", func(p query.Plan) (query.Plan, error) { return p.RemoveFilter(query.FieldContext) }},
		{"search every repository", func(p query.Plan) (query.Plan, error) {
			p, err := p.RemoveFilter(query.FieldRepo)
			if err != nil {
				return nil, err
			}
			return p.RemoveFilter("-" + query.FieldRepo)
		}},
	} {
		p, err := alt.change(plan)
		if err != nil || p.String() == plan.String() {
			continue
		}
		if ok, err := admitsAny(p); err != nil {
			return nil, err
		} else if ok {
			a.ProposedQueries = append(a.ProposedQueries, ProposedQuery{Description: alt.description, Query: p.String()})
			break // the smallest change that admits something
		}
	}
	return a, nil
}

func timeoutAlert(plan query.Plan, n int) *Alert {
	a := &Alert{
		Title:       "Timed out while searching",
		Description: fmt.Sprintf("The search of %d repositories did not finish within its timeout.", n),
	}
	longest := query.DefaultTimeout
	for _, b := range plan {
		longest = max(longest, b.Timeout())
	}
	if next := min(2*longest, query.DefaultMaxTimeout); next > longest {
		if p, err := plan.ReplaceFilter(query.FieldTimeout, next.String()); err == nil {
			a.ProposedQueries = []ProposedQuery{{Description: "search for longer (timeout:" + next.String() + ")", Query: p.String()}}
		}
	} else {
		a.Description += " Narrow it with repo: or file: filters."
	}
	return a
}

func caseSensitive(plan query.Plan) bool {
	for _, b := range plan {
		if b.CaseSensitive() {
			return true
		}
	}
	return false
}

// looksLikeRegexp matches the constructs people write when they think a pattern is a
// regular expression: .* and .+, character classes and escapes, alternation, anchors,
// groups.
var looksLikeRegexp = regexp.MustCompile(`\.[*+?]|\\[bBdDwWsS.]|\[[^\]]+\]|\||^\^|\$$|\([^)]*\)[*+?]?`)

// regexpAlert proposes reading a query's literal patterns as regular expressions.
func regexpAlert(req Request, plan query.Plan) *Alert {
	if req.Query == "" {
		return nil
	}
	var suspect string
	for _, b := range plan {
		if b.PatternType == query.PatternTypeRegexp || b.PatternType == query.PatternTypeLiteral {
			continue // the author chose how patterns read
		}
		eachLeaf(b.Pattern, func(p *query.Pattern) {
			quoted := strings.HasPrefix(p.Token, `"`) || strings.HasPrefix(p.Token, `'`)
			if suspect == "" && p.Kind == query.Literal && !quoted && looksLikeRegexp.MatchString(p.Value) {
				suspect = p.Value
			}
		})
	}
	if suspect == "" {
		return nil
	}
	p, err := query.ParseWith(req.Query, query.Options{PatternType: query.PatternTypeRegexp, Now: req.Now})
	if err != nil {
		return nil // not a valid regular expression after all
	}
	return &Alert{
		Title:           "No results for a pattern that looks like a regular expression",
		Description:     fmt.Sprintf("%q was searched as literal text; write /.../ around a regular expression, or use patterntype:regexp.", suspect),
		ProposedQueries: []ProposedQuery{{Description: "read the patterns as regular expressions", Query: p.String()}},
	}
}

func eachLeaf(n *query.PatternNode, fn func(*query.Pattern)) {
	if n == nil {
		return
	}
	if n.Op == query.PatternLeaf {
		fn(n.Pattern)
		return
	}
	for _, o := range n.Operands {
		eachLeaf(o, fn)
	}
}
