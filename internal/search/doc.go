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
//   - Code insights: Service.NewCounter (NewRepoCounter) counts a query's matches in one
//     repository at many commits (Counter.AtMany, Counter.At) with capture values and
//     per-file and per-language counts, and Counter.Languages gives lines and bytes per
//     language.
//   - Campaigns (repositoriesMatchingQuery) and the web app's searches and live previews
//     go through Service.Search like the API.
//
// The index. With Options.Index (a textindex.Backend: this process's INDEX_DIR, or
// zoekt-webservers), Service.Search plans each Basic query's content search (indexed.go):
// repositories searched at their default branch, or at a branch their connection lists
// for indexing (repo:x@release), whose shard holds that branch at the head their last
// fetch recorded are read from the index, all others over their mirrors, in the same
// execution, so that a search mixing both merges them. The index is asked only about the
// repositories of the visible list, by id, and only documents of the wanted shard version
// are used, so a stale shard's results are never shown. It only proposes candidate files
// (a zoekt query of the literals every match contains, candidates.go, and the files it
// keeps apart); the same scan as over a mirror matches their content from memory, so the
// index finds exactly what the mirrors find (indexed_test.go checks it query by query).
// IndexAuto leaves queries without a literal of three characters to the mirrors. A
// Counter of a known repository (NewRepoCounter, insight recordings) counts at the
// recorded head from the index the same way.
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
