package search_test

import (
	"testing"
)

// TestLimitHitWhenTheLimitStopsASearch: a search the limit stops before it has seen
// everything says so, for every type; one that finds fewer results than the limit
// does not.
func TestLimitHitWhenTheLimitStopsASearch(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		query    string
		count    int
		limitHit bool
	}{
		{`repo:^acme/api$ type:commit count:2`, 2, true},
		{`repo:^acme/api$ type:commit count:10`, 3, false},
		{`repo:^acme/api$ type:diff TODO count:1`, 1, true},
		{`repo:^acme/api$ type:diff case:yes FIXME count:50`, 1, false},
		{`repo:^acme/api$ type:diff case:yes TODO count:50`, 1, true}, // the second commit has 306: it does not fit
		{`repo:^acme/api$ case:yes TODO count:2`, 2, true},
		{`repo:^acme/api$ case:yes TODO count:all`, -1, false},
		{`type:repo acme count:1`, 1, true},
		{`type:repo acme count:5`, 2, false},
		// Exactly as many results as the limit: a commit walk stops there without looking
		// further (it would walk the rest of history to learn there is nothing), so
		// more may exist; the repositories are all known.
		{`repo:^acme/api$ type:commit count:3`, 3, true},
		{`type:repo acme count:2`, 2, false},
	} {
		res := f.search(t, f.bob, tc.query)
		if tc.count >= 0 && res.MatchCount != tc.count || res.LimitHit != tc.limitHit {
			t.Errorf("%s: %d matches, limitHit %v; want %d, %v", tc.query, res.MatchCount, res.LimitHit, tc.count, tc.limitHit)
		}
	}
}
