// Package insights is the domain of code insights: series definitions and their
// validation, time sampling, repository scopes, counting a series' query in one
// repository at a commit (through the search executor), backfill planning with
// compression, recording, and the query-time assembly of a view's series (filters,
// permissions, capture-group pivot, zero-fill, sorting and sampling).
//
// It holds no SQL: storage is internal/store's InsightsStore (insights database) and the
// main store (repositories, permissions, the query runner queue). Resolvers
// (internal/resolvers) and routines (internal/background/insights) call it.
//
// How a point is computed. A series counts its query in each repository of its scope.
// The backfill samples the history: for each sample time it takes the newest commit of
// the repository's default branch at that time, skips times before the repository's
// first commit, and counts once per distinct commit (times sharing a commit reuse the
// count — compression). Counting itself goes through the search executor's Counter,
// which memoizes counts per blob, so a commit costs only the blobs that changed since
// any commit counted before. Recordings count at the head on every interval; group-by
// and language series take a daily snapshot instead. Every value is stored per
// repository, so permissions and repository filters apply at read time.
package insights
