// Package vcs keeps bare git mirrors of code host repositories under one
// directory (REPOS_DIR) and runs every git command Lookout needs against them.
//
// Mirrors are a per-process cache, never a source of truth: any process clones
// a repository on demand and fetches it when it is older than the caller's
// freshness bound. Several goroutines and several processes may share one
// directory; a repository is cloned into a temporary directory and renamed into
// place, and clones and fetches of one mirror are serialised by an in-process
// mutex plus an flock(2) on a lock file next to the mirror.
//
// Every command shells out to the git binary with a context timeout, a clean
// environment (no user or system git config, no terminal prompts, literal
// pathspecs, a protocol allow-list) and argument hygiene: revisions are checked
// by CheckRevision, --end-of-options precedes positional arguments and revision
// sets travel over stdin. Credentials reach git only through environment
// variables read by a credential helper defined in the environment, so they are
// never written to the mirror's config, the command line or the logs, and error
// text is redacted in case a remote echoes them.
//
// One path does not shell out: NewBlobReader reads a mirror's objects straight from its
// packs and loose object files (package packfile), since a search reads a whole tree's
// blobs and moving them through git cat-file's pipe cost more than inflating them. Git
// stays the authority: what the in-process reader does not find or cannot read, it asks
// git for.
//
// Typical use:
//
//	cache, _ := vcs.NewCache(reposDir, vcs.Options{})
//	res, err := cache.EnsureFresh(ctx, vcs.Repo{Name: "github.com/o/r", URL: url, Credential: cred}, 5*time.Minute)
//	oid, err := res.Mirror.ResolveRevision(ctx, "main")
//	for c, err := range res.Mirror.Log(ctx, vcs.LogOptions{Include: []string{oid}, Exclude: []string{old}, Diff: true}) { ... }
//	r, _ := res.Mirror.NewBlobReader(ctx); defer r.Close() // packs read in process, git for the rest
//	entries, _ := res.Mirror.ListTree(ctx, oid)
//	r.ReadBatch(oidsOf(entries), func(info vcs.ObjectInfo, data []byte) error { ... })
package vcs
