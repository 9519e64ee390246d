package vcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/log"
)

// Options configure a Cache. The zero value is usable.
type Options struct {
	// Logger defaults to log.Scoped("vcs").
	Logger log.Logger
	// GitBinary defaults to "git" looked up in PATH.
	GitBinary string
	// AllowLocal permits file:// URLs and absolute paths as clone URLs. Off in
	// production: a user who can add a repository must not read the server's
	// disk. Tests and the demo turn it on.
	AllowLocal bool
	// CommandTimeout bounds local commands (rev-parse, log, ls-tree, ...) when
	// the caller's context has no earlier deadline. Default 5 minutes.
	CommandTimeout time.Duration
	// NetworkTimeout bounds clone, fetch, push and ls-remote. Default 30 minutes.
	NetworkTimeout time.Duration
	// SlowCommand is the duration above which a command is logged at debug
	// level. Default 10 seconds.
	SlowCommand time.Duration
	// NoPackReader makes NewBlobReader always read through git cat-file
	// (REPOS_READ_PACKS=false; benchmarks compare the two).
	NoPackReader bool
}

// Cache is a directory of bare mirrors. It is safe for concurrent use, and
// several Caches (in one or several processes) may share a directory.
type Cache struct {
	root   string
	opts   Options
	logger log.Logger
	locks  repoLocks
	packs  packStores
}

// stampFile lives in each mirror. It exists once the clone is complete, and its
// modification time is the start time of the last successful fetch.
const stampFile = "lookout-fetched"

// tmpDir holds clones in progress and mirrors being deleted. It is inside the
// root so that renames into place are atomic.
const tmpDir = ".tmp"

// NewCache opens (creating if needed) a mirror directory. It checks that git is
// at least 2.36 (cat-file --batch-command) and removes leftovers of clones that
// crashed more than a day ago.
func NewCache(dir string, opts Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("vcs: empty cache directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("vcs: resolving cache directory: %w", err)
	}
	if opts.GitBinary == "" {
		opts.GitBinary = "git"
	}
	if !strings.Contains(opts.GitBinary, "/") {
		p, err := exec.LookPath(opts.GitBinary)
		if err != nil {
			return nil, fmt.Errorf("vcs: git binary: %w", err)
		}
		opts.GitBinary = p
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 5 * time.Minute
	}
	if opts.NetworkTimeout <= 0 {
		opts.NetworkTimeout = 30 * time.Minute
	}
	if opts.SlowCommand <= 0 {
		opts.SlowCommand = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = log.Scoped("vcs")
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("vcs: creating cache directory: %w", err)
	}
	c := &Cache{root: abs, opts: opts, logger: opts.Logger}
	if err := c.checkGitVersion(); err != nil {
		return nil, err
	}
	c.sweepTmp(24 * time.Hour)
	return c, nil
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.root }

func (c *Cache) checkGitVersion() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.run(ctx, &gitCmd{args: []string{"version"}})
	if err != nil {
		return fmt.Errorf("vcs: running git: %w", err)
	}
	// "git version 2.39.5" (possibly with a vendor suffix).
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		return fmt.Errorf("vcs: unexpected git version output %q", out)
	}
	parts := strings.SplitN(fields[2], ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	if major < 2 || major == 2 && minor < 36 {
		return fmt.Errorf("vcs: git %s is too old, need 2.36 or later", fields[2])
	}
	return nil
}

// sweepTmp removes temporary directories older than maxAge: clones or
// removals interrupted by a crash. Newer ones may belong to a live process.
func (c *Cache) sweepTmp(maxAge time.Duration) {
	entries, err := os.ReadDir(filepath.Join(c.root, tmpDir))
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < maxAge {
			continue
		}
		_ = os.RemoveAll(filepath.Join(c.root, tmpDir, e.Name()))
	}
}

// Mirror is a handle on one repository's mirror for local (offline)
// operations. It is cheap and safe for concurrent use; methods fail if the
// mirror is removed underneath them.
type Mirror struct {
	c    *Cache
	name string
	dir  string
}

// Name is the repository name.
func (m *Mirror) Name() string { return m.name }

// Dir is the mirror's git directory.
func (m *Mirror) Dir() string { return m.dir }

func (c *Cache) dirFor(name string) (string, error) {
	rel, err := mirrorRelPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	return filepath.Join(c.root, rel), nil
}

// Mirror returns the mirror of an already cloned repository, or ErrNotCloned.
func (c *Cache) Mirror(name string) (*Mirror, error) {
	dir, err := c.dirFor(name)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, stampFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", name, ErrNotCloned)
		}
		return nil, fmt.Errorf("checking mirror of %s: %w", name, err)
	}
	return &Mirror{c: c, name: name, dir: dir}, nil
}

// LastFetch is the start time of the last successful clone or fetch of a
// repository, or ErrNotCloned.
func (c *Cache) LastFetch(name string) (time.Time, error) {
	dir, err := c.dirFor(name)
	if err != nil {
		return time.Time{}, err
	}
	return lastFetch(dir, name)
}

func lastFetch(dir, name string) (time.Time, error) {
	info, err := os.Stat(filepath.Join(dir, stampFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return time.Time{}, fmt.Errorf("%s: %w", name, ErrNotCloned)
		}
		return time.Time{}, fmt.Errorf("reading last fetch time of %s: %w", name, err)
	}
	return info.ModTime(), nil
}

// RefChange is a ref that a fetch created, moved or deleted.
type RefChange struct {
	Name string // full ref name, "refs/heads/main"
	Old  string // empty if created
	New  string // empty if deleted
}

// FetchResult describes what a Fetch, EnsureFresh or EnsureCloned did.
type FetchResult struct {
	// Cloned is set when this call created the mirror (first clone or re-clone
	// of a broken one). Changes then lists every ref as created.
	Cloned bool
	// Fetched is set when this call contacted the remote. It is false when the
	// mirror was fresh enough or another caller fetched it meanwhile.
	Fetched bool
	// Changes are the refs this call's fetch changed, sorted by name.
	Changes []RefChange
	// FetchedAt is the start time of the fetch the mirror now reflects.
	FetchedAt time.Time
	Mirror    *Mirror
}

// Changed reports whether any ref changed.
func (r *FetchResult) Changed() bool { return len(r.Changes) > 0 }

// EnsureCloned returns the repository's mirror, cloning it if it does not exist.
func (c *Cache) EnsureCloned(ctx context.Context, repo Repo) (*Mirror, error) {
	if m, err := c.Mirror(repo.Name); err == nil {
		return m, nil
	} else if !errors.Is(err, ErrNotCloned) {
		return nil, err
	}
	res, err := c.update(ctx, repo, func(time.Time) bool { return true })
	if err != nil {
		return nil, err
	}
	return res.Mirror, nil
}

// Fetch brings the mirror up to date with the remote, cloning it if needed.
// Concurrent calls for one repository coalesce: a caller that waited for the
// lock while another fetch ran does not fetch again if that fetch started
// after the call began (and so saw everything the caller could expect).
func (c *Cache) Fetch(ctx context.Context, repo Repo) (*FetchResult, error) {
	called := time.Now()
	return c.update(ctx, repo, func(last time.Time) bool { return !last.Before(called) })
}

// EnsureFresh fetches the repository only if its last fetch started more than
// maxAge ago, cloning it if needed. Concurrent callers coalesce into one fetch.
func (c *Cache) EnsureFresh(ctx context.Context, repo Repo, maxAge time.Duration) (*FetchResult, error) {
	fresh := func(last time.Time) bool { return time.Since(last) < maxAge }
	dir, err := c.dirFor(repo.Name)
	if err != nil {
		return nil, err
	}
	if last, err := lastFetch(dir, repo.Name); err == nil && fresh(last) {
		return &FetchResult{FetchedAt: last, Mirror: &Mirror{c: c, name: repo.Name, dir: dir}}, nil
	}
	return c.update(ctx, repo, fresh)
}

// update clones or fetches under the repository lock unless, once the lock is
// held, upToDate says the last fetch already suffices.
func (c *Cache) update(ctx context.Context, repo Repo, upToDate func(last time.Time) bool) (*FetchResult, error) {
	dir, err := c.dirFor(repo.Name)
	if err != nil {
		return nil, err
	}
	rem, err := parseRemote(repo, c.opts.AllowLocal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	unlock, err := c.locks.lock(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	m := &Mirror{c: c, name: repo.Name, dir: dir}
	last, err := lastFetch(dir, repo.Name)
	switch {
	case err == nil:
		if upToDate(last) {
			return &FetchResult{FetchedAt: last, Mirror: m}, nil
		}
		res, err := c.fetchLocked(ctx, m, rem)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil || !errors.Is(err, errBrokenMirror) && c.healthy(ctx, m) {
			return nil, err
		}
		c.logger.Warn("mirror is broken, cloning it again", log.String("repo", repo.Name), log.Error(err))
	case errors.Is(err, ErrNotCloned):
		if _, statErr := os.Lstat(dir); statErr == nil {
			// A directory without the stamp was not made by a completed clone.
			c.logger.Warn("removing incomplete mirror", log.String("repo", repo.Name))
		}
	default:
		return nil, err
	}
	if err := c.removeLocked(dir, repo.Name); err != nil {
		return nil, err
	}
	return c.cloneLocked(ctx, m, rem)
}

// cloneLocked clones into a temporary directory and renames it into place, so
// the mirror's real name only ever holds a complete clone.
func (c *Cache) cloneLocked(ctx context.Context, m *Mirror, rem remote) (*FetchResult, error) {
	start := time.Now()
	hash := nameHash(m.name)
	c.removeStaleTmp(hash)
	tmp, err := os.MkdirTemp(filepath.Join(c.root, tmpDir), hash+"-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cloning %s: %w", m.name, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()

	if _, err := c.run(ctx, &gitCmd{
		args:    []string{"clone", "--bare", "--no-local", "--quiet", "--template=", "--no-recurse-submodules", "--end-of-options", rem.url, tmp},
		remote:  &rem,
		timeout: c.opts.NetworkTimeout,
	}); err != nil {
		return nil, fmt.Errorf("cloning %s: %w", m.name, err)
	}
	// The clone URL is passed on every fetch (it may change); keep none on disk.
	// Commit-graphs make history walks (log, --since, merge bases) much faster.
	for _, args := range [][]string{
		{"config", "--remove-section", "remote.origin"},
		{"config", "fetch.writeCommitGraph", "true"},
		{"commit-graph", "write", "--reachable"},
	} {
		if _, err := c.run(ctx, &gitCmd{gitDir: tmp, args: args}); err != nil {
			return nil, fmt.Errorf("setting up mirror of %s: %w", m.name, err)
		}
	}
	if err := writeStamp(tmp, start); err != nil {
		return nil, fmt.Errorf("cloning %s: %w", m.name, err)
	}
	refs, err := c.refSnapshot(ctx, tmp)
	if err != nil {
		return nil, fmt.Errorf("cloning %s: %w", m.name, err)
	}
	if err := os.MkdirAll(filepath.Dir(m.dir), 0o755); err != nil {
		return nil, fmt.Errorf("cloning %s: %w", m.name, err)
	}
	if err := os.Rename(tmp, m.dir); err != nil {
		return nil, fmt.Errorf("moving clone of %s into place: %w", m.name, err)
	}
	ok = true
	c.logger.Info("cloned repository", log.String("repo", m.name), log.Duration("duration", time.Since(start)), log.Int("refs", len(refs)))
	return &FetchResult{
		Cloned:    true,
		Fetched:   true,
		Changes:   diffRefs(nil, refs),
		FetchedAt: start,
		Mirror:    m,
	}, nil
}

// removeStaleTmp removes temporary directories of earlier clones of this
// repository. The caller holds the repository lock, so none is in progress.
func (c *Cache) removeStaleTmp(hash string) {
	matches, _ := filepath.Glob(filepath.Join(c.root, tmpDir, hash+"-*.tmp"))
	for _, p := range matches {
		_ = os.RemoveAll(p)
	}
}

func (c *Cache) fetchLocked(ctx context.Context, m *Mirror, rem remote) (*FetchResult, error) {
	start := time.Now()
	// A fetch does not notice missing objects when the refs are unchanged,
	// so check the ref tips first: a mirror that lost them is cloned again.
	before, err := c.refSnapshot(ctx, m.dir)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w: %w", m.name, errBrokenMirror, err)
	}
	if err := c.checkTips(ctx, m.dir, before); err != nil {
		return nil, fmt.Errorf("fetching %s: %w", m.name, err)
	}
	if _, err := c.run(ctx, &gitCmd{
		gitDir: m.dir,
		config: []string{"core.hooksPath=/dev/null"},
		args: []string{"fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
			"--end-of-options", rem.url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		remote:  &rem,
		timeout: c.opts.NetworkTimeout,
	}); err != nil {
		return nil, fmt.Errorf("fetching %s: %w", m.name, err)
	}
	after, err := c.refSnapshot(ctx, m.dir)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", m.name, err)
	}
	if err := c.repairHead(ctx, m, rem, after); err != nil {
		c.logger.Warn("could not update default branch", log.String("repo", m.name), log.Error(err))
	}
	if err := writeStamp(m.dir, start); err != nil {
		return nil, fmt.Errorf("fetching %s: %w", m.name, err)
	}
	changes := diffRefs(before, after)
	c.logger.Debug("fetched repository", log.String("repo", m.name), log.Duration("duration", time.Since(start)), log.Int("changed", len(changes)))
	return &FetchResult{Fetched: true, Changes: changes, FetchedAt: start, Mirror: m}, nil
}

// repairHead points HEAD at the remote's default branch when the branch it
// names is gone (renamed default branch). A fetch does not update HEAD, and
// asking the remote costs a full ref listing, so this is done only when needed.
func (c *Cache) repairHead(ctx context.Context, m *Mirror, rem remote, refs map[string]string) error {
	if len(refs) == 0 {
		return nil
	}
	out, err := c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"symbolic-ref", "HEAD"}})
	if err != nil {
		return err
	}
	if _, ok := refs[strings.TrimSpace(string(out))]; ok {
		return nil
	}
	target, err := c.remoteHead(ctx, m.name, rem)
	if err != nil || target == "" {
		return err
	}
	return m.setHead(ctx, target)
}

func (m *Mirror) setHead(ctx context.Context, ref string) error {
	if !strings.HasPrefix(ref, "refs/heads/") || CheckBranchName(strings.TrimPrefix(ref, "refs/heads/")) != nil {
		return fmt.Errorf("remote HEAD %q is not a branch", ref)
	}
	_, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"symbolic-ref", "HEAD", ref}})
	return err
}

func writeStamp(dir string, t time.Time) error {
	p := filepath.Join(dir, stampFile)
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		return fmt.Errorf("writing fetch stamp: %w", err)
	}
	if err := os.Chtimes(p, t, t); err != nil {
		return fmt.Errorf("writing fetch stamp: %w", err)
	}
	return nil
}

// refSnapshot maps every ref to its object id.
func (c *Cache) refSnapshot(ctx context.Context, dir string) (map[string]string, error) {
	out, err := c.run(ctx, &gitCmd{gitDir: dir, args: []string{"for-each-ref", "--format=%(objectname) %(refname)"}})
	if err != nil {
		return nil, err
	}
	refs := make(map[string]string)
	for _, line := range bytes.Split(out, []byte{'\n'}) {
		oid, name, ok := bytes.Cut(line, []byte{' '})
		if ok {
			refs[string(name)] = string(oid)
		}
	}
	return refs, nil
}

func diffRefs(before, after map[string]string) []RefChange {
	var changes []RefChange
	for name, oid := range after {
		if old := before[name]; old != oid {
			changes = append(changes, RefChange{Name: name, Old: old, New: oid})
		}
	}
	for name, old := range before {
		if _, ok := after[name]; !ok {
			changes = append(changes, RefChange{Name: name, Old: old})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Name < changes[j].Name })
	return changes
}

// errBrokenMirror marks a mirror that must be cloned again.
var errBrokenMirror = errors.New("mirror is broken")

// healthy reports whether a mirror is a readable git directory whose refs all
// point at objects it has. It is run after a failed fetch to tell a remote
// problem (keep the mirror) from a broken mirror (clone again).
func (c *Cache) healthy(ctx context.Context, m *Mirror) bool {
	refs, err := c.refSnapshot(ctx, m.dir)
	return err == nil && c.checkTips(ctx, m.dir, refs) == nil
}

// checkTips returns errBrokenMirror if an object a ref points at is missing.
func (c *Cache) checkTips(ctx context.Context, dir string, refs map[string]string) error {
	if len(refs) == 0 {
		return nil
	}
	var in bytes.Buffer
	for _, oid := range refs {
		in.WriteString(oid)
		in.WriteByte('\n')
	}
	out, err := c.run(ctx, &gitCmd{gitDir: dir, args: []string{"cat-file", "--batch-check=%(objecttype)"}, stdin: &in})
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w: %w", errBrokenMirror, err)
	}
	if bytes.Contains(out, []byte(" missing")) {
		return fmt.Errorf("%w: refs point at missing objects", errBrokenMirror)
	}
	return nil
}

// Remove deletes a repository's mirror (for example after reads reported
// corrupt objects); the next EnsureCloned or Fetch clones it again. Removing a
// mirror that does not exist is not an error.
func (c *Cache) Remove(ctx context.Context, name string) error {
	dir, err := c.dirFor(name)
	if err != nil {
		return err
	}
	unlock, err := c.locks.lock(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	return c.removeLocked(dir, name)
}

// removeLocked renames the mirror out of the way (atomically, so readers see
// it either whole or gone) and then deletes it.
func (c *Cache) removeLocked(dir, name string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	trash, err := os.MkdirTemp(filepath.Join(c.root, tmpDir), nameHash(name)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("removing mirror of %s: %w", name, err)
	}
	if err := os.Rename(dir, filepath.Join(trash, "mirror")); err != nil {
		_ = os.RemoveAll(trash)
		return fmt.Errorf("removing mirror of %s: %w", name, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("removing mirror of %s: %w", name, err)
	}
	return nil
}
