package executor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lookout/lookout/internal/vcs"
)

// Source is the repository and revision a run starts from.
type Source struct {
	// GitDir is the repository's bare mirror (vcs.Mirror.Dir()). It is only
	// read: the workspace gets its own copy of the base commit.
	GitDir string
	// Revision is the base revision, usually a full commit id.
	Revision string
}

// workspace is one run's directory under Config.Root:
//
//	ws-<unixnano>-<random>/
//	  work/   the checkout at the base commit, with its own .git holding only
//	          that commit (a shallow fetch), so steps may run git; mounted at
//	          /work in containers
//	  git/    a private git dir (index, and the mirror's objects through
//	          alternates) that the diff is computed with; steps never need it
//	          and a container never sees it
//	  home/   HOME of local steps
//	  tmp/    TMPDIR of local steps
//	  steps/  the step scripts
//
// The diff is computed with git/ rather than work/.git because a step may
// delete or rewrite work/.git, and a config it wrote there (core.fsmonitor,
// hooks, filters) would run commands in the worker outside any container.
type workspace struct {
	root, work, gitDir, home, tmp, steps string
	name                                 string
	base                                 string
}

// wsPrefix starts every workspace directory's name; the creation time
// follows, so the janitor needs no other bookkeeping.
const wsPrefix = "ws-"

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (r *Runner) createWorkspace(ctx context.Context, src Source) (ws *workspace, err error) {
	if src.GitDir == "" || !filepath.IsAbs(src.GitDir) {
		return nil, invalidf("source git dir %q is not an absolute path", src.GitDir)
	}
	if err := vcs.CheckRevision(src.Revision); err != nil {
		return nil, invalidf("base revision: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(src.GitDir, "objects")); err != nil || !fi.IsDir() {
		return nil, setupError("reading mirror", fmt.Errorf("%s is not a bare git repository", src.GitDir))
	}
	out, err := r.git(ctx, src.GitDir, nil, "--git-dir="+src.GitDir, "rev-parse", "--verify", "--quiet", "--end-of-options", src.Revision+"^{commit}")
	if err != nil {
		return nil, setupError(fmt.Sprintf("resolving base revision %q", src.Revision), err)
	}
	base := strings.TrimSpace(string(out))

	name := wsPrefix + strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + randomHex(6)
	root := filepath.Join(r.cfg.Root, name)
	if err := os.Mkdir(root, 0o700); err != nil {
		return nil, setupError("creating workspace", err)
	}
	ws = &workspace{
		root: root, name: name, base: base,
		work:   filepath.Join(root, "work"),
		gitDir: filepath.Join(root, "git"),
		home:   filepath.Join(root, "home"),
		tmp:    filepath.Join(root, "tmp"),
		steps:  filepath.Join(root, "steps"),
	}
	defer func() {
		if err != nil {
			ws.remove()
			ws = nil
		}
	}()
	for _, d := range []string{ws.work, ws.home, ws.tmp, ws.steps} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return ws, setupError("creating workspace", err)
		}
	}

	// The work tree's repository: only the base commit, fetched from the
	// mirror, so it is self-contained (usable inside a container) and shares
	// no object store with the mirror.
	steps := [][]string{
		{"-c", "init.defaultBranch=main", "init", "--quiet", "--template=", ws.work},
		{"-C", ws.work, "-c", "protocol.version=2", "-c", "uploadpack.allowAnySHA1InWant=true",
			"fetch", "--quiet", "--depth=1", "--no-tags", "--no-write-fetch-head", "--", src.GitDir, base},
		{"-C", ws.work, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", base},
		{"init", "--quiet", "--bare", "--template=", ws.gitDir},
	}
	for _, args := range steps {
		if _, err := r.git(ctx, ws.root, nil, args...); err != nil {
			return ws, setupError("checking out base commit "+base, err)
		}
	}
	alternates := filepath.Join(ws.gitDir, "objects", "info", "alternates")
	if err := os.MkdirAll(filepath.Dir(alternates), 0o755); err != nil {
		return ws, setupError("creating workspace", err)
	}
	if err := os.WriteFile(alternates, []byte(filepath.Join(src.GitDir, "objects")+"\n"), 0o644); err != nil {
		return ws, setupError("creating workspace", err)
	}
	// The checkout's index has fresh stat data, so the final `add -A` only
	// rehashes the files a step touched.
	if err := copyFile(filepath.Join(ws.work, ".git", "index"), filepath.Join(ws.gitDir, "index")); err != nil {
		return ws, setupError("creating workspace", err)
	}
	return ws, nil
}

// diff stages everything in the work tree in the private index and returns
// the binary diff of the base commit to it: new, modified, deleted files and
// mode changes; files matching .gitignore are left out. Empty when nothing
// changed. Longer than limit bytes gives ErrDiffTooLarge.
func (r *Runner) diff(ctx context.Context, ws *workspace, limit int64) ([]byte, error) {
	private := []string{
		"--git-dir=" + ws.gitDir, "--work-tree=" + ws.work,
		"-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
		"-c", "core.untrackedCache=false", "-c", "core.attributesFile=/dev/null",
		"-c", "core.excludesFile=/dev/null",
	}
	if _, err := r.git(ctx, ws.work, nil, append(private, "add", "--all")...); err != nil {
		return nil, setupError("staging the step's changes", err)
	}
	var buf bytes.Buffer
	lw := &capWriter{w: &buf, n: limit}
	_, err := r.git(ctx, ws.work, lw, append(private, "diff", "--cached", "--binary", "--no-color", "--no-ext-diff",
		"--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", ws.base, "--")...)
	if lw.over {
		return nil, &Error{Kind: ErrDiffTooLarge, ExitCode: -1, Detail: fmt.Sprintf("the changes exceed the diff limit of %s", formatBytes(limit))}
	}
	if err != nil {
		return nil, setupError("computing the diff", err)
	}
	if buf.Len() == 0 {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// capWriter fails once more than n bytes were written, which stops the git
// process writing to it.
type capWriter struct {
	w    io.Writer
	n    int64
	over bool
}

var errCapExceeded = errors.New("output limit exceeded")

func (c *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.n {
		c.over = true
		return 0, errCapExceeded
	}
	c.n -= int64(len(p))
	return c.w.Write(p)
}

// gitEnv is the environment of the runner's own git commands: nothing from
// the worker but PATH, and no user or system configuration.
func (r *Runner) gitEnv(home string) []string {
	return []string{
		"PATH=" + r.cfg.Path,
		"HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_ATTR_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ALLOW_PROTOCOL=file",
		"GIT_NO_REPLACE_OBJECTS=1",
		"LC_ALL=C",
	}
}

// git runs a git command in dir with a timeout and returns its stdout (or
// streams it to w when given).
func (r *Runner) git(ctx context.Context, dir string, w io.Writer, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.GitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.cfg.GitBinary, args...)
	cmd.Dir = dir
	cmd.Env = r.gitEnv(os.TempDir())
	var stdout bytes.Buffer
	if w != nil {
		cmd.Stdout = w
	} else {
		cmd.Stdout = &stdout
	}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 16 << 10}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		if msg != "" {
			return nil, fmt.Errorf("git %s: %w: %s", subcommand(args), err, msg)
		}
		return nil, fmt.Errorf("git %s: %w", subcommand(args), err)
	}
	return stdout.Bytes(), nil
}

// subcommand names a git invocation in errors: its first non-option argument
// after the global options.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-c" || a == "-C" {
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "?"
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// remove deletes the workspace. Steps can leave read-only directories (Go's
// module cache does), so a failed removal makes everything writable and
// tries again.
func (ws *workspace) remove() error {
	return removeAll(ws.root)
}

func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	// WalkDir visits a directory before reading it, so making it writable
	// and readable here lets the walk and the removal descend into it.
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing workspace: %w", err)
	}
	return nil
}

// RemoveStale deletes workspaces under root created more than maxAge ago,
// leftovers of a worker that died mid-run, and kills the processes still
// running in them. Workers sharing root on one machine are safe from each
// other as long as maxAge exceeds the longest run (Config.StaleAfter does).
// It returns how many workspaces it removed.
func RemoveStale(root string, maxAge time.Duration) (int, error) {
	return removeStale(root, maxAge, nil)
}

func removeStale(root string, maxAge time.Duration, beforeRemove func(name string)) (int, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("listing workspaces: %w", err)
	}
	cutoff := time.Now().Add(-maxAge).UnixNano()
	removed := 0
	var errs []error
	for _, e := range entries {
		created, ok := workspaceTime(e.Name())
		if !ok || created > cutoff {
			continue
		}
		dir := filepath.Join(root, e.Name())
		killProcessesUnder(dir)
		if beforeRemove != nil {
			beforeRemove(e.Name())
		}
		if err := removeAll(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

func workspaceTime(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, wsPrefix)
	if !ok {
		return 0, false
	}
	ns, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(ns, 10, 64)
	return t, err == nil
}
