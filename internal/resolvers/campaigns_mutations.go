package resolvers

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/errcode"
)

type campaignPlanPatch struct {
	Repository   graphql.ID
	BaseRevision string
	BaseRef      string
	Patch        string
}

func (r *Resolver) CreateCampaignPlanFromPatches(ctx context.Context, args struct{ Patches []campaignPlanPatch }) (*CampaignPlanResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	a := auth.FromContext(ctx)
	in := make([]campaigns.PatchInput, len(args.Patches))
	for i, p := range args.Patches {
		repoID, err := unmarshalID(p.Repository, "Repository")
		if err != nil {
			return nil, err
		}
		in[i] = campaigns.PatchInput{RepoID: repoID, BaseRevision: p.BaseRevision, BaseRef: p.BaseRef, Patch: p.Patch}
	}
	plan, err := r.CampaignService.CreatePlanFromPatches(ctx, a.Viewer(), a.UID, in)
	if err != nil {
		return nil, campaignsErr(err)
	}
	return &CampaignPlanResolver{r: r, p: plan}, nil
}

func (r *Resolver) CreateCampaignPlanFromSpec(ctx context.Context, args struct{ Spec string }) (*CampaignPlanResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	a := auth.FromContext(ctx)
	if campaigns.HasLocalSteps(args.Spec) && !a.HasAllAccess() {
		// A local step runs as the worker's own user: isolation from accidents, not
		// from hostile code. Other users' steps run in containers.
		return nil, errcode.New(errcode.Forbidden, "steps without a container image run as local processes on the worker; only site admins may run them: give each step a container image")
	}
	// Resolving repositoriesMatchingQuery runs searches.
	release, err := r.expensive(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	plan, err := r.CampaignService.CreatePlanFromSpec(ctx, a.Viewer(), a.UID, args.Spec)
	if err != nil {
		return nil, campaignsErr(err)
	}
	return &CampaignPlanResolver{r: r, p: plan}, nil
}

func (r *Resolver) CancelCampaignPlan(ctx context.Context, args struct{ Plan graphql.ID }) (*EmptyResponse, error) {
	p, err := r.planByID(ctx, args.Plan)
	if err != nil {
		return nil, err
	}
	if err := r.CampaignService.CancelPlan(ctx, p.ID); err != nil {
		return nil, campaignsErr(err)
	}
	return &EmptyResponse{}, nil
}

type createCampaignInput struct {
	Namespace   graphql.ID
	Name        string
	Description *string
	Branch      *string
	Plan        *graphql.ID
	Draft       *bool
}

func (r *Resolver) CreateCampaign(ctx context.Context, args struct{ Input createCampaignInput }) (*CampaignResolver, error) {
	in := args.Input
	ns, err := namespaceByID(in.Namespace)
	if err != nil {
		return nil, err
	}
	if err := r.checkCanAdministerNamespace(ctx, ns); err != nil {
		return nil, err
	}
	// A site admin may name any namespace: it must exist.
	if _, err := r.namespaceResolver(ctx, ns); err != nil {
		return nil, storeErr(err)
	}
	ci := campaigns.CreateCampaignInput{NamespaceUserID: ns.UserID, NamespaceOrgID: ns.OrgID, AuthorID: auth.FromContext(ctx).UID, Name: in.Name}
	if in.Description != nil {
		ci.Description = *in.Description
	}
	if in.Draft != nil {
		ci.Draft = *in.Draft
	}
	if in.Branch != nil {
		ci.Branch = *in.Branch
	}
	if in.Plan != nil {
		p, err := r.planByID(ctx, *in.Plan)
		if err != nil {
			return nil, err
		}
		ci.PlanID = p.ID
	}
	c, err := r.CampaignService.CreateCampaign(ctx, ci)
	if err != nil {
		return nil, campaignsErr(err)
	}
	return r.newCampaign(c), nil
}

type updateCampaignInput struct {
	ID          graphql.ID
	Name        *string
	Description *string
	Branch      *string
	Plan        *graphql.ID
}

func (r *Resolver) UpdateCampaign(ctx context.Context, args struct{ Input updateCampaignInput }) (*CampaignResolver, error) {
	in := args.Input
	c, err := r.administeredCampaign(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	u := campaigns.UpdateCampaignInput{ID: c.ID, Name: in.Name, Description: in.Description, Branch: in.Branch, ActorID: auth.FromContext(ctx).UID}
	if in.Plan != nil {
		p, err := r.planByID(ctx, *in.Plan)
		if err != nil {
			return nil, err
		}
		u.PlanID = &p.ID
	}
	updated, err := r.CampaignService.UpdateCampaign(ctx, u)
	if err != nil {
		return nil, campaignsErr(err)
	}
	return r.newCampaign(updated), nil
}

type closeCampaignArgs struct {
	Campaign        graphql.ID
	CloseChangesets *bool
}

func (a closeCampaignArgs) closeChangesets() bool {
	return a.CloseChangesets != nil && *a.CloseChangesets
}

func (r *Resolver) CloseCampaign(ctx context.Context, args closeCampaignArgs) (*CampaignResolver, error) {
	c, err := r.administeredCampaign(ctx, args.Campaign)
	if err != nil {
		return nil, err
	}
	closed, err := r.CampaignService.CloseCampaign(ctx, c.ID, args.closeChangesets())
	if err != nil {
		return nil, campaignsErr(err)
	}
	return r.newCampaign(closed), nil
}

func (r *Resolver) DeleteCampaign(ctx context.Context, args closeCampaignArgs) (*EmptyResponse, error) {
	c, err := r.administeredCampaign(ctx, args.Campaign)
	if err != nil {
		return nil, err
	}
	if err := r.CampaignService.DeleteCampaign(ctx, c.ID, args.closeChangesets()); err != nil {
		return nil, campaignsErr(err)
	}
	return &EmptyResponse{}, nil
}

func (r *Resolver) RetryCampaignChangesets(ctx context.Context, args struct{ Campaign graphql.ID }) (*CampaignResolver, error) {
	c, err := r.administeredCampaign(ctx, args.Campaign)
	if err != nil {
		return nil, err
	}
	if err := r.CampaignService.RetryChangesets(ctx, c.ID); err != nil {
		return nil, campaignsErr(err)
	}
	return r.reloadCampaign(ctx, c.ID)
}

// RetryChangeset queues one failed changeset again.
func (r *Resolver) RetryChangeset(ctx context.Context, args struct{ Changeset graphql.ID }) (*ChangesetResolver, error) {
	c, err := r.changesetByID(ctx, args.Changeset)
	if err != nil {
		return nil, err
	}
	if err := r.checkCanAdministerChangeset(ctx, c); err != nil {
		return nil, err
	}
	if err := r.CampaignService.RetryChangeset(ctx, c.ID); err != nil {
		return nil, campaignsErr(err)
	}
	c, err = r.changesetByNumber(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return r.newChangeset(c), nil
}

func (r *Resolver) reloadCampaign(ctx context.Context, id int64) (*CampaignResolver, error) {
	c, err := r.Store.Campaigns().GetCampaign(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.newCampaign(c), nil
}

func (r *Resolver) PublishCampaign(ctx context.Context, args struct{ Campaign graphql.ID }) (*CampaignResolver, error) {
	c, err := r.administeredCampaign(ctx, args.Campaign)
	if err != nil {
		return nil, err
	}
	published, err := r.CampaignService.PublishCampaign(ctx, c.ID)
	if err != nil {
		return nil, campaignsErr(err)
	}
	return r.newCampaign(published), nil
}

func (r *Resolver) PublishChangeset(ctx context.Context, args struct{ ChangesetPlan graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	jobID, err := unmarshalID(args.ChangesetPlan, changesetPlanKind)
	if err != nil {
		return nil, err
	}
	p, err := r.changesetPlanNode(ctx, jobID)
	if err != nil {
		return nil, storeErr(err)
	}
	c, err := r.Store.Campaigns().GetCampaign(ctx, p.campaignID)
	if err != nil {
		return nil, storeErr(err)
	}
	if err := r.checkCanAdministerCampaign(ctx, c); err != nil {
		return nil, err
	}
	if err := r.CampaignService.PublishChangeset(ctx, jobID); err != nil {
		return nil, campaignsErr(err)
	}
	return &EmptyResponse{}, nil
}

func (r *Resolver) SyncChangeset(ctx context.Context, args struct{ Changeset graphql.ID }) (*EmptyResponse, error) {
	c, err := r.changesetByID(ctx, args.Changeset)
	if err != nil {
		return nil, err
	}
	if err := r.checkCanAdministerChangeset(ctx, c); err != nil {
		return nil, err
	}
	if err := r.CampaignService.SyncChangeset(ctx, c.ID); err != nil {
		return nil, campaignsErr(err)
	}
	return &EmptyResponse{}, nil
}

type createChangesetInput struct {
	Repository graphql.ID
	ExternalID string
}

func (r *Resolver) CreateChangesets(ctx context.Context, args struct{ Input []createChangesetInput }) ([]*ChangesetResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	in := make([]campaigns.TrackInput, len(args.Input))
	for i, c := range args.Input {
		repoID, err := unmarshalID(c.Repository, "Repository")
		if err != nil {
			return nil, err
		}
		in[i] = campaigns.TrackInput{RepoID: repoID, ExternalID: c.ExternalID}
	}
	list, err := r.CampaignService.CreateChangesets(ctx, auth.FromContext(ctx).Viewer(), in)
	if err != nil {
		return nil, campaignsErr(err)
	}
	out := make([]*ChangesetResolver, len(list))
	for i, c := range list {
		out[i] = r.newChangeset(c)
	}
	return out, nil
}

func (r *Resolver) AddChangesetsToCampaign(ctx context.Context, args struct {
	Campaign   graphql.ID
	Changesets []graphql.ID
}) (*CampaignResolver, error) {
	c, err := r.administeredCampaign(ctx, args.Campaign)
	if err != nil {
		return nil, err
	}
	if len(args.Changesets) > campaigns.MaxChangesetsPerCall {
		return nil, errcode.New(errcode.BadInput, "at most %d changesets may be added at once", campaigns.MaxChangesetsPerCall)
	}
	ids := make([]int64, len(args.Changesets))
	for i, id := range args.Changesets {
		ch, err := r.changesetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		ids[i] = ch.ID
	}
	if len(ids) == 0 {
		return nil, errcode.New(errcode.BadInput, "changesets must not be empty")
	}
	if _, err := r.CampaignService.AddChangesetsToCampaign(ctx, c.ID, ids); err != nil {
		return nil, campaignsErr(err)
	}
	return r.reloadCampaign(ctx, c.ID)
}

// campaignNode loads a campaign for node(id:).
func (r *Resolver) campaignNode(ctx context.Context, id int64) (*CampaignResolver, error) {
	c, err := r.Store.Campaigns().GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.newCampaign(c), nil
}

func (r *Resolver) planNode(ctx context.Context, id int64) (*CampaignPlanResolver, error) {
	p, err := r.planByNumber(ctx, id)
	if err != nil {
		return nil, err
	}
	return &CampaignPlanResolver{r: r, p: p}, nil
}

func (r *Resolver) changesetNode(ctx context.Context, id int64) (*ChangesetResolver, error) {
	c, err := r.changesetByNumber(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.newChangeset(c), nil
}
