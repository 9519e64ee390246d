package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
)

func TestCheckSearchContext(t *testing.T) {
	for _, tc := range []struct {
		name, description, query string
		want                     string // "" ok, "context" a *search.ContextError, "query" a *query.Error
	}{
		{"acme", "", "repo:acme", ""},
		{"acme/api-v1.2_x", "d", `repo:^acme/api$ OR (repo:web -repo:legacy fork:yes archived:no visibility:public)`, ""},
		{"a b", "", "repo:a", "context"},
		{"-a", "", "repo:a", "context"},
		{"a\"b", "", "repo:a", "context"},
		{"", "", "repo:a", "context"},
		{"Global", "", "repo:a", "context"},
		{strings.Repeat("n", 100), "", "repo:a", ""},
		{strings.Repeat("n", 101), "", "repo:a", "context"},
		{"d", strings.Repeat("é", 1024), "repo:a", ""},
		{"d", strings.Repeat("é", 1025), "repo:a", "context"},
		{"q", "", "", "query"},
		{"q", "", "repo:a TODO", "query"},
		{"q", "", "repo:a type:commit", "query"},
		{"q", "", "context:other", "query"},
		{"q", "", "repo:(", "query"},
		{"q", "", "repo:" + strings.Repeat("a", search.MaxContextQueryLength), "query"},
	} {
		err := search.CheckSearchContext(tc.name, tc.description, tc.query)
		var ce *search.ContextError
		var qe *query.Error
		got := ""
		switch {
		case errors.As(err, &ce):
			got = "context"
		case errors.As(err, &qe):
			got = "query"
		case err != nil:
			got = "other: " + err.Error()
		}
		if got != tc.want {
			t.Errorf("%.20q %.20q %.30q: %v (%s), want %s", tc.name, tc.description, tc.query, err, got, tc.want)
		}
	}
}
