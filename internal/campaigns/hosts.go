package campaigns

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// Hosts finds how to reach the code host of a repository on someone's behalf: the
// connection, the pull request client and the git remote to push to, authenticated with
// the user's campaigns credential for that host, else the site-wide one, else the
// connection's own token.
type Hosts struct {
	Store *store.Store
	// HTTPClient talks to code host APIs; nil uses a default with a timeout.
	HTTPClient *http.Client
}

// Host is a repository's code host, ready to use.
type Host struct {
	Service *store.ExternalService
	Kind    codehost.Kind
	Source  codehost.ChangesetSource
	// Repo is the repository as the code host client expects it.
	Repo codehost.Repo
	// Remote is where to push, with the credential.
	Remote vcs.Repo
	// RateKey names the host for the publish rate limit (its host name).
	RateKey string
	// CredentialID is the campaigns credential used; 0 for the connection's token.
	CredentialID int64
}

// ErrNoCredential is returned for a write (push, open, update, close) on behalf of a user
// who has no campaigns credential for the code host, when no site-wide one exists and the
// user is not a site admin: the connection's own token is an admin's, and must not let
// any user who can read a repository write to it.
var ErrNoCredential = errors.New("no campaigns credential for this code host")

// For returns the code host of repo through connection svcID (0: the first connection
// that brings the repository), acting for userID (0: site-wide credentials only). write
// is set for pushing and changing pull requests: without a campaigns credential, only a
// site admin's campaigns use the connection's token.
func (h *Hosts) For(ctx context.Context, repo *store.Repo, svcID int64, userID int64, write bool) (*Host, error) {
	sources, err := h.Store.Repos().CloneSources(ctx, repo.ID)
	if err != nil {
		return nil, err
	}
	var src *store.CloneSource
	for i := range sources {
		if svcID == 0 || sources[i].Service.ID == svcID {
			src = &sources[i]
			break
		}
	}
	if src == nil {
		if svcID != 0 && len(sources) > 0 {
			src = &sources[0] // the connection was replaced; any other reaches the same host
		} else {
			return nil, fmt.Errorf("%s: no code host connection provides this repository", repo.Name)
		}
	}
	kind := codehost.Kind(src.Service.Kind)
	cfg, err := codehost.ParseConfig(kind, []byte(src.Service.Config))
	if err != nil {
		return nil, fmt.Errorf("config of code host connection %q: %w", src.Service.DisplayName, err)
	}
	key := CredentialURL(kind, cfg, src.CloneURL)
	cred, err := h.Store.Campaigns().CredentialFor(ctx, userID, string(kind), key)
	if err != nil {
		return nil, fmt.Errorf("loading campaigns credential: %w", err)
	}
	if cred == nil && write {
		admin := false
		if userID != 0 {
			u, err := h.Store.Users().GetByID(ctx, userID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			admin = err == nil && u.SiteAdmin
		}
		if !admin {
			return nil, fmt.Errorf("%w %s (%s): the campaign's author must add one (createCampaignsCredential), or a site admin a site-wide one", ErrNoCredential, key, kind)
		}
	}
	out := &Host{Service: src.Service, Kind: kind, RateKey: rateKey(cfg, src.CloneURL)}
	if cred != nil {
		cfg = WithCredential(cfg, cred.Username, cred.Secret)
		out.CredentialID = cred.ID
	}
	if out.Source, err = codehost.NewChangesetSource(kind, cfg, h.HTTPClient); err != nil {
		return nil, err
	}
	path := ""
	if _, p, ok := strings.Cut(repo.Name, "/"); ok {
		path = p
	}
	out.Repo = codehost.Repo{Kind: kind, Name: repo.Name, Path: path, URI: repo.URI, CloneURL: src.CloneURL, ExternalID: repo.ExternalID, DefaultBranch: repo.DefaultBranch, Private: repo.Private}
	out.Remote = vcs.Repo{Name: repo.Name, URL: src.CloneURL}
	if c := codehost.CloneCredential(cfg); !c.IsZero() {
		out.Remote.Credential = &vcs.Credential{Username: c.Username, Password: c.Token}
	}
	return out, nil
}

// CredentialURL is the code host URL a campaigns credential is stored under: the
// connection's URL, or for plain git remotes the clone URL's scheme and host.
func CredentialURL(kind codehost.Kind, cfg codehost.Config, cloneURL string) string {
	if u := cfg.ServiceURL(); u != "" {
		return NormalizeHostURL(u)
	}
	if u, err := url.Parse(cloneURL); err == nil && u.Host != "" {
		return NormalizeHostURL(u.Scheme + "://" + u.Host)
	}
	return ""
}

// NormalizeHostURL makes a code host URL comparable: lower-case scheme and host, no
// trailing slash.
func NormalizeHostURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimRight(strings.TrimSpace(raw), "/")
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimRight(u.String(), "/")
}

func rateKey(cfg codehost.Config, cloneURL string) string {
	raw := cfg.ServiceURL()
	if raw == "" {
		raw = cloneURL
	}
	if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
		return strings.ToLower(u.Hostname())
	}
	return "local"
}

// WithCredential returns a copy of cfg that authenticates with secret (and username,
// where the host takes one) instead of the connection's token.
func WithCredential(cfg codehost.Config, username, secret string) codehost.Config {
	switch c := cfg.(type) {
	case *codehost.GitHubConfig:
		cp := *c
		cp.Token = secret
		return &cp
	case *codehost.GitLabConfig:
		cp := *c
		cp.Token = secret
		return &cp
	case *codehost.GiteaConfig:
		cp := *c
		cp.Token = secret
		return &cp
	case *codehost.BitbucketServerConfig:
		cp := *c
		cp.Token = secret
		if username != "" {
			cp.Username = username
		}
		return &cp
	case *codehost.GitConfig:
		cp := *c
		cp.Token = secret
		if username != "" {
			cp.Username = username
		}
		return &cp
	}
	return cfg
}
