package resolvers

import (
	"context"
	"errors"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// Relay ID kinds of the campaign types.
const (
	campaignKind            = "Campaign"
	campaignPlanKind        = "CampaignPlan"
	campaignJobKind         = "CampaignJob"
	changesetKind           = "ExternalChangeset"
	changesetEventKind      = "ChangesetEvent"
	changesetPlanKind       = "ChangesetPlan"
	campaignsCredentialKind = "CampaignsCredential"
)

// campaignByID loads a campaign; every signed-in user may read campaigns.
func (r *Resolver) campaignByID(ctx context.Context, id graphql.ID) (*store.Campaign, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	n, err := unmarshalID(id, campaignKind)
	if err != nil {
		return nil, err
	}
	c, err := r.Store.Campaigns().GetCampaign(ctx, n)
	return c, storeErr(err)
}

// checkCanAdministerCampaign: the campaign's namespace owner (members of an
// organization) and site admins.
func (r *Resolver) checkCanAdministerCampaign(ctx context.Context, c *store.Campaign) error {
	return r.checkCanAdministerNamespace(ctx, Namespace{UserID: c.NamespaceUserID, OrgID: c.NamespaceOrgID})
}

// administeredCampaign loads a campaign the viewer may change.
func (r *Resolver) administeredCampaign(ctx context.Context, id graphql.ID) (*store.Campaign, error) {
	c, err := r.campaignByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.checkCanAdministerCampaign(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func (r *Resolver) newCampaign(c *store.Campaign) *CampaignResolver {
	return &CampaignResolver{r: r, c: c}
}

// Campaigns lists every campaign.
func (r *Resolver) Campaigns(ctx context.Context, args campaignListArgs) (*connection[*CampaignResolver], error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	return r.campaignConnection(ctx, args, store.CampaignListOptions{})
}

// Campaigns lists the user's campaigns.
func (u *UserResolver) Campaigns(ctx context.Context, args campaignListArgs) (*connection[*CampaignResolver], error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	return u.r.campaignConnection(ctx, args, store.CampaignListOptions{NamespaceUserID: u.user.ID})
}

// Campaigns lists the organization's campaigns.
func (o *OrgResolver) Campaigns(ctx context.Context, args campaignListArgs) (*connection[*CampaignResolver], error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	return o.r.campaignConnection(ctx, args, store.CampaignListOptions{NamespaceOrgID: o.org.ID})
}

type campaignListArgs struct {
	ConnectionArgs
	State *string
}

func (r *Resolver) campaignConnection(ctx context.Context, args campaignListArgs, opts store.CampaignListOptions) (*connection[*CampaignResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts.Page = page
	if args.State != nil {
		opts.State = *args.State
	}
	list, err := r.Store.Campaigns().ListCampaigns(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(list, page, func(c *store.Campaign) int64 { return c.ID }, r.newCampaign,
		func(ctx context.Context) (int, error) { return r.Store.Campaigns().CountCampaigns(ctx, opts) }), nil
}

// CampaignResolver resolves Campaign.
type CampaignResolver struct {
	r *Resolver
	c *store.Campaign
}

func (c *CampaignResolver) ID() graphql.ID         { return marshalID(campaignKind, c.c.ID) }
func (c *CampaignResolver) Name() string           { return c.c.Name }
func (c *CampaignResolver) Description() string    { return c.c.Description }
func (c *CampaignResolver) Branch() string         { return c.c.Branch }
func (c *CampaignResolver) CreatedAt() DateTime    { return newDateTime(c.c.CreatedAt) }
func (c *CampaignResolver) UpdatedAt() DateTime    { return newDateTime(c.c.UpdatedAt) }
func (c *CampaignResolver) ClosedAt() *DateTime    { return newDateTimePtr(c.c.ClosedAt) }
func (c *CampaignResolver) PublishedAt() *DateTime { return newDateTimePtr(c.c.PublishedAt) }
func (c *CampaignResolver) URL() string            { return campaigns.CampaignURL(c.r.ExternalURL, c.c.ID) }

// State is CLOSED once closed, else DRAFT until published, else OPEN.
func (c *CampaignResolver) State() string {
	switch {
	case c.c.ClosedAt != nil:
		return "CLOSED"
	case c.c.PublishedAt == nil:
		return "DRAFT"
	}
	return "OPEN"
}

// ChangesetsStats counts the campaign's changesets the viewer may see, as the changesets
// list would show them without a filter (plus the unpublished ones).
func (c *CampaignResolver) ChangesetsStats(ctx context.Context) (*changesetsStatsResolver, error) {
	st, err := c.r.Store.Campaigns().CountChangesetsByState(ctx, store.ChangesetListOptions{CampaignID: c.c.ID, Viewer: auth.FromContext(ctx).Viewer()})
	if err != nil {
		return nil, err
	}
	return &changesetsStatsResolver{st}, nil
}

type changesetsStatsResolver struct{ s store.ChangesetStats }

func (s *changesetsStatsResolver) Total() int32       { return int32(s.s.Total) }
func (s *changesetsStatsResolver) Unpublished() int32 { return int32(s.s.Unpublished) }
func (s *changesetsStatsResolver) Open() int32        { return int32(s.s.Open) }
func (s *changesetsStatsResolver) Draft() int32       { return int32(s.s.Draft) }
func (s *changesetsStatsResolver) Merged() int32      { return int32(s.s.Merged) }
func (s *changesetsStatsResolver) Closed() int32      { return int32(s.s.Closed) }
func (s *changesetsStatsResolver) Deleted() int32     { return int32(s.s.Deleted) }
func (s *changesetsStatsResolver) Pushed() int32      { return int32(s.s.Pushed) }
func (s *changesetsStatsResolver) Scheduled() int32   { return int32(s.s.Scheduled) }
func (s *changesetsStatsResolver) Processing() int32  { return int32(s.s.Processing) }
func (s *changesetsStatsResolver) Retrying() int32    { return int32(s.s.Retrying) }
func (s *changesetsStatsResolver) Failed() int32      { return int32(s.s.Failed) }

func (c *CampaignResolver) ViewerCanAdminister(ctx context.Context) bool {
	return c.r.checkCanAdministerCampaign(ctx, c.c) == nil
}

func (c *CampaignResolver) Author(ctx context.Context) (*UserResolver, error) {
	if c.c.AuthorID == 0 {
		return nil, nil
	}
	u, err := c.r.Store.Users().GetByID(ctx, c.c.AuthorID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.r.newUser(u), nil
}

func (c *CampaignResolver) Namespace(ctx context.Context) (*NamespaceResolver, error) {
	return c.r.namespaceResolver(ctx, Namespace{UserID: c.c.NamespaceUserID, OrgID: c.c.NamespaceOrgID})
}

// Plan is shown to the plan's creator, site admins and those who administer the campaign.
func (c *CampaignResolver) Plan(ctx context.Context) (*CampaignPlanResolver, error) {
	if c.c.PlanID == 0 {
		return nil, nil
	}
	p, err := c.r.Store.Campaigns().GetPlan(ctx, c.c.PlanID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.r.checkCanReadPlan(ctx, p) != nil && c.r.checkCanAdministerCampaign(ctx, c.c) != nil {
		return nil, nil
	}
	return &CampaignPlanResolver{r: c.r, p: p}, nil
}

func (c *CampaignResolver) Status(ctx context.Context) (*statusResolver, error) {
	st, err := c.r.CampaignService.CampaignStatus(ctx, auth.FromContext(ctx).Viewer(), c.c.ID)
	if err != nil {
		return nil, err
	}
	return &statusResolver{st}, nil
}

type changesetListArgs struct {
	ConnectionArgs
	State       *string
	ReviewState *string
	CheckState  *string
}

func (c *CampaignResolver) Changesets(ctx context.Context, args changesetListArgs) (*connection[*ChangesetResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts := store.ChangesetListOptions{CampaignID: c.c.ID, OnlyPublishedOrProcessing: true, Viewer: auth.FromContext(ctx).Viewer(), Page: page}
	if args.State != nil {
		opts.ExternalState = *args.State
	}
	if args.ReviewState != nil {
		opts.ReviewState = *args.ReviewState
	}
	if args.CheckState != nil {
		opts.CheckState = *args.CheckState
	}
	list, err := c.r.Store.Campaigns().ListChangesets(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(list, page, func(ch *store.Changeset) int64 { return ch.ID }, c.r.newChangeset,
		func(ctx context.Context) (int, error) { return c.r.Store.Campaigns().CountChangesets(ctx, opts) }), nil
}

func (c *CampaignResolver) ChangesetPlans(ctx context.Context, args ConnectionArgs) (*connection[*ChangesetPlanResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	if c.c.PlanID == 0 {
		return newConnection([]*store.CampaignJob{}, page, nil, func(*store.CampaignJob) *ChangesetPlanResolver { return nil },
			func(context.Context) (int, error) { return 0, nil }), nil
	}
	v := auth.FromContext(ctx).Viewer()
	opts := store.CampaignJobListOptions{PlanID: c.c.PlanID, UnpublishedIn: c.c.ID, Viewer: &v, Page: page}
	jobs, err := c.r.Store.Campaigns().ListJobs(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(jobs, page, func(j *store.CampaignJob) int64 { return j.ID },
		func(j *store.CampaignJob) *ChangesetPlanResolver {
			return &ChangesetPlanResolver{r: c.r, job: j, campaignID: c.c.ID}
		},
		func(ctx context.Context) (int, error) { return c.r.Store.Campaigns().CountJobs(ctx, opts) }), nil
}

func (c *CampaignResolver) ChangesetCountsOverTime(ctx context.Context, args struct{ From, To *DateTime }) ([]*changesetCountsResolver, error) {
	from, to := c.c.CreatedAt, time.Now()
	if args.From != nil {
		from = args.From.Time
	}
	if args.To != nil {
		to = args.To.Time
	}
	counts, err := c.r.CampaignService.CountsOverTime(ctx, auth.FromContext(ctx).Viewer(), c.c.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]*changesetCountsResolver, len(counts))
	for i := range counts {
		out[i] = &changesetCountsResolver{counts[i]}
	}
	return out, nil
}

func (c *CampaignResolver) RepositoryDiffs(ctx context.Context, args ConnectionArgs) (*connection[*repositoryDiffResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts := store.ChangesetListOptions{CampaignID: c.c.ID, OwnedByCampaignID: c.c.ID, Viewer: auth.FromContext(ctx).Viewer(), Page: page}
	list, err := c.r.Store.Campaigns().ListChangesets(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(list, page, func(ch *store.Changeset) int64 { return ch.ID },
		func(ch *store.Changeset) *repositoryDiffResolver { return &repositoryDiffResolver{r: c.r, ch: ch} },
		func(ctx context.Context) (int, error) { return c.r.Store.Campaigns().CountChangesets(ctx, opts) }), nil
}

type repositoryDiffResolver struct {
	r   *Resolver
	ch  *store.Changeset
	job *store.CampaignJob
}

func (d *repositoryDiffResolver) load(ctx context.Context) (*store.CampaignJob, error) {
	if d.job != nil || d.ch.CampaignJobID == 0 {
		return d.job, nil
	}
	j, err := d.r.Store.Campaigns().GetJob(ctx, d.ch.CampaignJobID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	d.job = j
	return j, err
}

func (d *repositoryDiffResolver) Repository(ctx context.Context) (*RepositoryResolver, error) {
	return d.r.repositoryByID(ctx, d.ch.RepoID)
}

func (d *repositoryDiffResolver) BaseRef(ctx context.Context) (string, error) {
	j, err := d.load(ctx)
	if err != nil || j == nil {
		return d.ch.BaseRef, err
	}
	return j.BaseRef, nil
}

func (d *repositoryDiffResolver) BaseRevision(ctx context.Context) (string, error) {
	j, err := d.load(ctx)
	if err != nil || j == nil {
		return "", err
	}
	return j.BaseRevision, nil
}

func (d *repositoryDiffResolver) HeadRevision() *string { return nonEmpty(d.ch.PushedCommit) }
func (d *repositoryDiffResolver) Branch() *string       { return nonEmpty(d.ch.Branch) }

func (d *repositoryDiffResolver) Diff(ctx context.Context) (string, error) {
	j, err := d.load(ctx)
	if err != nil || j == nil || j.Diff == nil {
		return "", err
	}
	return *j.Diff, nil
}

func (d *repositoryDiffResolver) Changeset() *ChangesetResolver { return d.r.newChangeset(d.ch) }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// statusResolver resolves BackgroundProcessStatus.
type statusResolver struct{ s campaigns.Status }

func (s *statusResolver) CompletedCount() int32 { return int32(s.s.Completed) }
func (s *statusResolver) PendingCount() int32   { return int32(s.s.Pending) }
func (s *statusResolver) State() string         { return s.s.State }
func (s *statusResolver) Errors() []string      { return s.s.Errors }

type changesetCountsResolver struct{ c campaigns.ChangesetCounts }

func (c *changesetCountsResolver) Date() DateTime      { return newDateTime(c.c.Date) }
func (c *changesetCountsResolver) Total() int32        { return int32(c.c.Total) }
func (c *changesetCountsResolver) Merged() int32       { return int32(c.c.Merged) }
func (c *changesetCountsResolver) Closed() int32       { return int32(c.c.Closed) }
func (c *changesetCountsResolver) Open() int32         { return int32(c.c.Open) }
func (c *changesetCountsResolver) Draft() int32        { return int32(c.c.Draft) }
func (c *changesetCountsResolver) Pushed() int32       { return int32(c.c.Pushed) }
func (c *changesetCountsResolver) OpenApproved() int32 { return int32(c.c.OpenApproved) }
func (c *changesetCountsResolver) OpenChangesRequested() int32 {
	return int32(c.c.OpenChangesRequested)
}
func (c *changesetCountsResolver) OpenPending() int32 { return int32(c.c.OpenPending) }

// campaignsErr gives campaign errors a client can act on their codes.
func campaignsErr(err error) error {
	if err == nil || errcode.Code(err) != "" {
		return err
	}
	if campaigns.IsSpecError(err) {
		return errcode.Wrap(errcode.BadInput, err)
	}
	return storeErr(err)
}
