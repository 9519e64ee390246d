package search

import (
	"context"
	"fmt"
	"maps"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// CountOptions tune a Counter.
type CountOptions struct {
	// Languages fills FileCount.Language (and so Counts.ByLanguage).
	Languages bool
	// Persist stores per-blob counts in Postgres (when the service's cache has a
	// store), for backfills that may be resumed or run by another worker.
	Persist bool
}

// Counter counts a query's content matches in one repository at many commits, for
// insights: it keeps its git object readers across commits, and the service's blob
// cache makes each commit cost only the blobs not counted before. It is not safe for
// concurrent use; Close it when done.
type Counter struct {
	svc    *Service
	repo   *store.Repo
	specs  []*scanSpec
	basics []query.Basic // the Basic query of each spec
	sc     *scanner
	// The last tree listed, from which the next is derived.
	lastCommit string
	lastTree   []vcs.TreeEntry
	inventory  *scanSpec   // for Languages
	state      *countState // the last count, with one spec
}

// Counts are a query's matches at one commit.
type Counts struct {
	Commit string
	// Matches counts matches as a search's MatchCount would (a path-only match
	// counts 1); Lines counts lines holding a content match; Files counts files with
	// a match.
	Matches, Lines, Files int
	// Captures are the first capture group's values with their counts.
	Captures map[string]int
	// ByFile are the files with matches, in path order.
	ByFile  []FileCount
	Skipped Skipped
	// BlobsRead is the number of blobs read for this commit (not answered by the
	// cache); AtMany reads before counting, so its counts show 0.
	BlobsRead int
}

// ByLanguage sums the matches by language (with CountOptions.Languages).
func (c *Counts) ByLanguage() []Group {
	m := map[string]int{}
	for _, f := range c.ByFile {
		if f.Language != "" {
			m[f.Language] += f.Matches
		}
	}
	return sortedGroups(m)
}

// NewCounter returns a counter of plan's content matches in repo, which viewer must be
// able to see. Basic queries whose repo: filters exclude the repository count nothing.
func (s *Service) NewCounter(ctx context.Context, viewer store.Viewer, repoID int64, plan query.Plan, opts CountOptions) (*Counter, error) {
	repo, err := s.store.Repos().GetByID(ctx, viewer, repoID)
	if err != nil {
		return nil, err
	}
	m, err := s.mirrors.Mirror(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("mirror of %s: %w", repo.Name, err)
	}
	return s.newCounter(ctx, repo, m, plan, opts)
}

// NewMirrorCounter is NewCounter for a caller that holds a mirror and has decided
// itself that the actor may read it (benchmarks, tools). It never reads the index.
func (s *Service) NewMirrorCounter(ctx context.Context, m *vcs.Mirror, plan query.Plan, opts CountOptions) (*Counter, error) {
	return s.newCounter(ctx, &store.Repo{Name: m.Name()}, m, plan, opts)
}

// NewRepoCounter is NewCounter for a caller that holds the repository and its mirror
// and has decided itself that the actor may read it (insight recordings): a count at
// the repository's recorded head reads the index when its shard holds that head.
func (s *Service) NewRepoCounter(ctx context.Context, repo *store.Repo, m *vcs.Mirror, plan query.Plan, opts CountOptions) (*Counter, error) {
	return s.newCounter(ctx, repo, m, plan, opts)
}

func (s *Service) newCounter(ctx context.Context, repo *store.Repo, m *vcs.Mirror, plan query.Plan, opts CountOptions) (*Counter, error) {
	c := &Counter{svc: s, repo: repo, sc: newScanner(ctx, m, s.cache, s.opts.Readers)}
	for _, b := range plan {
		if !repoNameMatches(b, repo.Name) {
			continue
		}
		spec, err := s.contentSpec(b)
		if err != nil {
			return nil, err
		}
		spec.countOnly, spec.languages, spec.persist = true, opts.Languages, opts.Persist
		spec.memo = newPathMemo()
		c.specs = append(c.specs, spec)
		c.basics = append(c.basics, b)
	}
	return c, nil
}

// At counts at one commit (any revision git resolves; a commit id avoids a lookup).
func (c *Counter) At(ctx context.Context, commit string) (*Counts, error) {
	out, err := c.AtMany(ctx, []string{commit})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// AtMany counts at several commits, in one pass: it lists the first commit's tree and
// derives the others from it with tree diffs (cheap next to a full listing), reads every
// blob none of the commits has in the cache once, with all readers busy, and then
// answers each commit from the cache. Commits in history order (as an insight's sample
// times) make the diffs smallest.
func (c *Counter) AtMany(ctx context.Context, commits []string) ([]*Counts, error) {
	if len(commits) == 0 {
		return nil, nil
	}
	if len(commits) == 1 {
		if cs, ok, err := c.atIndexed(ctx, commits[0]); err != nil || ok {
			return []*Counts{cs}, err
		}
	}
	if len(commits) == 1 && c.lastTree == nil && len(c.specs) == 1 {
		// A first count at one commit: read the first blobs while git lists the rest.
		spec := c.specs[0]
		spec.trackSkips = true
		so, tree, err := c.sc.scanListing(ctx, spec, commits[0], true)
		if err != nil {
			return nil, err
		}
		c.lastCommit, c.lastTree = commits[0], tree
		cs := c.record(commits[0], nil, nil, so)
		if err := c.svc.cache.Flush(ctx); err != nil {
			return nil, err
		}
		return []*Counts{cs}, nil
	}
	lists := make([]listing, len(commits))
	trees := make([][]vcs.TreeEntry, len(commits))
	l, err := c.tree(ctx, commits[0])
	if err != nil {
		return nil, err
	}
	lists[0], trees[0] = l, l.tree
	if len(commits) > 1 {
		// Read the first tree's blobs while the other trees are derived, then the
		// blobs the others add, so that each blob is read once with all readers busy.
		prefetch := func(tree []vcs.TreeEntry) error {
			for _, spec := range c.specs {
				if _, err := c.sc.scanTree(ctx, spec, tree); err != nil {
					return err
				}
			}
			return nil
		}
		done := make(chan error, 1)
		go func() { done <- prefetch(trees[0]) }()
		var treeErr error
		for i := 1; i < len(commits) && treeErr == nil; i++ {
			lists[i], treeErr = c.tree(ctx, commits[i])
			trees[i] = lists[i].tree
		}
		// The blobs the later trees add are read alongside the first tree's (the
		// specs' path memos are not shared between the two: copies are used).
		var err2 error
		if treeErr == nil {
			err2 = c.prefetchCopy(ctx, unionTree(trees[1:], trees[0]))
		}
		if err := <-done; err != nil {
			return nil, err
		}
		if treeErr != nil {
			return nil, treeErr
		}
		if err2 != nil {
			return nil, err2
		}
	}
	out := make([]*Counts, len(commits))
	for i, commit := range commits {
		cs, err := c.count(ctx, commit, lists[i])
		if err != nil {
			return nil, err
		}
		out[i] = cs
	}
	if err := c.svc.cache.Flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// prefetchCopy reads the uncached blobs of tree into the cache with copies of the
// specs (without path memos), so that it can run beside a scan with the specs.
func (c *Counter) prefetchCopy(ctx context.Context, tree []vcs.TreeEntry) error {
	for _, spec := range c.specs {
		cp := *spec
		cp.memo = nil
		if _, err := c.sc.scanTree(ctx, &cp, tree); err != nil {
			return err
		}
	}
	return nil
}

// listing is a commit's tree, with how it was derived.
type listing struct {
	tree []vcs.TreeEntry
	// base is the commit the tree was derived from by changed (the new versions of
	// the files a tree diff names; deleted files are in deleted); "" for a full
	// listing.
	base    string
	changed []vcs.TreeEntry
	deleted []string
}

// tree lists a commit's tree, from the previous listing and a tree diff when there is
// one.
func (c *Counter) tree(ctx context.Context, commit string) (listing, error) {
	if c.lastTree == nil {
		t, err := c.sc.m.ListTree(ctx, commit)
		if err != nil {
			return listing{}, err
		}
		c.lastCommit, c.lastTree = commit, t
		return listing{tree: t}, nil
	}
	if commit == c.lastCommit {
		return listing{tree: c.lastTree, base: commit}, nil
	}
	changes, err := c.sc.m.DiffTree(ctx, c.lastCommit, commit)
	if err != nil {
		return listing{}, err
	}
	l, err := c.applyChanges(c.lastTree, changes)
	if err != nil {
		return listing{}, err
	}
	l.base = c.lastCommit
	c.lastCommit, c.lastTree = commit, l.tree
	return l, nil
}

// applyChanges makes a tree listing from the previous one and a tree diff; the sizes
// of new blobs come from one batch of object headers.
func (c *Counter) applyChanges(prev []vcs.TreeEntry, changes []vcs.TreeChange) (listing, error) {
	changed := make(map[string]bool, len(changes))
	var oids []string
	for _, ch := range changes {
		changed[ch.Path] = true
		if ch.NewOID != "" && ch.NewMode != vcs.ModeSubmodule {
			oids = append(oids, ch.NewOID)
		}
	}
	sizes := map[string]int64{}
	if len(oids) > 0 {
		r, err := c.sc.getReader()
		if err != nil {
			return listing{}, err
		}
		err = r.InfoBatch(uniq(oids), func(info vcs.ObjectInfo) error {
			if !info.Missing {
				sizes[info.Name] = info.Size
			}
			return nil
		})
		c.sc.putReader(r, err != nil)
		if err != nil {
			return listing{}, err
		}
	}
	l := listing{tree: make([]vcs.TreeEntry, 0, len(prev)+len(changes))}
	for _, e := range prev {
		if !changed[e.Path] {
			l.tree = append(l.tree, e)
		}
	}
	for _, ch := range changes {
		if ch.NewOID == "" {
			l.deleted = append(l.deleted, ch.Path)
			continue
		}
		e := vcs.TreeEntry{Path: ch.Path, Mode: ch.NewMode, Type: "blob", OID: ch.NewOID, Size: sizes[ch.NewOID]}
		if ch.NewMode == vcs.ModeSubmodule {
			e.Type, e.Size = "commit", -1
		}
		l.tree = append(l.tree, e)
		l.changed = append(l.changed, e)
	}
	return l, nil
}

// unionTree lists each (path, blob) of several trees once, leaving out those of skip.
func unionTree(trees [][]vcs.TreeEntry, skip []vcs.TreeEntry) []vcs.TreeEntry {
	type key struct{ path, oid string }
	seen := map[key]bool{}
	for _, e := range skip {
		seen[key{e.Path, e.OID}] = true
	}
	var out []vcs.TreeEntry
	for _, t := range trees {
		for _, e := range t {
			k := key{e.Path, e.OID}
			if !seen[k] {
				seen[k] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// countState is a single-spec counter's result at a commit, per path, from which the
// next commit's is derived by its tree diff.
type countState struct {
	commit string
	files  map[string]FileCount
	skips  map[string]byte
}

func (c *Counter) count(ctx context.Context, commit string, l listing) (*Counts, error) {
	if len(c.specs) == 1 {
		return c.countIncremental(ctx, commit, l)
	}
	outs := make([]*scanOutput, len(c.specs))
	for i, spec := range c.specs {
		so, err := c.sc.scanTree(ctx, spec, l.tree)
		if err != nil {
			return nil, err
		}
		outs[i] = so
	}
	return mergeCounts(commit, outs), nil
}

// mergeCounts makes the counts of several Basic queries' scans of one commit.
func mergeCounts(commit string, outs []*scanOutput) *Counts {
	out := &Counts{Commit: commit}
	byPath := map[string]int{}
	for _, so := range outs {
		out.Skipped.add(so.skipped)
		out.BlobsRead += so.read
		for _, fc := range so.counts {
			// A file found by two basic queries counts once, with its larger count.
			if i, ok := byPath[fc.Path]; ok {
				if fc.Matches > out.ByFile[i].Matches {
					out.ByFile[i] = fc
				}
				continue
			}
			byPath[fc.Path] = len(out.ByFile)
			out.ByFile = append(out.ByFile, fc)
		}
	}
	sortFileCounts(out.ByFile)
	out.total()
	return out
}

// countIncremental counts with the one spec: from the previous commit's state and the
// files the tree diff changed when it can, from the whole tree otherwise.
func (c *Counter) countIncremental(ctx context.Context, commit string, l listing) (*Counts, error) {
	spec := c.specs[0]
	spec.trackSkips = true
	prev := c.state
	var so *scanOutput
	var err error
	if prev != nil && l.base != "" && prev.commit == l.base {
		if so, err = c.sc.scanTree(ctx, spec, l.changed); err != nil {
			return nil, err
		}
	} else {
		prev = nil
		if so, err = c.sc.scanTree(ctx, spec, l.tree); err != nil {
			return nil, err
		}
	}
	return c.record(commit, prev, &l, so), nil
}

// record makes a single-spec counter's state at commit from the scan of its files:
// of the files l changed since prev's commit when prev is set, of the whole tree
// otherwise.
func (c *Counter) record(commit string, prev *countState, l *listing, so *scanOutput) *Counts {
	var st *countState
	if prev != nil {
		st = &countState{commit: commit, files: maps.Clone(prev.files), skips: maps.Clone(prev.skips)}
		for _, e := range l.changed {
			delete(st.files, e.Path)
			delete(st.skips, e.Path)
		}
		for _, p := range l.deleted {
			delete(st.files, p)
			delete(st.skips, p)
		}
	} else {
		st = &countState{commit: commit, files: map[string]FileCount{}, skips: map[string]byte{}}
	}
	for _, fc := range so.counts {
		st.files[fc.Path] = fc
	}
	for p, k := range so.skips {
		st.skips[p] = k
	}
	c.state = st
	out := &Counts{Commit: commit, BlobsRead: so.read, ByFile: make([]FileCount, 0, len(st.files))}
	for _, fc := range st.files {
		out.ByFile = append(out.ByFile, fc)
	}
	for _, k := range st.skips {
		if k == 'b' {
			out.Skipped.Binary++
		} else {
			out.Skipped.Large++
		}
	}
	sortFileCounts(out.ByFile)
	out.total()
	return out
}

// total sums ByFile.
func (c *Counts) total() {
	for _, fc := range c.ByFile {
		c.Matches += fc.Matches
		c.Lines += fc.Lines
		c.Files++
		for k, v := range fc.Captures {
			if c.Captures == nil {
				c.Captures = map[string]int{}
			}
			c.Captures[k] += v
		}
	}
}

// Languages returns the language statistics (lines and bytes per language) of the
// repository at a commit; lines are memoized per blob.
func (c *Counter) Languages(ctx context.Context, commit string) ([]LanguageStat, Skipped, error) {
	if c.inventory == nil {
		c.inventory = &scanSpec{matcher: &Matcher{}, inventory: true, readContent: true, maxFileSize: c.svc.opts.MaxFileSize, memo: newPathMemo()}
	}
	l, err := c.tree(ctx, commit)
	if err != nil {
		return nil, Skipped{}, err
	}
	so, err := c.sc.scanTree(ctx, c.inventory, l.tree)
	if err != nil {
		return nil, Skipped{}, err
	}
	return so.langs.sorted(), so.skipped, nil
}

// Close stops the counter's git processes.
func (c *Counter) Close() { c.sc.close() }
