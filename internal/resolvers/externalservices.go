package resolvers

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// ExternalServiceResolver resolves ExternalService (a code host connection).
type ExternalServiceResolver struct {
	r   *Resolver
	svc *store.ExternalService
}

func (es *ExternalServiceResolver) ID() graphql.ID      { return marshalID("ExternalService", es.svc.ID) }
func (es *ExternalServiceResolver) Kind() string        { return es.svc.Kind }
func (es *ExternalServiceResolver) DisplayName() string { return es.svc.DisplayName }
func (es *ExternalServiceResolver) CreatedAt() DateTime { return newDateTime(es.svc.CreatedAt) }
func (es *ExternalServiceResolver) UpdatedAt() DateTime { return newDateTime(es.svc.UpdatedAt) }
func (es *ExternalServiceResolver) LastSyncAt() *DateTime {
	return newDateTimePtr(es.svc.LastSyncAt)
}
func (es *ExternalServiceResolver) NextSyncAt() *DateTime { return newDateTimePtr(&es.svc.NextSyncAt) }
func (es *ExternalServiceResolver) RepoCount() int32      { return int32(es.svc.RepoCount) }
func (es *ExternalServiceResolver) LastSyncError(ctx context.Context) *string {
	return shownNonEmpty(ctx, es.svc.LastSyncError)
}

// WebhookURL is where the code host should send pushes for this connection.
func (es *ExternalServiceResolver) WebhookURL() string {
	path := map[string]string{"GITHUB": "github", "GITLAB": "gitlab", "GITEA": "gitea", "BITBUCKETSERVER": "bitbucket-server", "GIT": "git"}[es.svc.Kind]
	return es.r.url("/.api/webhooks/" + path)
}

// Config never shows secrets: tokens and webhook secrets come back as REDACTED.
func (es *ExternalServiceResolver) Config() (string, error) {
	cfg, err := codehost.ParseConfig(codehost.Kind(es.svc.Kind), []byte(es.svc.Config))
	if err != nil {
		// A stored config always parsed when it was saved; a newer binary may be stricter.
		return "", errcode.New(errcode.Internal, "the stored config no longer parses: %v", err)
	}
	out, err := json.MarshalIndent(cfg.Redacted(), "", "  ")
	return string(out), err
}

type syncJob struct{ j *store.SyncJob }

func (s syncJob) State() string         { return s.j.State }
func (s syncJob) QueuedAt() DateTime    { return newDateTime(s.j.QueuedAt) }
func (s syncJob) FinishedAt() *DateTime { return newDateTimePtr(s.j.FinishedAt) }
func (s syncJob) FailureMessage(ctx context.Context) *string {
	return shownNonEmpty(ctx, s.j.FailureMessage)
}
func (s syncJob) ReposAdded() *int32   { return int32Ptr(s.j.ReposAdded) }
func (s syncJob) ReposRemoved() *int32 { return int32Ptr(s.j.ReposRemoved) }

// SyncJobs are the latest sync jobs, 10 when first is null or omitted.
func (es *ExternalServiceResolver) SyncJobs(ctx context.Context, args struct{ First graphql.NullInt }) ([]syncJob, error) {
	first := intOr(args.First, 10)
	if first < 0 || first > 100 {
		return nil, errcode.New(errcode.BadInput, "first must be between 0 and 100")
	}
	jobs, err := es.r.Store.ExternalServices().LastSyncJobs(ctx, es.svc.ID, int(first))
	if err != nil {
		return nil, err
	}
	out := make([]syncJob, len(jobs))
	for i, j := range jobs {
		out[i] = syncJob{j}
	}
	return out, nil
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func int32Ptr(n *int) *int32 {
	if n == nil {
		return nil
	}
	v := int32(*n)
	return &v
}

func (r *Resolver) ExternalServices(ctx context.Context, args ConnectionArgs) (*connection[*ExternalServiceResolver], error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	svcs, err := r.Store.ExternalServices().List(ctx, page)
	if err != nil {
		return nil, err
	}
	return newConnection(svcs, page, func(s *store.ExternalService) int64 { return s.ID },
		func(s *store.ExternalService) *ExternalServiceResolver { return &ExternalServiceResolver{r: r, svc: s} },
		r.Store.ExternalServices().Count), nil
}

func (r *Resolver) externalServiceByID(ctx context.Context, id int64) (*ExternalServiceResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	svc, err := r.Store.ExternalServices().GetByID(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	return &ExternalServiceResolver{r: r, svc: svc}, nil
}

func checkDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errcode.New(errcode.BadInput, "displayName must not be empty")
	}
	if len(name) > 255 {
		return "", errcode.New(errcode.BadInput, "displayName must be at most 255 characters")
	}
	return name, nil
}

// canonicalConfig validates raw and returns it re-serialised, so what is stored always
// parses.
func canonicalConfig(kind codehost.Kind, raw []byte) (string, error) {
	cfg, err := codehost.ParseConfig(kind, raw)
	if err != nil {
		return "", errcode.Wrap(errcode.BadInput, err)
	}
	out, err := json.Marshal(cfg)
	return string(out), err
}

func (r *Resolver) AddExternalService(ctx context.Context, args struct {
	Input struct {
		Kind        string
		DisplayName string
		Config      string
	}
}) (*ExternalServiceResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	name, err := checkDisplayName(args.Input.DisplayName)
	if err != nil {
		return nil, err
	}
	kind := codehost.Kind(args.Input.Kind)
	cfg, err := canonicalConfig(kind, []byte(args.Input.Config))
	if err != nil {
		return nil, err
	}
	svc, err := r.Store.ExternalServices().Create(ctx, string(kind), name, cfg, 0)
	if err != nil {
		return nil, err
	}
	return &ExternalServiceResolver{r: r, svc: svc}, nil
}

func (r *Resolver) UpdateExternalService(ctx context.Context, args struct {
	Input struct {
		ID          graphql.ID
		DisplayName *string
		Config      *string
	}
}) (*ExternalServiceResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.Input.ID, "ExternalService")
	if err != nil {
		return nil, err
	}
	current, err := r.Store.ExternalServices().GetByID(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	var name, cfg *string
	reindex := false
	if args.Input.DisplayName != nil {
		n, err := checkDisplayName(*args.Input.DisplayName)
		if err != nil {
			return nil, err
		}
		name = &n
	}
	if args.Input.Config != nil {
		kind := codehost.Kind(current.Kind)
		merged, err := codehost.MergeRedacted(kind, []byte(current.Config), []byte(*args.Input.Config))
		if err != nil {
			return nil, errcode.Wrap(errcode.BadInput, err)
		}
		c, err := canonicalConfig(kind, merged)
		if err != nil {
			return nil, err
		}
		cfg = &c
		reindex = indexedBranchesChanged(current.Config, c)
	}
	svc, err := r.Store.ExternalServices().Update(ctx, id, name, cfg, reindex)
	if err != nil {
		return nil, storeErr(err)
	}
	return &ExternalServiceResolver{r: r, svc: svc}, nil
}

// indexedBranchesChanged reports whether a config update changes the branches indexed
// for search ("indexedBranches"): the connection's shards are then rebuilt.
func indexedBranchesChanged(before, after string) bool {
	branches := func(raw string) codehost.IndexedBranches {
		var c struct {
			IndexedBranches codehost.IndexedBranches `json:"indexedBranches"`
		}
		_ = json.Unmarshal([]byte(raw), &c)
		return c.IndexedBranches
	}
	b, a := branches(before), branches(after)
	return !maps.EqualFunc(b, a, slices.Equal[[]string])
}

func (r *Resolver) DeleteExternalService(ctx context.Context, args struct{ ExternalService graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.ExternalService, "ExternalService")
	if err != nil {
		return nil, err
	}
	return empty(storeErr(r.Store.ExternalServices().Delete(ctx, id)))
}

func (r *Resolver) SyncExternalService(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.ID, "ExternalService")
	if err != nil {
		return nil, err
	}
	if _, err := r.Store.ExternalServices().GetByID(ctx, id); err != nil {
		return nil, storeErr(err)
	}
	return empty(r.Store.ExternalServices().EnqueueSync(ctx, id))
}
