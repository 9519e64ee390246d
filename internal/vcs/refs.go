package vcs

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// Ref is a git reference.
type Ref struct {
	Name string // full name: "refs/heads/main", "refs/tags/v1", "HEAD"
	OID  string // what the ref points at (for an annotated tag, the tag object)
	// Peeled is the commit an annotated tag points at; empty for other refs.
	Peeled string
	// Target is the ref a symbolic ref points at (HEAD -> refs/heads/main).
	Target string
}

// Commit returns the commit id the ref resolves to.
func (r Ref) Commit() string {
	if r.Peeled != "" {
		return r.Peeled
	}
	return r.OID
}

func checkRefPattern(p string) error {
	if p == "" || p[0] == '-' || strings.ContainsFunc(p, isControl) || strings.ContainsAny(p, " \\") || strings.Contains(p, "..") {
		return invalidf("invalid ref pattern %q", p)
	}
	return nil
}

// ListRefs lists the mirror's refs, sorted by name. Patterns are ref prefixes
// or globs as for git for-each-ref ("refs/heads/", "refs/tags/v*"); none lists
// all. Branches are ListRefs(ctx, "refs/heads/").
func (m *Mirror) ListRefs(ctx context.Context, patterns ...string) ([]Ref, error) {
	for _, p := range patterns {
		if err := checkRefPattern(p); err != nil {
			return nil, err
		}
	}
	args := append([]string{"for-each-ref", "--format=%(objectname)%00%(refname)%00%(*objectname)%00%(symref)", "--end-of-options"}, patterns...)
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: args})
	if err != nil {
		return nil, fmt.Errorf("listing refs of %s: %w", m.name, err)
	}
	var refs []Ref
	for _, line := range bytes.Split(out, []byte{'\n'}) {
		f := bytes.Split(line, []byte{0})
		if len(f) != 4 {
			continue
		}
		refs = append(refs, Ref{OID: string(f[0]), Name: string(f[1]), Peeled: string(f[2]), Target: string(f[3])})
	}
	return refs, nil
}

// DefaultBranch is the mirror's HEAD: the remote's default branch as of the
// clone (kept up to date when that branch disappears; see
// Cache.RemoteDefaultBranch to ask the remote). It returns the short branch
// name and its commit, which is empty for an empty repository.
func (m *Mirror) DefaultBranch(ctx context.Context) (branch, oid string, err error) {
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"symbolic-ref", "--quiet", "HEAD"}})
	if err != nil {
		return "", "", fmt.Errorf("reading HEAD of %s: %w", m.name, err)
	}
	ref := strings.TrimSpace(string(out))
	branch = strings.TrimPrefix(ref, "refs/heads/")
	out, err = m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"}})
	if err != nil {
		// HEAD of an empty repository names a branch that does not exist yet.
		return branch, "", nil
	}
	return branch, strings.TrimSpace(string(out)), nil
}

// LsRemote lists the remote's refs, with symbolic refs' targets (HEAD) and
// annotated tags peeled. Patterns are matched by git ls-remote (tail match:
// "main" matches "refs/heads/main"); none lists all.
func (c *Cache) LsRemote(ctx context.Context, repo Repo, patterns ...string) ([]Ref, error) {
	for _, p := range patterns {
		if err := checkRefPattern(p); err != nil {
			return nil, err
		}
	}
	return c.lsRemote(ctx, repo, nil, patterns)
}

func (c *Cache) lsRemote(ctx context.Context, repo Repo, flags, patterns []string) ([]Ref, error) {
	rem, err := parseRemote(repo, c.opts.AllowLocal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	return c.lsRemoteURL(ctx, repo.Name, rem, flags, patterns)
}

func (c *Cache) lsRemoteURL(ctx context.Context, name string, rem remote, flags, patterns []string) ([]Ref, error) {
	args := append([]string{"ls-remote", "--symref"}, flags...)
	args = append(args, "--end-of-options", rem.url)
	args = append(args, patterns...)
	out, err := c.run(ctx, &gitCmd{args: args, remote: &rem, timeout: c.opts.NetworkTimeout})
	if err != nil {
		return nil, fmt.Errorf("listing remote refs of %s: %w", name, err)
	}
	var refs []Ref
	index := make(map[string]int)
	targets := make(map[string]string)
	for _, line := range strings.Split(string(out), "\n") {
		left, refName, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if target, isSym := strings.CutPrefix(left, "ref: "); isSym {
			targets[refName] = target
			continue
		}
		if base, peeled := strings.CutSuffix(refName, "^{}"); peeled {
			if i, ok := index[base]; ok {
				refs[i].Peeled = left
			}
			continue
		}
		index[refName] = len(refs)
		refs = append(refs, Ref{Name: refName, OID: left})
	}
	for name, target := range targets {
		if i, ok := index[name]; ok {
			refs[i].Target = target
		} else {
			// An unborn HEAD (empty repository) has a target but no object.
			refs = append(refs, Ref{Name: name, Target: target})
		}
	}
	return refs, nil
}

// RemoteDefaultBranch asks the remote for its default branch (the target of
// its HEAD) and, if the repository is cloned, records it as the mirror's HEAD.
func (c *Cache) RemoteDefaultBranch(ctx context.Context, repo Repo) (string, error) {
	rem, err := parseRemote(repo, c.opts.AllowLocal)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	target, err := c.remoteHead(ctx, repo.Name, rem)
	if err != nil {
		return "", err
	}
	if target == "" {
		return "", fmt.Errorf("remote of %s has no HEAD", repo.Name)
	}
	if m, err := c.Mirror(repo.Name); err == nil {
		if err := m.setHead(ctx, target); err != nil {
			return "", fmt.Errorf("updating HEAD of %s: %w", repo.Name, err)
		}
	}
	return strings.TrimPrefix(target, "refs/heads/"), nil
}

func (c *Cache) remoteHead(ctx context.Context, name string, rem remote) (string, error) {
	refs, err := c.lsRemoteURL(ctx, name, rem, nil, []string{"HEAD"})
	if err != nil {
		return "", err
	}
	for _, r := range refs {
		if r.Name == "HEAD" {
			return r.Target, nil
		}
	}
	return "", nil
}

// BranchExists reports whether the remote has the branch (short name).
func (c *Cache) BranchExists(ctx context.Context, repo Repo, branch string) (bool, error) {
	if err := CheckBranchName(branch); err != nil {
		return false, err
	}
	ref := "refs/heads/" + branch
	refs, err := c.lsRemote(ctx, repo, []string{"--heads"}, []string{ref})
	if err != nil {
		return false, err
	}
	for _, r := range refs {
		if r.Name == ref {
			return true, nil
		}
	}
	return false, nil
}
