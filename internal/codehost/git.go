package codehost

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// GitRemote is a plain git remote as configured in a GIT connection.
type GitRemote struct {
	// URL is the remote to clone from: the configured URL, or the cleaned absolute path
	// of a local repository.
	URL string
	// Name is the repository name derived from URL: "host/path" for network remotes,
	// "local/<last path element>" for local paths and file:// URLs.
	Name string
	// Local is true for local paths and file:// URLs.
	Local bool
}

var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9._~-]+@)?([A-Za-z0-9.-]+):([^/].*)$`)

// ParseGitRemote validates a clone URL or local path and derives the repository name:
//
//	https://host/a/b.git      -> host/a/b   (also http://, ssh://, git://; port dropped)
//	git@host:a/b.git          -> host/a/b   (scp-like syntax)
//	file:///x/y or /x/y(.git) -> local/y
//
// Credentials embedded in URLs are refused (a user name alone only in ssh:// URLs, where it
// is a login name, not a secret): they go in the config's "username" and "token".
func ParseGitRemote(raw string) (GitRemote, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return GitRemote{}, errors.New("must be a clone URL or an absolute local path, got an empty string")
	}
	if strings.HasPrefix(raw, "/") {
		clean := filepath.Clean(raw)
		return GitRemote{URL: clean, Name: localName(clean), Local: true}, nil
	}
	if m := scpLike.FindStringSubmatch(raw); m != nil && !strings.Contains(raw, "://") {
		p := trimRepoPath(m[2])
		if p == "" {
			return GitRemote{}, fmt.Errorf("has no repository path: %q", raw)
		}
		return GitRemote{URL: raw, Name: strings.ToLower(m[1]) + "/" + p}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return GitRemote{}, fmt.Errorf("must be a clone URL (https://, http://, ssh://, git://, file://) or an absolute local path, got %q", raw)
	}
	switch u.Scheme {
	case "file":
		if u.User != nil {
			return GitRemote{}, errCredentialsInURL(KindGit)
		}
		if u.Host != "" && u.Host != "localhost" {
			return GitRemote{}, fmt.Errorf("file URL must not name a host, got %q", raw)
		}
		if u.Path == "" || u.Path == "/" {
			return GitRemote{}, fmt.Errorf("file URL has no path: %q", raw)
		}
		return GitRemote{URL: raw, Name: localName(filepath.Clean(u.Path)), Local: true}, nil
	case "https", "http", "ssh", "git":
	default:
		return GitRemote{}, fmt.Errorf("has unsupported scheme %q (want https, http, ssh, git or file)", u.Scheme)
	}
	if u.Hostname() == "" {
		return GitRemote{}, fmt.Errorf("has no host: %q", raw)
	}
	if _, hasPassword := u.User.Password(); hasPassword || (u.User != nil && u.Scheme != "ssh") {
		return GitRemote{}, errCredentialsInURL(KindGit)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return GitRemote{}, fmt.Errorf("must not have a query or fragment: %q", raw)
	}
	p := trimRepoPath(u.Path)
	if p == "" {
		return GitRemote{}, fmt.Errorf("has no repository path: %q", raw)
	}
	return GitRemote{URL: raw, Name: strings.ToLower(u.Hostname()) + "/" + p}, nil
}

func trimRepoPath(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	p = strings.TrimSuffix(p, ".git")
	return strings.Trim(p, "/")
}

func localName(p string) string {
	base := strings.TrimSuffix(filepath.Base(p), ".git")
	if base == "" || base == "." || base == "/" {
		base = "root"
	}
	return "local/" + base
}

var nameSegment = regexp.MustCompile(`^[A-Za-z0-9_.~@+-]+$`)

// checkRepoName validates a configured repository name.
func checkRepoName(name string) error {
	segs := strings.Split(name, "/")
	if len(segs) < 2 {
		return fmt.Errorf(`must have at least two path segments like "host/name", got %q`, name)
	}
	for _, s := range segs {
		if !nameSegment.MatchString(s) || s == "." || s == ".." {
			return fmt.Errorf("has an empty or invalid segment (letters, digits and ._~@+- only), got %q", name)
		}
	}
	return nil
}

// gitClient lists the configured remotes; it makes no network calls. Its changesets are
// branches pushed by the caller (state PUSHED), as plain remotes have no pull requests.
type gitClient struct{ cfg *GitConfig }

func newGit(cfg *GitConfig) *gitClient { return &gitClient{cfg: cfg} }

func (g *gitClient) ListRepos(ctx context.Context) ([]Repo, error) {
	set := newRepoSet(g.cfg.Exclude)
	cred := CloneCredential(g.cfg)
	for i, r := range g.cfg.Repos {
		remote, err := ParseGitRemote(r.URL)
		if err != nil {
			return nil, fmt.Errorf("GIT repos[%d]: %w", i, err)
		}
		name := remote.Name
		if r.Name != "" {
			name = r.Name
		}
		repo := Repo{
			Kind:       KindGit,
			Name:       name,
			URI:        remote.URL,
			CloneURL:   remote.URL,
			ExternalID: remote.URL,
			Private:    r.Private,
		}
		_, repo.Path, _ = strings.Cut(name, "/")
		if !remote.Local && strings.HasPrefix(remote.URL, "https://") {
			repo.Credential = cred
		}
		set.add(repo)
	}
	return set.sorted(), nil
}

func (g *gitClient) ListRepoPermissions(ctx context.Context, repo Repo) ([]string, error) {
	return nil, fmt.Errorf("listing who can read %s: plain git remotes have no permissions API: %w", repo.Name, ErrUnsupported)
}

// CreateChangeset records a branch the caller pushed: GIT has no pull requests.
func (g *gitClient) CreateChangeset(ctx context.Context, repo Repo, cs Changeset) (ExternalChangeset, bool, error) {
	head := branchName(cs.HeadRef)
	if head == "" {
		return ExternalChangeset{}, false, fmt.Errorf("%w: a GIT changeset needs the pushed branch (HeadRef)", ErrInvalidArgument)
	}
	now := time.Now().UTC()
	return ExternalChangeset{
		ExternalID:  "refs/heads/" + head,
		Title:       cs.Title,
		Body:        cs.Body,
		State:       StatePushed,
		ReviewState: ReviewPending,
		CheckState:  CheckUnknown,
		HeadRef:     head,
		BaseRef:     branchName(cs.BaseRef),
		URL:         repo.URI,
		CreatedAt:   now,
		UpdatedAt:   now,
	}, false, nil
}

func (g *gitClient) UpdateChangeset(ctx context.Context, repo Repo, externalID string, cs Changeset) (ExternalChangeset, error) {
	cs.HeadRef = externalID
	ch, _, err := g.CreateChangeset(ctx, repo, cs)
	return ch, err
}

func (g *gitClient) CloseChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return ExternalChangeset{}, fmt.Errorf("closing %s on %s: a plain git remote has no pull requests: %w", externalID, repo.Name, ErrUnsupported)
}

func (g *gitClient) ReopenChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return ExternalChangeset{}, fmt.Errorf("reopening %s on %s: a plain git remote has no pull requests: %w", externalID, repo.Name, ErrUnsupported)
}

// LoadChangeset returns the pushed branch's record; whether the branch still exists on
// the remote is for the git layer to check.
func (g *gitClient) LoadChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	ch, _, err := g.CreateChangeset(ctx, repo, Changeset{HeadRef: externalID})
	return ch, err
}

func (g *gitClient) FindChangesetByBranch(ctx context.Context, repo Repo, headRef string) (ExternalChangeset, bool, error) {
	return ExternalChangeset{}, false, nil
}

func (g *gitClient) UndraftChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return ExternalChangeset{}, fmt.Errorf("plain git remotes have no drafts: %w", ErrUnsupported)
}
