package textindex

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/zoekt"
	"github.com/sourcegraph/zoekt/query"
	"github.com/sourcegraph/zoekt/shards"
)

// Backend is where a process's searches read shards: its own index directory (Local) or
// remote zoekt-webservers (Remote).
type Backend interface {
	// Versions returns the ShardVersion of the default branch in the shards of each
	// repository of ids that has some (one per place that holds one: several with
	// Remote).
	Versions(ctx context.Context, ids []uint32) (map[uint32][]string, error)
	// Search returns every document on branch (DefaultBranch or a branch name) matching
	// q, with its whole content, and every remainder there (Result.Remainders), of the
	// repositories of want whose shard holds branch at the version want gives, and which
	// of them it answered for. Documents of other versions are never returned: a
	// repository it did not answer for is the caller's to search another way.
	Search(ctx context.Context, q query.Q, branch string, want map[uint32]string) (*Result, error)
	// Entry returns what the index holds for a repository, its shard whose default
	// branch is at version when there is one; nil when it has no shard.
	Entry(ctx context.Context, id uint32, version string) (*zoekt.RepoListEntry, error)
	Close()
}

// Result is what Backend.Search found.
type Result struct {
	Files []zoekt.FileMatch
	// Remainders are every remainder of each answered repository, parsed (read from
	// the shard once per version: remainders.go), sorted by path. Files holds none.
	Remainders map[uint32][]RemainderFile
	// Answered are the repositories whose documents Files and Remainders hold in full.
	Answered map[uint32]bool
}

// candidateOptions ask zoekt for every matching document, whole: the caller matches
// the content itself, so a document zoekt's limits left out would be a result lost.
var candidateOptions = zoekt.SearchOptions{
	Whole:              true,
	ShardMaxMatchCount: math.MaxInt32,
	TotalMaxMatchCount: math.MaxInt32,
}

// complete reports whether a zoekt search looked at every document it had to.
func complete(st zoekt.Stats) bool {
	return st.Crashes == 0 && st.FilesSkipped == 0 && st.ShardsSkipped == 0
}

// Local searches the shards of a directory, which it watches (zoekt reloads a shard
// within seconds of a build renaming it into place).
type Local struct {
	s          zoekt.Streamer
	remainders *remainderCache
}

// NewLocal loads the shards of dir, creating it if missing. It does not wait for the
// shards to load: until they have, searches find fewer repositories indexed and search
// the others unindexed.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the index directory: %w", err)
	}
	s, err := shards.NewDirectorySearcherFast(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the index in %s: %w", dir, err)
	}
	return &Local{s: s, remainders: newRemainderCache()}, nil
}

func (l *Local) Versions(ctx context.Context, ids []uint32) (map[uint32][]string, error) {
	vs, err := versions(ctx, l.s, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uint32][]string, len(vs))
	for id, bs := range vs {
		if v := branchVersion(bs, DefaultBranch); v != "" {
			out[id] = []string{v}
		}
	}
	return out, nil
}

func (l *Local) Search(ctx context.Context, q query.Q, branch string, want map[uint32]string) (*Result, error) {
	current, err := versions(ctx, l.s, slices.Collect(maps.Keys(want)))
	if err != nil {
		return nil, err
	}
	return searchCurrent(ctx, l.s, q, branch, want, current, l.remainders)
}

func (l *Local) Entry(ctx context.Context, id uint32, _ string) (*zoekt.RepoListEntry, error) {
	return entry(ctx, l.s, id)
}

func (l *Local) Close() { l.s.Close() }

// versions lists the branches (with their versions) of each of ids s holds a shard of.
func versions(ctx context.Context, s zoekt.Searcher, ids []uint32) (map[uint32][]zoekt.RepositoryBranch, error) {
	out := map[uint32][]zoekt.RepositoryBranch{}
	if len(ids) == 0 {
		return out, nil
	}
	rl, err := s.List(ctx, query.NewRepoIDs(ids...), &zoekt.ListOptions{Field: zoekt.RepoListFieldReposMap})
	if err != nil {
		return nil, fmt.Errorf("listing indexed repositories: %w", err)
	}
	for id, e := range rl.ReposMap {
		out[id] = e.Branches
	}
	return out, nil
}

// searchCurrent searches s for q on branch in the repositories whose shard holds it at
// the version wanted (current lists what s holds), and keeps the documents of the
// versions wanted, with every remainder on branch of those repositories (from cache when
// it has them: remainders.go).
func searchCurrent(ctx context.Context, s zoekt.Streamer, q query.Q, branch string, want map[uint32]string, current map[uint32][]zoekt.RepositoryBranch, cache *remainderCache) (*Result, error) {
	res := &Result{Answered: map[uint32]bool{}, Remainders: map[uint32][]RemainderFile{}}
	var ids []uint32
	for id, v := range want {
		if branchVersion(current[id], branch) == v {
			ids = append(ids, id)
			res.Answered[id] = true
		}
	}
	if len(ids) == 0 {
		return res, nil
	}
	hit, missing := cache.get(branch, want, ids)
	zq := query.NewAnd(query.NewRepoIDs(ids...), q)
	if len(missing) > 0 {
		zq = query.NewOr(zq, query.NewAnd(query.NewRepoIDs(missing...), remaindersQuery))
	}
	sr, err := collect(ctx, s, query.NewAnd(&query.Branch{Pattern: branch, Exact: true}, zq))
	if err != nil {
		return nil, fmt.Errorf("searching the index: %w", err)
	}
	if !complete(sr.Stats) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errors.New("the index search did not look at every document")
	}
	// A build that replaced a shard since the versions were listed shows in the versions
	// listed again now (a repository may have returned no document: its remainders came
	// from the cache), and for the default branch in the documents' version (that of their
	// first branch, the default one there): that repository is not answered for. A
	// version never comes back, so one listed before and after the search is the one
	// searched.
	after, err := versions(ctx, s, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if branchVersion(after[id], branch) != want[id] {
			delete(res.Answered, id)
		}
	}
	for _, f := range sr.Files {
		if branch == DefaultBranch && f.Version != want[f.RepositoryID] {
			delete(res.Answered, f.RepositoryID)
		}
	}
	fresh := map[uint32][]RemainderFile{}
	for _, f := range sr.Files {
		if !res.Answered[f.RepositoryID] {
			continue
		}
		if f.Language != LanguageSkipped {
			res.Files = append(res.Files, f)
			continue
		}
		if _, cached := hit[f.RepositoryID]; cached {
			continue
		}
		r, ok := ParseRemainder(f.Content)
		if !ok {
			// Not a shard this layout wrote: the repository is searched another way.
			delete(res.Answered, f.RepositoryID)
			continue
		}
		fresh[f.RepositoryID] = append(fresh[f.RepositoryID], RemainderFile{Path: f.FileName, Remainder: r})
	}
	res.Files = slices.DeleteFunc(res.Files, func(f zoekt.FileMatch) bool { return !res.Answered[f.RepositoryID] })
	for _, id := range missing {
		if res.Answered[id] {
			slices.SortFunc(fresh[id], func(a, b RemainderFile) int { return strings.Compare(a.Path, b.Path) })
			cache.put(id, branch, want[id], fresh[id])
			res.Remainders[id] = fresh[id]
		}
	}
	for id, rs := range hit {
		if res.Answered[id] {
			res.Remainders[id] = rs
		}
	}
	return res, nil
}

// collect streams a candidate search and gathers its documents as they come. zoekt's
// Search would rank and sort the whole result again at every shard's answer, which cost
// more than the search itself; the caller sorts by path anyway.
func collect(ctx context.Context, s zoekt.Streamer, q query.Q) (*zoekt.SearchResult, error) {
	var mu sync.Mutex
	res := &zoekt.SearchResult{}
	opts := candidateOptions
	err := s.StreamSearch(ctx, q, &opts, zoekt.SenderFunc(func(r *zoekt.SearchResult) {
		mu.Lock()
		defer mu.Unlock()
		res.Stats.Add(r.Stats)
		res.Files = append(res.Files, r.Files...)
	}))
	return res, err
}

func entry(ctx context.Context, s zoekt.Searcher, id uint32) (*zoekt.RepoListEntry, error) {
	rl, err := s.List(ctx, query.NewRepoIDs(id), &zoekt.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing indexed repositories: %w", err)
	}
	for _, e := range rl.Repos {
		if e.Repository.ID == id {
			return e, nil
		}
	}
	return nil, nil
}

// pickEntry returns the entry whose shard is at version, else the first there is.
func pickEntry(entries []*zoekt.RepoListEntry, version string) *zoekt.RepoListEntry {
	var first *zoekt.RepoListEntry
	for _, e := range entries {
		if e == nil {
			continue
		}
		if branchVersion(e.Repository.Branches, DefaultBranch) == version {
			return e
		}
		if first == nil {
			first = e
		}
	}
	return first
}

// Status is what the index holds for one repository (Backend.Entry), as the API shows it.
type Status struct {
	// Commit is the commit the shard holds of the default branch ("" for a shard of
	// another layout).
	Commit string
	// Branches are the other branches the shard holds, with their commits, in the
	// shard's order (by name).
	Branches     []Branch
	UpdatedAt    time.Time
	ContentBytes int64
	Files        int
	IndexBytes   int64
	Shards       int
	NewLines     uint64
}

// StatusOf summarises a zoekt repository entry.
func StatusOf(e *zoekt.RepoListEntry) *Status {
	st := &Status{UpdatedAt: e.IndexMetadata.IndexTime, ContentBytes: e.Stats.ContentBytes, Files: e.Stats.Documents,
		IndexBytes: e.Stats.IndexBytes, Shards: e.Stats.Shards, NewLines: e.Stats.NewLinesCount}
	st.Commit = CommitOf(branchVersion(e.Repository.Branches, DefaultBranch))
	for _, b := range e.Repository.Branches {
		if b.Name != DefaultBranch {
			st.Branches = append(st.Branches, Branch{Name: b.Name, Commit: CommitOf(b.Version)})
		}
	}
	return st
}
