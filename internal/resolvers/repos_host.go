package resolvers

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/store"
)

// The fields of Repository that describe it as its code host does (externalURLs,
// externalRepository) and as Sourcegraph's clients expect (label, language,
// viewerCanAdminister, keyValuePairs).

// repoHosts loads the code host kind of a set of repositories in one query, the first
// time any of them is asked for, so a page of a list costs one query, not one per row.
type repoHosts struct {
	st    *store.Store
	ids   []int64
	once  sync.Once
	kinds map[int64]string
	err   error
}

func newRepoHosts(st *store.Store, repos []*store.Repo) *repoHosts {
	h := &repoHosts{st: st, ids: make([]int64, len(repos))}
	for i, r := range repos {
		h.ids[i] = r.ID
	}
	return h
}

func (h *repoHosts) kind(ctx context.Context, id int64) (string, error) {
	h.once.Do(func() { h.kinds, h.err = h.st.Repos().HostKinds(ctx, h.ids) })
	return h.kinds[id], h.err
}

// hostKind is the kind of the first live connection that brings the repository ("" for
// none).
func (rr *RepositoryResolver) hostKind(ctx context.Context) (string, error) {
	if rr.hosts == nil {
		rr.hosts = newRepoHosts(rr.r.Store, []*store.Repo{rr.repo})
	}
	return rr.hosts.kind(ctx, rr.repo.ID)
}

// serviceTypes are Sourcegraph's names of the code host kinds.
var serviceTypes = map[string]string{
	"GITHUB": "github", "GITLAB": "gitlab", "GITEA": "gitea", "BITBUCKETSERVER": "bitbucketServer", "GIT": "other",
}

func (rr *RepositoryResolver) Language() string {
	if rr.repo.Language == nil {
		return ""
	}
	return *rr.repo.Language
}

func (rr *RepositoryResolver) Label() *markdown {
	return new(markdown).link(rr.repo.Name, rr.URL())
}

func (rr *RepositoryResolver) ViewerCanAdminister(ctx context.Context) bool {
	return auth.CheckSiteAdmin(ctx) == nil
}

func (rr *RepositoryResolver) KeyValuePairs() []*keyValuePair { return []*keyValuePair{} }

type keyValuePair struct{ key, value string }

func (p *keyValuePair) Key() string    { return p.key }
func (p *keyValuePair) Value() *string { return &p.value }

// ExternalURLs is the repository's page on its code host: the URI code hosts give;
// plain git connections have a clone URL there, not a page.
func (rr *RepositoryResolver) ExternalURLs(ctx context.Context) ([]*externalLink, error) {
	kind, err := rr.hostKind(ctx)
	if err != nil {
		return nil, err
	}
	if kind == "" || kind == "GIT" || !strings.HasPrefix(rr.repo.URI, "http") {
		return []*externalLink{}, nil
	}
	return []*externalLink{{url: rr.repo.URI, kind: kind}}, nil
}

type externalLink struct{ url, kind string }

func (l *externalLink) URL() string { return l.url }
func (l *externalLink) ServiceType() *string {
	t := serviceTypes[l.kind]
	return &t
}
func (l *externalLink) ServiceKind() *string { return &l.kind }

func (rr *RepositoryResolver) ExternalRepository(ctx context.Context) (*externalRepository, error) {
	kind, err := rr.hostKind(ctx)
	if err != nil || kind == "" {
		return nil, err
	}
	id := rr.repo.ExternalID
	if id == "" {
		id = rr.repo.URI
	}
	return &externalRepository{id: id, kind: kind, serviceID: serviceID(rr.repo.URI)}, nil
}

type externalRepository struct{ id, kind, serviceID string }

func (e *externalRepository) ID() string          { return e.id }
func (e *externalRepository) ServiceType() string { return serviceTypes[e.kind] }
func (e *externalRepository) ServiceID() string   { return e.serviceID }

// serviceID is the base URL of the code host a repository URL is on: scheme and host
// (https://github.com/), or file:/// for a local path.
func serviceID(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || u.Scheme == "file" {
		return "file:///"
	}
	if u.Host == "" { // scp-like git@host:path reads as an opaque URL
		if _, host, ok := strings.Cut(strings.SplitN(uri, ":", 2)[0], "@"); ok {
			return "ssh://" + host + "/"
		}
		return u.Scheme + ":///"
	}
	return u.Scheme + "://" + u.Host + "/"
}
