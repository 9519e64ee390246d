package resolvers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
)

// TestQueryLengthLimitEverywhere sends the query that used to take the parser 47 s
// (a filter and 80,000 one-letter terms, 160 KB) to every field that accepts a query:
// each refuses it with the code its area uses and a message that names the limit. A
// query just under the limit is accepted where one is stored.
func TestQueryLengthLimitEverywhere(t *testing.T) {
	insightsDB := dbtest.NewInsightsDB(t)
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		svc := search.NewService(d.Store, d.Repos, search.NewBlobCache(0, nil), nil, search.Options{})
		d.Search = svc
		d.Insights = &resolvers.InsightsDeps{DB: insightsDB, Source: &insights.SearchSource{Search: svc, Mirrors: d.Repos}}
	}})
	alice, token := e.CreateUser(t, "alice", false)
	ns := userID(alice.ID)
	long := "repo:^nomatch$ " + strings.Repeat("a ", 80_000)
	limit := fmt.Sprint(query.MaxQueryLength)
	scope := map[string]any{"repositories": []string{"local/x"}}
	timeScope := map[string]any{"stepInterval": map[string]any{"unit": "MONTH", "value": 1}}

	for _, tc := range []struct {
		name, token, query string
		vars               map[string]any
		code               string
		limit              string // a stricter limit of the field, when it has one
	}{
		{"search", token, `query($q: String!) { search(query: $q) { results { matchCount } } }`, map[string]any{"q": long}, "InvalidQuery", ""},
		{"code monitor", token, createMonitor, map[string]any{"ns": ns, "q": "type:diff " + long, "actions": []any{}}, "InvalidQuery", ""},
		{"issue monitor", token, `mutation($ns: ID!, $q: String!) { createIssueMonitor(monitor: {namespace: $ns, description: "d", enabled: true},
			issueTracking: {query: $q, searchSchedule: "@hourly", updateSchedule: "@hourly", rule: {kind: COUNT, levels: {low: 0}}}, actions: []) { id } }`,
			map[string]any{"ns": ns, "q": long}, "InvalidQuery", ""},
		{"insight series", token, `mutation($input: LineChartSearchInsightInput!) { createLineChartSearchInsight(input: $input) { view { id } } }`,
			map[string]any{"input": map[string]any{"dataSeries": []any{map[string]any{"query": long, "options": map[string]any{"label": "x"}}},
				"repositoryScope": scope, "timeScope": timeScope, "options": map[string]any{"title": "t"}}}, "", ""},
		{"insight live preview", token, `query($in: SearchInsightLivePreviewInput!) { searchInsightLivePreview(input: $in) { label } }`,
			map[string]any{"in": map[string]any{"query": long, "label": "x", "repositoryScope": scope, "timeScope": timeScope, "generatedFromCaptureGroups": false}}, "", ""},
		{"insight scope preview", token, `query($q: String!) { previewRepositoriesFromQuery(query: $q) { numberOfRepositories } }`,
			map[string]any{"q": "repo:" + strings.Repeat("a", 80_000)}, "BAD_USER_INPUT", ""},
		{"campaign repositoriesMatchingQuery", token, `mutation($s: String!) { createCampaignPlanFromSpec(spec: $s) { id } }`,
			map[string]any{"s": fmt.Sprintf("name: x\non:\n  - repositoriesMatchingQuery: %q\nsteps:\n  - run: echo\n    container: alpine\n", long)}, "BAD_USER_INPUT", ""},
		{"search context", e.AdminToken, `mutation($in: SearchContextInput!) { createSearchContext(searchContext: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": "big", "query": "repo:" + strings.Repeat("a", 80_000)}}, "InvalidQuery", "4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, tc.token, tc.query, tc.vars)
			if len(r.Errors) == 0 {
				t.Fatalf("a 160 KB query was accepted: %s", r.Data)
			}
			msg, want := r.Errors[0].Message, limit
			if tc.limit != "" {
				want = tc.limit
			}
			if !strings.Contains(msg, want) || !strings.Contains(msg, "bytes") {
				t.Fatalf("error %q (%s) does not name the limit of %s bytes", msg, r.Code(), want)
			}
			if tc.code != "" && r.Code() != tc.code {
				t.Fatalf("code %q, want %s (%s)", r.Code(), tc.code, msg)
			}
			if r.Code() == "" || r.Code() == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("code %q: a bad query is the user's to fix", r.Code())
			}
		})
	}

	// At the limit, a monitor is created and its stored query parses again.
	q := "type:diff repo:^nomatch$ " + strings.Repeat("ab ", 5000)
	q += strings.Repeat("c", query.MaxQueryLength-len(q))
	start := time.Now()
	var out struct{ CreateCodeMonitor struct{ ID string } }
	email := map[string]any{"email": map[string]any{"enabled": true, "includeResults": false, "priority": "NORMAL", "recipients": []string{ns}, "header": "hi"}}
	e.MustDo(t, token, createMonitor, map[string]any{"ns": ns, "q": q, "actions": []any{email}}, &out)
	t.Logf("a monitor with a %d-byte query was created in %s", len(q), time.Since(start).Round(time.Millisecond))
}

// TestUnknownFilterEverywhere: a mistyped filter is refused, with the known filters
// listed, wherever a query is accepted.
func TestUnknownFilterEverywhere(t *testing.T) {
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		d.Search = search.NewService(d.Store, d.Repos, search.NewBlobCache(0, nil), nil, search.Options{})
	}})
	alice, token := e.CreateUser(t, "alice", false)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"search", `query($q: String!) { search(query: $q) { results { matchCount } } }`, map[string]any{"q": "exec.Command nosuchfilter:x"}},
		{"code monitor", createMonitor, map[string]any{"ns": userID(alice.ID), "q": "type:diff lnag:go TODO", "actions": []any{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, token, tc.query, tc.vars)
			if r.Code() != "InvalidQuery" || !strings.Contains(r.Errors[0].Message, "unknown filter") ||
				!strings.Contains(r.Errors[0].Message, "known filters: after, archived, author") {
				t.Fatalf("got %q %+v, want InvalidQuery listing the known filters", r.Code(), r.Errors)
			}
		})
	}
	// Text with colons still searches.
	for _, q := range []string{`std::vector`, `http://example.com`, `"nosuchfilter:x"`, `/foo:bar/`, `localhost:8080`, `json:"name"`} {
		r := e.Do(t, token, `query($q: String!) { search(query: $q) { results { matchCount } } }`, map[string]any{"q": q})
		if len(r.Errors) > 0 {
			t.Fatalf("search %q: %+v", q, r.Errors)
		}
	}
}
