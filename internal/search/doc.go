// Package search runs search queries (parsed by package query) over the repositories in
// the store and their git mirrors: file content and paths at a revision, repository
// names, commit messages and diffs, always limited to the repositories the viewer may
// see (store.VisibleRepoCond through RepoStore.List).
//
// Callers and their entry points:
//
//   - The GraphQL search and previews: Service.Search with a Request (query text or a
//     parsed Plan, the Viewer). Results carry the matches (*FileMatch, *RepoMatch,
//     *CommitMatch), MatchCount, LimitHit, the Cloning/Missing/TimedOut repositories,
//     Partial, per-repository counts, capture values, skipped files and, with
//     Request.Languages, language statistics. A bad query is a *query.Error.
//   - Code monitors: Request.Revisions gives, per repository id, the Include revisions
//     whose history a commit or diff search walks without that of Exclude (the heads
//     already seen): "git log new1 new2 ^old1 ^old2". Results.Plan is the query as run.
//   - Issue monitors: Request.RepoIDs (and a file: filter added with Plan.AddFilter)
//     re-run any query in one repository at its current head; Match.Key and the line
//     numbers give results a stable identity.
//   - Code insights: Service.NewCounter counts a query's matches in one repository at
//     many commits (Counter.AtMany, Counter.At) with capture values and per-file and
//     per-language counts, and Counter.Languages gives lines and bytes per language.
//
// Matching is Go RE2, case-insensitive unless case:yes, and line-oriented like git grep
// (see match.go). Literal patterns and regexps with a required literal take fast paths
// that scan for the rarest byte of the literal with memchr-speed searches and run the
// regexp only on candidate lines; tests check that they find exactly what the regexp
// finds.
//
// Content is read through git cat-file --batch-command processes (Options.Readers per
// repository), in batches handed out in path order, and matched on the reading
// goroutine while git inflates the next objects. Binary files (a NUL byte in the first
// 8000 bytes, git's test) and files larger than Options.MaxFileSize are not searched
// and are counted in Results.Skipped.
//
// What a content matcher finds in a blob depends only on the pattern tree (values,
// kinds, case) and the blob, so it is memoized per (Matcher.Signature, blob id) in a
// BlobCache: an LRU in memory, optionally backed by Postgres (search_blob_counts) for
// backfills. File and language filters act on paths, outside the key. A Counter lists
// the first commit's tree and derives the next ones with tree diffs, so counting at
// twelve monthly commits costs one listing, eleven small diffs and the reading of the
// blobs not seen before.
//
// Diff search parses git log -p in the vcs package; commits whose hunks lack the
// pattern's required literal are skipped before the searched text is built, and
// bounded ranges are split between two git processes at a commit in the middle.
package search
