// Package textindex keeps zoekt indexes (github.com/sourcegraph/zoekt, used as a
// library) of repositories' default branches, and of the branches their code host
// connections list for indexing ("indexedBranches", see branches.go), so that searches at
// those branches read candidate files from a trigram index instead of inflating every
// blob of every repository.
//
// Who calls it:
//
//   - The worker's index job (internal/background/textindex) builds a repository's shard
//     with Indexer.IndexBranches when a fetch moves its default branch or a listed one;
//     Indexer.Prune removes the shards of deleted repositories.
//   - The search service (internal/search) asks a Backend for candidate documents of the
//     repositories whose shard holds their recorded head (Backend.Search), and matches
//     them itself; what the backend does not answer for is searched over the mirrors.
//   - OnDemand builds, in the background, the shards a process's searches missed.
//   - The API shows what a repository's shard holds (Backend.Entry).
//
// Where shards live. A shard directory (INDEX_DIR) is a per-process cache, like the
// mirror cache (REPOS_DIR): safe to delete, rebuilt on demand, never a source of truth.
//
//   - Embedded (the default): every process that searches loads the shards of its own
//     INDEX_DIR (Local, zoekt's directory searcher, which picks up a new shard within
//     seconds of its build). On one machine the frontend and the workers share the
//     default directory, as they share REPOS_DIR, so the index job's builds serve them
//     all. A process on a machine of its own (a frontend beside remote workers) builds
//     the shards its searches miss itself (OnDemand), exactly as it clones the mirrors
//     its searches need: the index follows the mirrors, and no process needs another's
//     disk. Until a shard is built, the repository is searched over its mirror.
//   - Distributed (ZOEKT_ENDPOINTS): when one machine's memory or disk no longer holds
//     the index, every process searches zoekt-webservers instead (Remote, over their
//     gRPC API). Each webserver has a Lookout worker beside it running the index job
//     with INDEX_DIR set to the webserver's -index directory: a build lands on the
//     webserver of the worker that took the job, and searches read each repository from
//     whichever webserver holds its current commit (once, even if an older build left a
//     copy elsewhere). A search that finds no current shard queues a build. Lookout's
//     indexer writes these shards, not zoekt-indexserver or zoekt-git-index: those clone
//     from code hosts on their own (their own credentials, repository lists and
//     schedules, beside Lookout's), and their shards hold symlinks and lack what the
//     search needs to answer exactly as the mirrors do (below).
//
// Why a shard holds more than zoekt's documents. The index only proposes candidates; the
// search matches their content with its own matcher, so results and counts are the
// unindexed path's by construction. For that, the shard must hold every file the
// unindexed search sees (blobs of the tree, not symlinks or submodules), with what that
// search needs to know of it. Files zoekt would not index as text (larger than the size
// limit, binary by git's test, shorter than a trigram, or with a NUL byte past git's
// test) are documents whose content is replaced by a Remainder: their size and blob id,
// and the content itself when the search would read it. A file with a Kelvin sign or a
// long s, which Go's case folding matches with k and s but zoekt's does not, is tagged so
// that case-folded searches take it as a candidate. The shard's branch version
// (ShardVersion) names this layout, the size limit and the commit: a shard of another
// commit, layout or limit is never read. Shards are named after the repository id, so a
// renamed repository keeps its shard.
package textindex
