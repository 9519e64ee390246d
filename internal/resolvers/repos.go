package resolvers

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/redact"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
)

// RepositoryResolver resolves Repository.
type RepositoryResolver struct {
	r    *Resolver
	repo *store.Repo
	// hosts, when set, loads the code host kinds of every repository of a list at once.
	hosts *repoHosts
}

func (r *Resolver) newRepository(repo *store.Repo) *RepositoryResolver {
	return &RepositoryResolver{r: r, repo: repo}
}

func (rr *RepositoryResolver) ID() graphql.ID          { return marshalID("Repository", rr.repo.ID) }
func (rr *RepositoryResolver) Name() string            { return rr.repo.Name }
func (rr *RepositoryResolver) Description() string     { return rr.repo.Description }
func (rr *RepositoryResolver) URL() string             { return "/" + rr.repo.Name }
func (rr *RepositoryResolver) IsFork() bool            { return rr.repo.Fork }
func (rr *RepositoryResolver) IsArchived() bool        { return rr.repo.Archived }
func (rr *RepositoryResolver) IsPrivate() bool         { return rr.repo.Private }
func (rr *RepositoryResolver) CreatedAt() DateTime     { return newDateTime(rr.repo.CreatedAt) }
func (rr *RepositoryResolver) UpdatedAt() DateTime     { return newDateTime(rr.repo.UpdatedAt) }
func (rr *RepositoryResolver) MirrorInfo() *mirrorInfo { return &mirrorInfo{rr.repo} }

// URI is where the repository lives on its code host, never with credentials (connections
// refuse them; rows stored before are cleaned at start-up, and this is the last guard).
// A repository on this server's disk (a GIT connection's local path or file:// URL) shows
// non-admins its name instead: the server's paths are not theirs to read.
func (rr *RepositoryResolver) URI(ctx context.Context) string {
	uri, _ := redact.StripUserinfo(rr.repo.URI)
	if redact.IsLocal(uri) && !auth.FromContext(ctx).SiteAdmin {
		return rr.repo.Name
	}
	return uri
}

// DefaultBranch answers from what the last fetch recorded, without touching git.
func (rr *RepositoryResolver) DefaultBranch() *GitRefResolver {
	if rr.repo.DefaultBranch == "" {
		return nil
	}
	ref := "refs/heads/" + rr.repo.DefaultBranch
	oid, ok := rr.repo.HeadOIDs[ref]
	if !ok {
		return nil
	}
	return &GitRefResolver{repo: rr, name: ref, oid: oid}
}

// Commit resolves a revision in this process's mirror (cloned or fetched on demand).
func (rr *RepositoryResolver) Commit(ctx context.Context, args struct{ Rev string }) (*GitCommitResolver, error) {
	if err := vcs.CheckRevision(args.Rev); err != nil {
		return nil, errcode.New(errcode.BadInput, "invalid revision %q: %v", args.Rev, err)
	}
	return rr.commit(ctx, args.Rev)
}

func (rr *RepositoryResolver) commit(ctx context.Context, rev string) (*GitCommitResolver, error) {
	if rr.r.Repos == nil {
		return nil, errcode.New(errcode.Internal, "git access is not configured")
	}
	m, err := rr.r.Repos.Mirror(ctx, rr.repo)
	if err != nil {
		return nil, errcode.New("REPOSITORY_UNAVAILABLE", "repository %s cannot be read right now: %s", rr.repo.Name, shown(ctx, err.Error()))
	}
	oid, err := m.ResolveRevision(ctx, rev)
	if errors.Is(err, vcs.ErrRevisionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	commits, err := m.Commits(ctx, vcs.LogOptions{Include: []string{oid}, MaxCount: 1})
	if err != nil {
		return nil, err
	}
	if len(commits) == 0 {
		return nil, nil
	}
	return &GitCommitResolver{repo: rr, commit: commits[0]}, nil
}

// PermittedUsers lists explicit grants; site admins only.
func (rr *RepositoryResolver) PermittedUsers(ctx context.Context) ([]*UserResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	users, err := rr.r.Store.Repos().RepoPermissionUsers(ctx, rr.repo.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*UserResolver, len(users))
	for i, u := range users {
		out[i] = rr.r.newUser(u)
	}
	return out, nil
}

type mirrorInfo struct{ repo *store.Repo }

func (m *mirrorInfo) Cloned() bool             { return m.repo.CloneStatus == store.CloneStatusCloned }
func (m *mirrorInfo) CloneInProgress() bool    { return m.repo.CloneStatus == store.CloneStatusCloning }
func (m *mirrorInfo) UpdatedAt() *DateTime     { return newDateTimePtr(m.repo.LastFetchedAt) }
func (m *mirrorInfo) LastChangedAt() *DateTime { return newDateTimePtr(m.repo.LastChangedAt) }
func (m *mirrorInfo) NextFetchAt() *DateTime   { return newDateTimePtr(&m.repo.NextFetchAt) }
func (m *mirrorInfo) ByteSize() BigInt         { return BigInt(m.repo.SizeBytes) }

// LastError is git's message, without credentials, and for non-admins without the
// server's paths (the mirror cache, local remotes).
func (m *mirrorInfo) LastError(ctx context.Context) *string {
	return shownNonEmpty(ctx, m.repo.LastError)
}

// shown cleans server text an API field or error shows (git output, job failures, clone
// URLs) for the viewer; see internal/redact.
func shown(ctx context.Context, s string) string {
	return redact.ForViewer(s, auth.FromContext(ctx).SiteAdmin)
}

// shownNonEmpty is shown for optional text: nil for "".
func shownNonEmpty(ctx context.Context, s string) *string {
	if s == "" {
		return nil
	}
	v := shown(ctx, s)
	return &v
}

// GitRefResolver resolves GitRef.
type GitRefResolver struct {
	repo *RepositoryResolver
	name string
	oid  string
}

func (g *GitRefResolver) Name() string { return g.name }
func (g *GitRefResolver) DisplayName() string {
	return strings.TrimPrefix(strings.TrimPrefix(g.name, "refs/heads/"), "refs/tags/")
}
func (g *GitRefResolver) AbbrevName() string { return g.DisplayName() }
func (g *GitRefResolver) Target() *gitObject { return &gitObject{repo: g.repo, oid: g.oid} }

type gitObject struct {
	repo *RepositoryResolver
	oid  string
}

func (o *gitObject) Oid() string            { return o.oid }
func (o *gitObject) AbbreviatedOID() string { return abbrev(o.oid) }
func (o *gitObject) Commit(ctx context.Context) (*GitCommitResolver, error) {
	return o.repo.commit(ctx, o.oid)
}

func abbrev(oid string) string {
	if len(oid) > 7 {
		return oid[:7]
	}
	return oid
}

// GitCommitResolver resolves GitCommit.
type GitCommitResolver struct {
	repo   *RepositoryResolver
	commit *vcs.Commit
}

func (c *GitCommitResolver) ID() graphql.ID {
	return graphql.ID(marshalID("Repository", c.repo.repo.ID) + ":" + graphql.ID(c.commit.OID))
}
func (c *GitCommitResolver) Oid() string                     { return c.commit.OID }
func (c *GitCommitResolver) AbbreviatedOID() string          { return abbrev(c.commit.OID) }
func (c *GitCommitResolver) Message() string                 { return c.commit.Message }
func (c *GitCommitResolver) Subject() string                 { return c.commit.Subject() }
func (c *GitCommitResolver) Repository() *RepositoryResolver { return c.repo }
func (c *GitCommitResolver) URL() string                     { return c.repo.URL() + "/-/commit/" + c.commit.OID }
func (c *GitCommitResolver) Author() *signature              { return &signature{c.commit.Author} }
func (c *GitCommitResolver) Committer() *signature           { return &signature{c.commit.Committer} }
func (c *GitCommitResolver) Body() *string {
	_, body, ok := strings.Cut(c.commit.Message, "\n")
	body = strings.TrimSpace(body)
	if !ok || body == "" {
		return nil
	}
	return &body
}
func (c *GitCommitResolver) Parents(ctx context.Context) ([]*GitCommitResolver, error) {
	out := make([]*GitCommitResolver, 0, len(c.commit.Parents))
	for _, p := range c.commit.Parents {
		pc, err := c.repo.commit(ctx, p)
		if err != nil {
			return nil, err
		}
		if pc != nil {
			out = append(out, pc)
		}
	}
	return out, nil
}

type signature struct{ s vcs.Signature }

func (s *signature) Person() *person { return &person{s.s} }
func (s *signature) Name() string    { return s.s.Name }
func (s *signature) Email() string   { return s.s.Email }
func (s *signature) Date() string    { return s.s.Date.UTC().Format("2006-01-02T15:04:05Z") }

type person struct{ s vcs.Signature }

func (p *person) Name() string        { return p.s.Name }
func (p *person) Email() string       { return p.s.Email }
func (p *person) DisplayName() string { return p.s.Name }

func (r *Resolver) Repository(ctx context.Context, args struct{ Name *string }) (*RepositoryResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	if args.Name == nil {
		return nil, nil
	}
	repo, err := r.Store.Repos().GetByName(ctx, auth.FromContext(ctx).Viewer(), *args.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.newRepository(repo), nil
}

func (r *Resolver) repositoryByID(ctx context.Context, id int64) (*RepositoryResolver, error) {
	repo, err := r.Store.Repos().GetByID(ctx, auth.FromContext(ctx).Viewer(), id)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.newRepository(repo), nil
}

type repositoryOrderBy struct{}

func (repositoryOrderBy) enumName() string { return "RepositoryOrderBy" }

func (r *Resolver) Repositories(ctx context.Context, args struct {
	ConnectionArgs
	Query       *string
	Cloned      graphql.NullBool
	NotCloned   graphql.NullBool
	Indexed     graphql.NullBool
	NotIndexed  graphql.NullBool
	FailedFetch graphql.NullBool
	OrderBy     NullEnum[repositoryOrderBy]
	Descending  graphql.NullBool
}) (*connection[*RepositoryResolver], error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	// A null is the schema's default.
	cloned, notCloned := boolOr(args.Cloned, true), boolOr(args.NotCloned, true)
	indexed, notIndexed := boolOr(args.Indexed, true), boolOr(args.NotIndexed, true)
	// The cursor is a name or an id by the order, decoded below.
	page, err := ConnectionArgs{First: args.First}.page()
	if err != nil {
		return nil, err
	}
	opts := store.RepoListOptions{FailedFetch: boolOr(args.FailedFetch, false), Descending: boolOr(args.Descending, false), Limit: page.Limit}
	if args.Query != nil {
		opts.Query = *args.Query
	}
	none := !indexed && !notIndexed || !cloned && !notCloned
	if cloned != notCloned {
		opts.Cloned = &cloned
	}
	cursor := func(repo *store.Repo) string { return encodeStringCursor(repo.Name) }
	switch args.OrderBy.Or("REPOSITORY_NAME") {
	case "REPO_CREATED_AT":
		opts.OrderBy = store.RepoOrderCreatedAt
		cursor = func(repo *store.Repo) string { return encodeCursor(repo.ID) }
		if args.After != nil && *args.After != "" {
			if opts.AfterID, err = decodeCursor(*args.After); err != nil {
				return nil, err
			}
		}
	default:
		opts.OrderBy = store.RepoOrderName
		if args.After != nil && *args.After != "" {
			if opts.AfterName, err = decodeStringCursor(*args.After); err != nil {
				return nil, err
			}
		}
	}
	viewer := auth.FromContext(ctx).Viewer()
	var repos []*store.Repo
	if !none && indexed != notIndexed {
		// The index is outside the database: the filter is the list of ids it selects.
		if opts.IDs, err = r.indexFilter(ctx, viewer, opts, indexed); err != nil {
			return nil, err
		}
	}
	if !none {
		if repos, err = r.Store.Repos().List(ctx, viewer, opts); err != nil {
			return nil, err
		}
	}
	hosts := newRepoHosts(r.Store, repos)
	return newConnectionWithCursor(repos, page, cursor, func(repo *store.Repo) *RepositoryResolver {
		return &RepositoryResolver{r: r, repo: repo, hosts: hosts}
	}, func(ctx context.Context) (int, error) {
		if none {
			return 0, nil
		}
		return r.Store.Repos().Count(ctx, viewer, opts)
	}), nil
}

// indexFilter returns the ids of the repositories of opts (without paging) whose index
// holds the head of their default branch (indexed) or does not: the index is outside
// the database, so the filter is an id list the paged query then applies.
func (r *Resolver) indexFilter(ctx context.Context, viewer store.Viewer, opts store.RepoListOptions, indexed bool) ([]int64, error) {
	all := opts
	all.Limit, all.AfterID, all.AfterName = 0, 0, ""
	repos, err := r.Store.Repos().List(ctx, viewer, all)
	if err != nil {
		return nil, err
	}
	current := map[int64]bool{}
	if r.Deps.Search != nil {
		if current, err = r.Deps.Search.CurrentlyIndexed(ctx, repos); err != nil {
			return nil, err
		}
	}
	ids := []int64{}
	for _, repo := range repos {
		if current[repo.ID] == indexed {
			ids = append(ids, repo.ID)
		}
	}
	return ids, nil
}

// TextSearchIndex shows what the text search index this server's searches read holds
// for the repository.
func (rr *RepositoryResolver) TextSearchIndex() *textSearchIndexResolver {
	return &textSearchIndexResolver{repo: rr}
}

type textSearchIndexResolver struct {
	repo   *RepositoryResolver
	once   sync.Once
	status *textindex.Status
	err    error
}

func (t *textSearchIndexResolver) resolve(ctx context.Context) (*textindex.Status, error) {
	t.once.Do(func() {
		if t.repo.r.Deps.Search != nil {
			t.status, t.err = t.repo.r.Deps.Search.IndexStatus(ctx, t.repo.repo)
		}
	})
	return t.status, t.err
}

func (t *textSearchIndexResolver) Repository() *RepositoryResolver { return t.repo }

func (t *textSearchIndexResolver) Status(ctx context.Context) (*textSearchIndexStatus, error) {
	st, err := t.resolve(ctx)
	if err != nil || st == nil {
		return nil, err
	}
	return &textSearchIndexStatus{st}, nil
}

// Refs lists the default branch, then (by name) the branches the repository's
// connections list for indexing and any other branch the shard still holds, each with
// the commit the shard holds it at.
func (t *textSearchIndexResolver) Refs(ctx context.Context) ([]*indexedRef, error) {
	ref := t.repo.DefaultBranch()
	if ref == nil {
		return []*indexedRef{}, nil
	}
	st, err := t.resolve(ctx)
	if err != nil {
		return nil, err
	}
	out := []*indexedRef{{ref: ref}}
	indexed := map[string]string{} // branch name -> commit held
	if st != nil {
		out[0].indexed, out[0].commit = true, st.Commit
		for _, b := range st.Branches {
			indexed[b.Name] = b.Commit
		}
	}
	wanted, err := search.BranchesToIndex(ctx, t.repo.r.Store, t.repo.repo)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, b := range wanted[min(1, len(wanted)):] {
		names[b.Name] = true
	}
	for name := range indexed {
		names[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		refName := "refs/heads/" + name
		oid, ok := t.repo.repo.HeadOIDs[refName]
		if !ok {
			continue // deleted: the next build drops it
		}
		commit, held := indexed[name]
		out = append(out, &indexedRef{ref: &GitRefResolver{repo: t.repo, name: refName, oid: oid}, indexed: held, commit: commit})
	}
	return out, nil
}

type textSearchIndexStatus struct{ s *textindex.Status }

func (s *textSearchIndexStatus) UpdatedAt() DateTime      { return newDateTime(s.s.UpdatedAt) }
func (s *textSearchIndexStatus) ContentByteSize() BigInt  { return BigInt(s.s.ContentBytes) }
func (s *textSearchIndexStatus) ContentFilesCount() int32 { return clampInt32(int64(s.s.Files)) }
func (s *textSearchIndexStatus) IndexByteSize() int32     { return clampInt32(s.s.IndexBytes) }
func (s *textSearchIndexStatus) IndexShardsCount() int32  { return clampInt32(int64(s.s.Shards)) }
func (s *textSearchIndexStatus) NewLinesCount() int32 {
	return clampInt32(int64(min(s.s.NewLines, math.MaxInt32)))
}

type indexedRef struct {
	ref     *GitRefResolver
	indexed bool
	commit  string
}

func (r *indexedRef) Ref() *GitRefResolver { return r.ref }
func (r *indexedRef) Indexed() bool        { return r.indexed }
func (r *indexedRef) Current() bool        { return r.indexed && r.commit == r.ref.oid }
func (r *indexedRef) IndexedCommit() *gitObject {
	if !r.indexed || r.commit == "" {
		return nil
	}
	return &gitObject{repo: r.ref.repo, oid: r.commit}
}

func (r *Resolver) UpdateMirrorRepository(ctx context.Context, args struct{ Repository graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.Repository, "Repository")
	if err != nil {
		return nil, err
	}
	if _, err := r.Store.Repos().GetByID(ctx, store.InternalViewer, id); err != nil {
		return nil, storeErr(err)
	}
	return empty(r.Store.Repos().EnqueueFetch(ctx, id, store.FetchReasonManual))
}

type repositoryPermission struct{}

func (repositoryPermission) enumName() string { return "RepositoryPermission" }

func (r *Resolver) SetRepositoryPermissionsForUsers(ctx context.Context, args struct {
	Repository      graphql.ID
	UserPermissions []struct {
		BindID string
		// READ is the only permission; null means it too.
		Permission NullEnum[repositoryPermission]
	}
}) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.Repository, "Repository")
	if err != nil {
		return nil, err
	}
	if _, err := r.Store.Repos().GetByID(ctx, store.InternalViewer, id); err != nil {
		return nil, storeErr(err)
	}
	var userIDs []int64
	for _, p := range args.UserPermissions {
		u, err := r.Store.Users().GetByUsername(ctx, p.BindID)
		if errors.Is(err, store.ErrNotFound) && strings.Contains(p.BindID, "@") {
			u, err = r.Store.Users().GetByEmail(ctx, p.BindID)
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errcode.New(errcode.NotFound, "no user with username or email %q", p.BindID)
		}
		if err != nil {
			return nil, err
		}
		userIDs = append(userIDs, u.ID)
	}
	return empty(r.Store.Repos().SetRepoPermissions(ctx, id, userIDs, store.PermissionSourceAPI))
}

func (r *Resolver) AddExternalAccount(ctx context.Context, args struct {
	User        graphql.ID
	ServiceKind string
	ServiceURL  string
	Login       string
}) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	uid, err := unmarshalID(args.User, "User")
	if err != nil {
		return nil, err
	}
	if _, err := r.Store.Users().GetByID(ctx, uid); err != nil {
		return nil, storeErr(err)
	}
	if strings.TrimSpace(args.Login) == "" || strings.TrimSpace(args.ServiceURL) == "" {
		return nil, errcode.New(errcode.BadInput, "login and serviceURL must not be empty")
	}
	return empty(r.Store.AddExternalAccount(ctx, uid, args.ServiceKind, strings.TrimRight(args.ServiceURL, "/"), args.Login))
}
