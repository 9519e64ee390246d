package resolvers

import (
	"context"
	"errors"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
)

func (r *Resolver) newChangeset(c *store.Changeset) *ChangesetResolver {
	return &ChangesetResolver{r: r, c: c}
}

// changesetByID loads a changeset in a repository the viewer may see; others are not
// found.
func (r *Resolver) changesetByID(ctx context.Context, id graphql.ID) (*store.Changeset, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	n, err := unmarshalID(id, changesetKind)
	if err != nil {
		return nil, err
	}
	return r.changesetByNumber(ctx, n)
}

func (r *Resolver) changesetByNumber(ctx context.Context, n int64) (*store.Changeset, error) {
	c, err := r.Store.Campaigns().GetChangeset(ctx, n)
	if err != nil {
		return nil, storeErr(err)
	}
	if _, err := r.Store.Repos().GetByID(ctx, auth.FromContext(ctx).Viewer(), c.RepoID); err != nil {
		return nil, storeErr(err)
	}
	return c, nil
}

// checkCanAdministerChangeset: site admins, who tracked or authored the changeset, and
// those who administer a campaign it belongs to (its own, or one it was added to).
func (r *Resolver) checkCanAdministerChangeset(ctx context.Context, c *store.Changeset) error {
	a := auth.FromContext(ctx)
	if !a.IsAuthenticated() {
		return auth.ErrNotAuthenticated
	}
	if a.HasAllAccess() || (c.AuthorID != 0 && a.IsUser(c.AuthorID)) {
		return nil
	}
	ids := []int64{}
	if c.OwnedByCampaignID != 0 {
		ids = append(ids, c.OwnedByCampaignID)
	}
	attached, err := r.Store.Campaigns().ListCampaigns(ctx, store.CampaignListOptions{ChangesetID: c.ID})
	if err != nil {
		return err
	}
	for _, camp := range attached {
		ids = append(ids, camp.ID)
	}
	for _, id := range ids {
		camp, err := r.Store.Campaigns().GetCampaign(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if r.checkCanAdministerCampaign(ctx, camp) == nil {
			return nil
		}
	}
	return auth.ErrForbidden
}

// ChangesetResolver resolves ExternalChangeset.
type ChangesetResolver struct {
	r *Resolver
	c *store.Changeset
}

func (c *ChangesetResolver) ID() graphql.ID           { return marshalID(changesetKind, c.c.ID) }
func (c *ChangesetResolver) ExternalID() *string      { return nonEmpty(c.c.ExternalID) }
func (c *ChangesetResolver) Title() string            { return c.c.Title }
func (c *ChangesetResolver) Body() string             { return c.c.Body }
func (c *ChangesetResolver) PublicationState() string { return c.c.PublicationState }
func (c *ChangesetResolver) Head() *string            { return nonEmpty(firstNonEmpty(c.c.HeadRef, c.c.Branch)) }
func (c *ChangesetResolver) Base() *string            { return nonEmpty(c.c.BaseRef) }

// HeadSHA is the host's head commit, or (for a branch pushed to a plain git remote,
// whose host reports none) the commit the campaign pushed.
func (c *ChangesetResolver) HeadSHA() *string {
	return nonEmpty(firstNonEmpty(c.c.HeadSHA, c.c.PushedCommit))
}
func (c *ChangesetResolver) LastSyncedAt() *DateTime { return newDateTimePtr(c.c.LastSyncedAt) }
func (c *ChangesetResolver) NextSyncAt() *DateTime   { return newDateTimePtr(c.c.NextSyncAt) }
func (c *ChangesetResolver) UpdatedAt() DateTime     { return newDateTime(c.c.UpdatedAt) }

func (c *ChangesetResolver) Labels() []string { return append([]string{}, c.c.Labels...) }

func (c *ChangesetResolver) State() string {
	if c.c.ExternalState == "" {
		return "UNPUBLISHED"
	}
	return c.c.ExternalState
}

func (c *ChangesetResolver) ReviewState() string {
	if c.c.ReviewState == "" {
		return string(codehost.ReviewPending)
	}
	return c.c.ReviewState
}

func (c *ChangesetResolver) CheckState() *string {
	if c.c.CheckState == "" || c.c.CheckState == string(codehost.CheckUnknown) {
		return nil
	}
	return &c.c.CheckState
}

func (c *ChangesetResolver) ReconcilerState() string { return c.c.ReconcilerState(time.Now()) }

// ScheduleEstimateAt is when a changeset waiting for a publish slot will be published.
func (c *ChangesetResolver) ScheduleEstimateAt() *DateTime {
	if c.c.ReconcilerState(time.Now()) != store.ReconcilerScheduled {
		return nil
	}
	if c.c.PublishAt != nil {
		return newDateTimePtr(c.c.PublishAt)
	}
	return newDateTimePtr(c.c.ProcessAfter)
}

func (c *ChangesetResolver) Error(ctx context.Context) *string {
	if c.c.State != "failed" && c.c.State != "errored" {
		return nil
	}
	return shownNonEmpty(ctx, c.c.FailureMessage)
}

// ExternalURL is the pull request's page; for a GIT remote's pushed branch, the remote,
// which on this server's disk is a path non-admins do not see.
func (c *ChangesetResolver) ExternalURL(ctx context.Context) *string {
	return shownNonEmpty(ctx, c.c.ExternalURL)
}

func (c *ChangesetResolver) SyncError(ctx context.Context) *string {
	return shownNonEmpty(ctx, c.c.SyncError)
}

func (c *ChangesetResolver) CreatedAt() DateTime {
	if c.c.ExternalCreatedAt != nil {
		return newDateTime(*c.c.ExternalCreatedAt)
	}
	return newDateTime(c.c.CreatedAt)
}

func (c *ChangesetResolver) Repository(ctx context.Context) (*RepositoryResolver, error) {
	return c.r.repositoryByID(ctx, c.c.RepoID)
}

func (c *ChangesetResolver) Campaigns(ctx context.Context, args ConnectionArgs) (*connection[*CampaignResolver], error) {
	return c.r.campaignConnection(ctx, campaignListArgs{ConnectionArgs: args}, store.CampaignListOptions{ChangesetID: c.c.ID})
}

func (c *ChangesetResolver) Diff(ctx context.Context) (*string, error) {
	if c.c.CampaignJobID == 0 {
		return nil, nil
	}
	j, err := c.r.Store.Campaigns().GetJob(ctx, c.c.CampaignJobID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return j.Diff, nil
}

func (c *ChangesetResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*ChangesetEventResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	events, err := c.r.Store.Campaigns().ListEvents(ctx, c.c.ID, page)
	if err != nil {
		return nil, err
	}
	return newConnection(events, page, func(e *store.ChangesetEvent) int64 { return e.ID },
		func(e *store.ChangesetEvent) *ChangesetEventResolver { return &ChangesetEventResolver{r: c.r, e: e} },
		func(ctx context.Context) (int, error) { return c.r.Store.Campaigns().CountEvents(ctx, c.c.ID) }), nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ChangesetEventResolver resolves ChangesetEvent.
type ChangesetEventResolver struct {
	r *Resolver
	e *store.ChangesetEvent
}

func (e *ChangesetEventResolver) ID() graphql.ID      { return marshalID(changesetEventKind, e.e.ID) }
func (e *ChangesetEventResolver) Kind() string        { return e.e.Kind }
func (e *ChangesetEventResolver) CreatedAt() DateTime { return newDateTime(e.e.CreatedAt) }

func (e *ChangesetEventResolver) Changeset(ctx context.Context) (*ChangesetResolver, error) {
	c, err := e.r.changesetByNumber(ctx, e.e.ChangesetID)
	if err != nil {
		return nil, err
	}
	return e.r.newChangeset(c), nil
}

// ChangesetPlanResolver resolves ChangesetPlan: a job of a draft campaign's plan.
type ChangesetPlanResolver struct {
	r          *Resolver
	job        *store.CampaignJob
	campaignID int64
}

func (p *ChangesetPlanResolver) ID() graphql.ID       { return marshalID(changesetPlanKind, p.job.ID) }
func (p *ChangesetPlanResolver) BaseRef() string      { return p.job.BaseRef }
func (p *ChangesetPlanResolver) BaseRevision() string { return p.job.BaseRevision }

func (p *ChangesetPlanResolver) Diff() string {
	if p.job.Diff == nil {
		return ""
	}
	return *p.job.Diff
}

func (p *ChangesetPlanResolver) Repository(ctx context.Context) (*RepositoryResolver, error) {
	return p.r.repositoryByID(ctx, p.job.RepoID)
}

func (p *ChangesetPlanResolver) PublicationEnqueued(ctx context.Context) (bool, error) {
	list, err := p.r.Store.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{OwnedByCampaignID: p.campaignID, Viewer: store.InternalViewer})
	if err != nil {
		return false, err
	}
	for _, c := range list {
		if c.CampaignJobID == p.job.ID && c.PublicationState != store.PublicationUnpublished {
			return true, nil
		}
	}
	return false, nil
}

// changesetPlanNode loads a changeset plan: its campaign and repository must be visible.
func (r *Resolver) changesetPlanNode(ctx context.Context, id int64) (*ChangesetPlanResolver, error) {
	j, err := r.Store.Campaigns().GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := r.Store.Campaigns().CampaignByPlan(ctx, j.PlanID)
	if err != nil {
		return nil, err
	}
	if _, err := r.Store.Repos().GetByID(ctx, auth.FromContext(ctx).Viewer(), j.RepoID); err != nil {
		return nil, err
	}
	return &ChangesetPlanResolver{r: r, job: j, campaignID: c.ID}, nil
}

func (r *Resolver) changesetEventNode(ctx context.Context, id int64) (*ChangesetEventResolver, error) {
	e, err := r.Store.Campaigns().GetEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := r.changesetByNumber(ctx, e.ChangesetID); err != nil {
		return nil, err
	}
	return &ChangesetEventResolver{r: r, e: e}, nil
}
