package codehost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Repo is a repository as a code host lists it.
type Repo struct {
	Kind Kind
	// Name is how Lookout names the repository: the host without scheme or port, then
	// the path ("github.com/owner/name"); for GIT, derived from the URL or configured.
	Name string
	// Path is the repository's path on its host ("owner/name", "group/sub/project",
	// "PROJECT/slug"); for GIT, the name without its first segment.
	Path string
	// URI is the repository's web page on the code host; for GIT, the clone URL.
	URI string
	// CloneURL is an https (or, for GIT, any git) URL without credentials.
	CloneURL string
	// ExternalID is the host's stable ID of the repository (numeric for the hosts with an
	// API, the clone URL for GIT), kept across renames.
	ExternalID    string
	DefaultBranch string
	Description   string
	Fork          bool
	Archived      bool
	Private       bool
	// Credential is what to clone and push with; zero when none is needed.
	Credential Credential
}

// Credential authenticates git over https. It is kept out of URLs so it never ends up in
// a stored clone URL, a log line or an error message.
type Credential struct {
	Username string
	Token    string
}

// IsZero reports whether there is no credential.
func (c Credential) IsZero() bool { return c.Token == "" && c.Username == "" }

// String hides the token.
func (c Credential) String() string {
	if c.IsZero() {
		return "no credential"
	}
	if c.Token == "" {
		return c.Username
	}
	return c.Username + ":" + Redacted
}

// GoString hides the token from %#v.
func (c Credential) GoString() string { return "codehost.Credential{" + c.String() + "}" }

// MarshalJSON hides the token, so a Repo can be logged or returned without leaking it.
func (c Credential) MarshalJSON() ([]byte, error) {
	v := struct {
		Username string `json:"username,omitempty"`
		Token    string `json:"token,omitempty"`
	}{Username: c.Username}
	if c.Token != "" {
		v.Token = Redacted
	}
	return json.Marshal(v)
}

// CloneCredential is the credential a connection's repositories are cloned and pushed
// with (the same as in [Repo.Credential] from its source).
func CloneCredential(cfg Config) Credential {
	switch c := cfg.(type) {
	case *GitHubConfig:
		return Credential{Username: "x-access-token", Token: c.Token}
	case *GitLabConfig:
		return Credential{Username: "oauth2", Token: c.Token}
	case *GiteaConfig:
		// Gitea takes the token as the password with any username.
		return Credential{Username: "oauth2", Token: c.Token}
	case *BitbucketServerConfig:
		if c.Username != "" {
			return Credential{Username: c.Username, Token: c.Token}
		}
		return Credential{Username: "x-token-auth", Token: c.Token}
	case *GitConfig:
		if c.Token == "" {
			return Credential{}
		}
		user := c.Username
		if user == "" {
			user = "git"
		}
		return Credential{Username: user, Token: c.Token}
	}
	return Credential{}
}

// Source lists the repositories of one connection.
type Source interface {
	// ListRepos returns every repository the config selects (explicit repos, orgs and
	// query, deduplicated, exclusions applied), following pagination to the end. When
	// some explicitly listed repositories are missing it returns the others together
	// with an error wrapping [ErrNotFound]; a caller must not treat such a partial list
	// as complete (for example, to delete repositories).
	ListRepos(ctx context.Context) ([]Repo, error)
	// ListRepoPermissions returns, best-effort, the code host logins (and emails, where
	// the API shows them) of the users who can read a repository: GitHub collaborators,
	// GitLab members (inherited included), Gitea collaborators and owner, Bitbucket
	// Server users granted on the repository or its project (group grants are not
	// expanded). The token needs the host's permission to see them (push/admin access);
	// GIT returns [ErrUnsupported].
	ListRepoPermissions(ctx context.Context, repo Repo) ([]string, error)
}

// NewSource returns the source for a connection. kind must match cfg; a nil httpClient
// means a default client with a timeout.
func NewSource(kind Kind, cfg Config, httpClient *http.Client) (Source, error) {
	return newClient(kind, cfg, httpClient)
}

// NewChangesetSource returns what opens and tracks pull requests on a connection's host.
func NewChangesetSource(kind Kind, cfg Config, httpClient *http.Client) (ChangesetSource, error) {
	return newClient(kind, cfg, httpClient)
}

type client interface {
	Source
	ChangesetSource
}

func newClient(kind Kind, cfg Config, httpClient *http.Client) (client, error) {
	if cfg == nil {
		return nil, fmt.Errorf("codehost: nil config for %s", kind)
	}
	if cfg.Kind() != kind {
		return nil, fmt.Errorf("codehost: config of kind %s given for a %s connection", cfg.Kind(), kind)
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	switch c := cfg.(type) {
	case *GitHubConfig:
		return newGitHub(c, httpClient)
	case *GitLabConfig:
		return newGitLab(c, httpClient)
	case *GiteaConfig:
		return newGitea(c, httpClient)
	case *BitbucketServerConfig:
		return newBitbucketServer(c, httpClient)
	case *GitConfig:
		return newGit(c), nil
	}
	return nil, fmt.Errorf("codehost: unsupported config type %T", cfg)
}

// hostOf is the host part of repository names: lower-case, without port.
func hostOf(serviceURL string) string {
	u, err := url.Parse(serviceURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// repoPath is the repository's path on its host, from Path or else from Name.
func repoPath(r Repo) (string, error) {
	if r.Path != "" {
		return r.Path, nil
	}
	if _, path, ok := strings.Cut(r.Name, "/"); ok && path != "" {
		return path, nil
	}
	return "", fmt.Errorf("%w: repository %q has no path on its code host", ErrInvalidArgument, r.Name)
}

// splitOwnerName splits "owner/name".
func splitOwnerName(path string) (string, string, error) {
	owner, name, ok := strings.Cut(path, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%w: repository path %q is not \"owner/name\"", ErrInvalidArgument, path)
	}
	return owner, name, nil
}

// stripCredentials removes user info from a clone URL the host returned.
func stripCredentials(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// repoSet collects repositories from several listings: deduplicated by external ID (or
// name), exclusions applied, sorted by name.
type repoSet struct {
	exclude []Exclusion
	seen    map[string]bool
	repos   []Repo
}

func newRepoSet(exclude []Exclusion) *repoSet {
	return &repoSet{exclude: exclude, seen: map[string]bool{}}
}

func (s *repoSet) add(r Repo) {
	key := r.ExternalID
	if key == "" {
		key = strings.ToLower(r.Name)
	}
	if s.seen[key] || excluded(s.exclude, r.Name, r.Path) {
		return
	}
	s.seen[key] = true
	s.repos = append(s.repos, r)
}

func (s *repoSet) sorted() []Repo {
	sort.Slice(s.repos, func(i, j int) bool { return s.repos[i].Name < s.repos[j].Name })
	return s.repos
}

// dedupeSorted returns the distinct non-empty strings, sorted.
func dedupeSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s == "" || seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
