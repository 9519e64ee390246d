package vcs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/log"
)

// PatchCommit describes a commit to create from a patch.
type PatchCommit struct {
	// Base is the revision the patch applies to; it becomes the parent.
	Base string
	// Patch is a unified diff, with a/ and b/ prefixes (as git diff writes
	// it) or without (as diff -u of two trees' relative paths); the prefix
	// style is detected.
	Patch   []byte
	Message string
	Author  Signature
	// Committer defaults to Author. A zero Date means now.
	Committer Signature
}

func checkSignature(s Signature, role string) error {
	for _, v := range []string{s.Name, s.Email} {
		if strings.ContainsAny(v, "<>\n\x00") {
			return invalidf("%s %q contains '<', '>' or a newline", role, v)
		}
	}
	if strings.TrimSpace(s.Name) == "" || strings.TrimSpace(s.Email) == "" {
		return invalidf("%s needs a name and an email", role)
	}
	return nil
}

func signatureEnv(prefix string, s Signature) []string {
	d := s.Date
	if d.IsZero() {
		d = time.Now()
	}
	return []string{
		prefix + "_NAME=" + s.Name,
		prefix + "_EMAIL=" + s.Email,
		prefix + "_DATE=@" + strconv.FormatInt(d.Unix(), 10) + " " + d.Format("-0700"),
	}
}

// CreateCommitFromPatch writes a commit whose tree is Base's tree with the
// patch applied, without a work tree: a temporary index is loaded from Base,
// the patch applied to it (git apply --cached), and the tree and commit are
// written into the mirror's object store. No ref is changed; Push publishes
// the commit. A patch that git rejects gives a *PatchError (ErrPatchDoesNotApply).
func (m *Mirror) CreateCommitFromPatch(ctx context.Context, pc PatchCommit) (string, error) {
	if err := checkSignature(pc.Author, "author"); err != nil {
		return "", err
	}
	committer := pc.Committer
	if committer.Name == "" && committer.Email == "" {
		committer = pc.Author
	}
	if err := checkSignature(committer, "committer"); err != nil {
		return "", err
	}
	if strings.ContainsRune(pc.Message, 0) {
		return "", invalidf("commit message contains a NUL byte")
	}
	base, err := m.ResolveRevision(ctx, pc.Base)
	if err != nil {
		return "", err
	}

	tmp, err := os.MkdirTemp("", "lookout-index-*")
	if err != nil {
		return "", fmt.Errorf("creating temporary index: %w", err)
	}
	defer os.RemoveAll(tmp)
	indexEnv := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}

	if _, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, env: indexEnv, args: []string{"read-tree", "--end-of-options", base}}); err != nil {
		return "", fmt.Errorf("reading tree of %s into temporary index: %w", base, err)
	}
	strip := "-p1"
	if !hasGitPrefixes(pc.Patch) {
		strip = "-p0"
	}
	if _, err := m.c.run(ctx, &gitCmd{
		gitDir: m.dir,
		env:    indexEnv,
		args:   []string{"apply", "--cached", "--whitespace=nowarn", strip, "-"},
		stdin:  bytes.NewReader(pc.Patch),
	}); err != nil {
		var ce *CommandError
		if ctx.Err() == nil && errors.As(err, &ce) && ce.ExitCode > 0 {
			return "", &PatchError{Repo: m.name, Base: pc.Base, Detail: strings.TrimSpace(ce.Stderr)}
		}
		return "", fmt.Errorf("applying patch: %w", err)
	}
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, env: indexEnv, args: []string{"write-tree"}})
	if err != nil {
		return "", fmt.Errorf("writing tree: %w", err)
	}
	tree := strings.TrimSpace(string(out))
	if !IsOID(tree) {
		return "", fmt.Errorf("git write-tree returned %q", tree)
	}
	env := append(signatureEnv("GIT_AUTHOR", pc.Author), signatureEnv("GIT_COMMITTER", committer)...)
	out, err = m.c.run(ctx, &gitCmd{
		gitDir: m.dir,
		env:    env,
		args:   []string{"commit-tree", "-p", base, "--end-of-options", tree},
		stdin:  strings.NewReader(pc.Message),
	})
	if err != nil {
		return "", fmt.Errorf("writing commit: %w", err)
	}
	oid := strings.TrimSpace(string(out))
	if !IsOID(oid) {
		return "", fmt.Errorf("git commit-tree returned %q", oid)
	}
	return oid, nil
}

// hasGitPrefixes reports whether every file header of a unified diff uses the
// a/ and b/ prefixes of git diff (apply with -p1) rather than bare paths (-p0).
// Hunk line counts are followed so that body lines like "--- x" are skipped.
func hasGitPrefixes(patch []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(patch))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	oldLeft, newLeft := 0, 0
	sawHeader := false
	for sc.Scan() {
		line := sc.Text()
		if oldLeft > 0 || newLeft > 0 {
			switch {
			case strings.HasPrefix(line, "+"):
				newLeft--
			case strings.HasPrefix(line, "-"):
				oldLeft--
			case strings.HasPrefix(line, "\\"):
			default:
				oldLeft--
				newLeft--
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "@@ "):
			if h, ok := parseHunkHeader(line); ok {
				oldLeft, newLeft = h.OldLines, h.NewLines
			}
		case strings.HasPrefix(line, "diff --git "):
			sawHeader = true
			rest := strings.TrimPrefix(strings.TrimPrefix(line, "diff --git "), `"`)
			if !strings.HasPrefix(rest, "a/") {
				return false
			}
		case strings.HasPrefix(line, "--- "):
			sawHeader = true
			p := strings.TrimPrefix(line[4:], `"`)
			if p != "/dev/null" && !strings.HasPrefix(p, "a/") {
				return false
			}
		case strings.HasPrefix(line, "+++ "):
			sawHeader = true
			p := strings.TrimPrefix(line[4:], `"`)
			if p != "/dev/null" && !strings.HasPrefix(p, "b/") {
				return false
			}
		}
	}
	return sawHeader || sc.Err() != nil
}

// Push publishes a commit of the mirror to a branch of the repository's remote
// (refs/heads/<branch>), authenticating with the repository's credential. A
// push the remote refuses (not a fast-forward without force, protected
// branch) gives a *PushRejectedError (ErrPushRejected).
func (c *Cache) Push(ctx context.Context, repo Repo, oid, branch string, force bool) error {
	if !IsOID(oid) {
		return invalidf("push needs a full commit id, got %q", oid)
	}
	if err := CheckBranchName(branch); err != nil {
		return err
	}
	m, err := c.Mirror(repo.Name)
	if err != nil {
		return err
	}
	rem, err := parseRemote(repo, c.opts.AllowLocal)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	ref := "refs/heads/" + branch
	refspec := oid + ":" + ref
	if force {
		refspec = "+" + refspec
	}
	start := time.Now()
	out, err := c.run(ctx, &gitCmd{
		gitDir:  m.dir,
		config:  []string{"core.hooksPath=/dev/null"},
		args:    []string{"push", "--porcelain", "--no-verify", "--no-recurse-submodules", "--end-of-options", rem.url, refspec},
		remote:  &rem,
		timeout: c.opts.NetworkTimeout,
	})
	if err != nil {
		// --porcelain reports per-ref status on stdout: "!\t<src>:<dst>\t[rejected] (reason)".
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "!\t") {
				reason := line
				if f := strings.SplitN(line, "\t", 3); len(f) == 3 {
					reason = f[2]
				}
				return &PushRejectedError{Repo: repo.Name, Ref: ref, Reason: rem.redact(reason)}
			}
		}
		return fmt.Errorf("pushing %s to %s of %s: %w", oid, ref, repo.Name, err)
	}
	c.logger.Info("pushed commit", log.String("repo", repo.Name), log.String("ref", ref), log.String("commit", oid),
		log.Bool("force", force), log.Duration("duration", time.Since(start)))
	return nil
}
