package search

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Search contexts are named sets of repository filters (context:NAME). Their rules are
// here so that the API and any other writer check them alike; who may write them is
// the caller's decision (the API lets site admins).

// contextName is what a context name may be: it must survive being written as
// context:NAME in a query (no spaces, quotes or parentheses), as Sourcegraph's names do.
var contextName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

const (
	// MaxContextNameLength and MaxContextDescriptionLength bound a context's name and
	// description (in characters).
	MaxContextNameLength        = 100
	MaxContextDescriptionLength = 1024
	// MaxContextQueryLength bounds a context's query (in bytes).
	MaxContextQueryLength = 4096
)

// ContextError is a search context's name or description that cannot be stored.
type ContextError struct {
	Field string // "name" or "description"
	Msg   string
}

func (e *ContextError) Error() string { return "invalid search context " + e.Field + ": " + e.Msg }

// CheckSearchContext checks a context before it is stored: its name (letters, digits,
// '.', '_', '/', '-', not "global", which means no context) and description length
// (*ContextError), and a query of repository filters only (repo:, -repo:, fork:,
// archived:, visibility:, and AND/OR), without a context: of its own (*query.Error).
func CheckSearchContext(name, description, q string) error {
	switch {
	case !contextName.MatchString(name):
		return &ContextError{Field: "name", Msg: fmt.Sprintf("%q: use letters, digits and . _ / - (starting with a letter or digit)", name)}
	case utf8.RuneCountInString(name) > MaxContextNameLength:
		return &ContextError{Field: "name", Msg: fmt.Sprintf("at most %d characters", MaxContextNameLength)}
	case strings.EqualFold(name, "global"):
		return &ContextError{Field: "name", Msg: `"global" is reserved: it means all repositories`}
	case utf8.RuneCountInString(description) > MaxContextDescriptionLength:
		return &ContextError{Field: "description", Msg: fmt.Sprintf("at most %d characters", MaxContextDescriptionLength)}
	case len(q) > MaxContextQueryLength:
		return &query.Error{Pos: -1, Msg: fmt.Sprintf("a search context query has at most %d bytes", MaxContextQueryLength)}
	}
	_, err := contextPlan(q, query.Options{})
	return err
}

// CreateSearchContext checks a context (CheckSearchContext) and stores it, so that
// queries can use context:NAME. A name in use is store.ErrSearchContextExists.
func CreateSearchContext(ctx context.Context, st *store.Store, name, description, q string) (*store.SearchContext, error) {
	if err := CheckSearchContext(name, description, q); err != nil {
		return nil, err
	}
	c, err := st.Search().CreateSearchContext(ctx, name, description, q)
	if err != nil {
		return nil, fmt.Errorf("storing search context %s: %w", name, err)
	}
	return c, nil
}
