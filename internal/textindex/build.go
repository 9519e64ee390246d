package textindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-enry/go-enry/v2"
	"github.com/sourcegraph/log"
	"github.com/sourcegraph/zoekt"
	"github.com/sourcegraph/zoekt/build"

	"github.com/lookout/lookout/internal/vcs"
)

// DefaultMaxFileSize is the size above which a file's content is not indexed: the
// search package's limit, above which files are not searched.
const DefaultMaxFileSize = 1 << 20

// Options configure an Indexer.
type Options struct {
	// Dir is the shard directory (INDEX_DIR). It is created if missing.
	Dir string
	// MaxFileSize must be the searches' size limit (search.Options.MaxFileSize);
	// default DefaultMaxFileSize.
	MaxFileSize int64
	// ShardMax bounds the content of one shard; zoekt's default (100 MiB) when 0.
	ShardMax int
	Logger   log.Logger
}

// Indexer builds the shards of repositories' default branches (and the branches their
// connections list) in one directory.
type Indexer struct {
	opts Options
}

// NewIndexer returns an indexer writing into opts.Dir.
func NewIndexer(opts Options) (*Indexer, error) {
	if opts.Dir == "" {
		return nil, errors.New("textindex: no index directory")
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Logger == nil {
		opts.Logger = log.NoOp()
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the index directory: %w", err)
	}
	return &Indexer{opts: opts}, nil
}

// Dir is the shard directory.
func (ix *Indexer) Dir() string { return ix.opts.Dir }

// MaxFileSize is the size limit the shards are built with.
func (ix *Indexer) MaxFileSize() int64 { return ix.opts.MaxFileSize }

// Repo is the repository a shard is of.
type Repo struct {
	ID   int64
	Name string
}

// RepoID is a repository's id in zoekt (uint32); false for ids that do not fit.
func RepoID(id int64) (uint32, bool) {
	if id <= 0 || id > math.MaxUint32 {
		return 0, false
	}
	return uint32(id), true
}

// shardName is the zoekt repository name of a shard: the repository id, so that a
// renamed repository keeps its shard (zoekt names the files after it).
func shardName(id uint32) string { return "lookout-" + strconv.FormatUint(uint64(id), 10) }

// BuildResult says what Index did.
type BuildResult struct {
	// Built is false when the shard already held the commit.
	Built bool
	// Files and ContentBytes count the files of the tree and the bytes read; IndexBytes
	// is the size of the shards written.
	Files        int
	ContentBytes int64
	IndexBytes   int64
	Duration     time.Duration
	// Delta: only the files changed since the shard's commit were added, in a shard
	// stacked on the older ones (which no longer show the changed paths).
	Delta bool
}

// Delta builds. After a push, only the files the push changed are indexed, into a new
// shard beside the repository's others, whose changed paths zoekt then hides
// (tombstones): time to searchable follows the size of the push, not of the repository.
// A full build takes over when the shards pile up or the change is large.
const (
	maxDeltaShards  = 8
	maxDeltaChanges = 2000
)

// Index makes repo's shard hold commit (the default branch's head) and no other branch,
// reading the tree from m (IndexBranches).
func (ix *Indexer) Index(ctx context.Context, repo Repo, m *vcs.Mirror, commit string) (BuildResult, error) {
	return ix.IndexBranches(ctx, repo, m, []Branch{{Name: DefaultBranch, Commit: commit}})
}

// IndexBranches makes repo's shard hold exactly branches (ShardBranches: the default
// branch first), reading the trees from m; it does nothing when the shard already holds
// them. Builds of one repository are serialised across processes sharing the directory
// by a lock file.
func (ix *Indexer) IndexBranches(ctx context.Context, repo Repo, m *vcs.Mirror, branches []Branch) (BuildResult, error) {
	res, err := ix.index(ctx, repo, m, branches)
	recordBuild(res, err)
	return res, err
}

// Holds reports whether repo's shard holds exactly branches, so a caller can skip
// preparing a build (a mirror fetch) that would do nothing.
func (ix *Indexer) Holds(repo Repo, branches []Branch) bool {
	id, ok := RepoID(repo.ID)
	return ok && ix.holds(id, versionsOf(branches, ix.opts.MaxFileSize))
}

func (ix *Indexer) index(ctx context.Context, repo Repo, m *vcs.Mirror, branches []Branch) (BuildResult, error) {
	start := time.Now()
	id, ok := RepoID(repo.ID)
	if !ok {
		return BuildResult{}, fmt.Errorf("repository id %d does not fit a zoekt repository id", repo.ID)
	}
	if err := checkBranches(branches); err != nil {
		return BuildResult{}, fmt.Errorf("indexing %s: %w", repo.Name, err)
	}
	unlock, err := vcs.LockFile(ctx, filepath.Join(ix.opts.Dir, ".locks", shardName(id)+".lock"))
	if err != nil {
		return BuildResult{}, err
	}
	defer unlock()
	// A build that died hiding the shards would leave them hidden (hide.go).
	ix.show(id)
	versions := versionsOf(branches, ix.opts.MaxFileSize)
	if ix.holds(id, versions) {
		return BuildResult{Duration: time.Since(start)}, nil
	}
	opts := ix.buildOptions(id, versions)
	changed, delta := ix.deltaChanges(ctx, opts, m, branches)
	opts.IsDelta = delta
	b, err := build.NewBuilder(opts)
	if err != nil {
		return BuildResult{}, fmt.Errorf("starting the shard of %s: %w", repo.Name, err)
	}
	var res BuildResult
	if delta {
		res, err = ix.addChanges(ctx, b, m, branches, changed)
	} else {
		res, err = ix.addTrees(ctx, b, m, branches, nil)
	}
	if err != nil {
		// Finish would write what was added; the temporary shards are removed instead.
		ix.removeTemporary(id)
		return BuildResult{}, fmt.Errorf("indexing %s at %s: %w", repo.Name, branches[0].Commit, err)
	}
	if delta || len(opts.FindAllShards()) > 1 || res.ContentBytes >= int64(shardMax(opts))/2 {
		// Finish changes several files the searchers read (hide.go): a delta's, the
		// shards of a stack, or the new shards of a repository that takes several.
		if err := ix.hide(id); err != nil {
			ix.removeTemporary(id)
			return BuildResult{}, err
		}
		defer ix.show(id)
	}
	if err := b.Finish(); err != nil {
		return BuildResult{}, fmt.Errorf("writing the shard of %s: %w", repo.Name, err)
	}
	for _, p := range opts.FindAllShards() {
		if fi, err := os.Stat(p); err == nil {
			res.IndexBytes += fi.Size()
		}
	}
	res.Built, res.Duration, res.Delta = true, time.Since(start), delta
	return res, nil
}

// deltaChanges returns the paths changed on any branch since the commits the
// repository's shards hold, and whether a delta build can apply them: shards of the same
// branches, of this layout and size limit, not too many of them, not too many changes.
// A branch added or dropped takes a full build (zoekt stacks deltas only on the same
// branches). Each change carries the path's new blob on the branch it was found on.
func (ix *Indexer) deltaChanges(ctx context.Context, opts build.Options, m *vcs.Mirror, branches []Branch) (map[string]*vcs.TreeChange, bool) {
	r, _, ok, err := opts.FindRepositoryMetadata()
	if err != nil || !ok || !build.BranchNamesEqual(r.Branches, opts.RepositoryDescription.Branches) {
		return nil, false
	}
	if len(opts.FindAllShards()) >= maxDeltaShards {
		return nil, false
	}
	changed := map[string]*vcs.TreeChange{}
	for i, br := range branches {
		old := r.Branches[i].Version
		if !strings.HasPrefix(old, ShardVersion("", ix.opts.MaxFileSize)) {
			return nil, false
		}
		if CommitOf(old) == br.Commit {
			continue
		}
		changes, err := m.DiffTree(ctx, CommitOf(old), br.Commit)
		if err != nil {
			return nil, false
		}
		for _, c := range changes {
			changed[c.Path] = &c
		}
		if len(changed) > maxDeltaChanges {
			return nil, false
		}
	}
	return changed, true
}

// addChanges adds the files changed on any branch, as each branch now has them, and
// hides their older versions.
func (ix *Indexer) addChanges(ctx context.Context, b *build.Builder, m *vcs.Mirror, branches []Branch, changed map[string]*vcs.TreeChange) (BuildResult, error) {
	for p := range changed {
		b.MarkFileAsChangedOrRemoved(p)
	}
	if len(branches) > 1 {
		// A path changed on one branch is re-added from every branch that has it: its
		// older documents, which the changed mark hides, may be another branch's.
		return ix.addTrees(ctx, b, m, branches, changed)
	}
	var entries []treeFile
	for _, c := range changed {
		if c.NewOID != "" && c.NewMode != vcs.ModeSymlink && c.NewMode != vcs.ModeSubmodule {
			entries = append(entries, treeFile{TreeEntry: vcs.TreeEntry{Path: c.Path, Mode: c.NewMode, Type: "blob", OID: c.NewOID, Size: -1}, branches: headBranch})
		}
	}
	slices.SortFunc(entries, func(a, b treeFile) int { return strings.Compare(a.Path, b.Path) })
	return ix.addEntries(ctx, b, m, entries)
}

// shardMax is the content size above which zoekt starts another shard.
func shardMax(opts build.Options) int {
	if opts.ShardMax > 0 {
		return opts.ShardMax
	}
	return 100 << 20 // zoekt's default
}

func (ix *Indexer) buildOptions(id uint32, branches []zoekt.RepositoryBranch) build.Options {
	// Files above the limit are remainders, added without content, so zoekt's own
	// size and trigram limits never apply (a file zoekt skipped would hold a reason
	// Lookout did not write).
	limit := int(ix.opts.MaxFileSize) + 1
	return build.Options{
		IndexDir: ix.opts.Dir,
		RepositoryDescription: zoekt.Repository{
			ID:       id,
			Name:     shardName(id),
			Branches: branches,
		},
		SizeMax:    limit,
		TrigramMax: limit,
		ShardMax:   ix.opts.ShardMax,
		// One shard at a time: the job queue decides how many builds run at once.
		Parallelism: 1,
		// A universal-ctags on PATH would change the options hash of every shard, and
		// searches do not use symbols.
		DisableCTags: true,
	}
}

// holds reports whether the shard of id holds exactly these branches and versions.
func (ix *Indexer) holds(id uint32, branches []zoekt.RepositoryBranch) bool {
	opts := ix.buildOptions(id, branches)
	r, _, ok, err := opts.FindRepositoryMetadata()
	return err == nil && ok && slices.Equal(r.Branches, branches)
}

// readBatch is how many blobs one ReadBatch call asks for.
const readBatch = 256

// treeFile is a file of one or more branches' trees: one document.
type treeFile struct {
	vcs.TreeEntry
	branches []string
}

// addTrees adds every file of the branches' trees as a document, as the unindexed
// search sees a tree: blobs only (no symlinks or submodules). A path with the same blob
// on several branches is one document of all of them. When only is not nil, only its
// paths are added.
func (ix *Indexer) addTrees(ctx context.Context, b *build.Builder, m *vcs.Mirror, branches []Branch, only map[string]*vcs.TreeChange) (BuildResult, error) {
	type key struct{ path, oid string }
	at := map[key]int{} // index in files
	var files []treeFile
	for _, br := range branches {
		tree, err := m.ListTree(ctx, br.Commit)
		if err != nil {
			return BuildResult{}, err
		}
		for _, e := range tree {
			if e.Type != "blob" || e.Mode == vcs.ModeSymlink {
				continue
			}
			if _, ok := only[e.Path]; only != nil && !ok {
				continue
			}
			k := key{e.Path, e.OID}
			if i, ok := at[k]; ok {
				files[i].branches = append(files[i].branches, br.Name)
				continue
			}
			at[k] = len(files)
			files = append(files, treeFile{TreeEntry: e, branches: []string{br.Name}})
		}
	}
	return ix.addEntries(ctx, b, m, files)
}

// addEntries adds files (blobs) as documents. A size of -1 is not known: the blob is
// read to learn it.
func (ix *Indexer) addEntries(ctx context.Context, b *build.Builder, m *vcs.Mirror, files []treeFile) (BuildResult, error) {
	res := BuildResult{Files: len(files)}
	var toRead []treeFile
	for _, e := range files {
		if e.Size > ix.opts.MaxFileSize {
			if err := b.Add(remainderDoc(e, Remainder{Kind: RemainderLarge, Size: e.Size, OID: e.OID})); err != nil {
				return BuildResult{}, err
			}
			continue
		}
		toRead = append(toRead, e)
	}
	r, err := m.NewBlobReader(ctx)
	if err != nil {
		return BuildResult{}, err
	}
	defer r.Close()
	for len(toRead) > 0 {
		batch := toRead[:min(readBatch, len(toRead))]
		toRead = toRead[len(batch):]
		names := make([]string, len(batch))
		for i, e := range batch {
			names[i] = e.OID
		}
		i := 0
		err := r.ReadBatch(names, func(info vcs.ObjectInfo, data []byte) error {
			e := batch[i]
			i++
			if info.Missing {
				return fmt.Errorf("blob %s of %s is missing", e.OID, e.Path)
			}
			if int64(len(data)) > ix.opts.MaxFileSize {
				return b.Add(remainderDoc(e, Remainder{Kind: RemainderLarge, Size: int64(len(data)), OID: e.OID}))
			}
			res.ContentBytes += int64(len(data))
			return b.Add(document(e, data))
		})
		if err != nil {
			return BuildResult{}, err
		}
		if err := ctx.Err(); err != nil {
			return BuildResult{}, err
		}
	}
	return res, nil
}

// binaryPrefix is how much of a file git's binary test reads.
const binaryPrefix = 8000

// document is the zoekt document of a file read from the tree (data is copied).
func document(e treeFile, data []byte) zoekt.Document {
	nul := bytes.IndexByte(data, 0)
	switch {
	case nul >= 0 && nul < binaryPrefix:
		return remainderDoc(e, Remainder{Kind: RemainderBinary, Size: int64(len(data)), OID: e.OID})
	case nul >= 0 || len(data) > 0 && len(data) < 3 || FoldHazard(data) || FoldHazard([]byte(e.Path)):
		return remainderDoc(e, Remainder{Kind: RemainderStored, Size: int64(len(data)), OID: e.OID, Content: bytes.Clone(data)})
	}
	// Lookout decides languages itself (go-enry, by name and then content, as over a
	// mirror); the shard gets the name's, which spares the builder the content
	// classifier (a sixth of its time).
	return zoekt.Document{Name: e.Path, Content: bytes.Clone(data), Branches: e.branches, Language: languageByName(e.Path)}
}

// languageByName is the language go-enry gives a file name alone ("Text" when it gives
// none or several).
func languageByName(path string) string {
	if lang, ok := enry.GetLanguageByFilename(path); ok {
		return lang
	}
	if lang, ok := enry.GetLanguageByExtension(path); ok {
		return lang
	}
	return "Text"
}

// headBranch is the branches of a document of a shard of the default branch alone.
var headBranch = []string{DefaultBranch}

// remainderDoc is a document without content whose SkipReason describes the file.
// Without content zoekt's own checks pass it through unchanged.
func remainderDoc(e treeFile, r Remainder) zoekt.Document {
	return zoekt.Document{Name: e.Path, SkipReason: r.reason(), Branches: e.branches}
}

// removeTemporary removes the temporary shard files of id, left by a build that was
// not finished (the caller holds the repository's lock).
func (ix *Indexer) removeTemporary(id uint32) {
	matches, _ := filepath.Glob(filepath.Join(ix.opts.Dir, url.QueryEscape(shardName(id))+"_v*.zoekt.*.tmp"))
	for _, p := range matches {
		_ = os.Remove(p)
	}
}

// shardFile matches the shard files Index writes: lookout-<id>_v<format>.<n>.zoekt.
var shardFile = regexp.MustCompile(`^lookout-([0-9]+)_v[0-9]+\.[0-9]+\.zoekt$`)

// Prune removes the shards of repositories keep does not keep (deleted ones), and
// temporary files older than an hour (builds that died). keep is given every repository
// id that has a shard. It returns how many repositories' shards it removed.
func (ix *Indexer) Prune(ctx context.Context, keep func(ctx context.Context, ids []int64) (map[int64]bool, error)) (int, error) {
	entries, err := os.ReadDir(ix.opts.Dir)
	if err != nil {
		return 0, err
	}
	files := map[int64][]string{}
	for _, e := range entries {
		if m := shardFile.FindStringSubmatch(e.Name()); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			files[id] = append(files[id], e.Name())
			continue
		}
		if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".tmp") && time.Since(info.ModTime()) > time.Hour {
			_ = os.Remove(filepath.Join(ix.opts.Dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return 0, nil
	}
	kept, err := keep(ctx, slices.Collect(maps.Keys(files)))
	if err != nil {
		return 0, err
	}
	removed := 0
	for id, names := range files {
		if kept[id] {
			continue
		}
		for _, n := range names {
			paths, err := zoekt.IndexFilePaths(filepath.Join(ix.opts.Dir, n))
			if err != nil {
				return removed, err
			}
			for _, p := range paths {
				_ = os.Remove(p)
			}
		}
		removed++
	}
	return removed, nil
}
