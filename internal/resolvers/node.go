package resolvers

import (
	"context"
	"errors"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// node is what every Node implementation satisfies.
type node interface{ ID() graphql.ID }

// NodeResolver resolves the Node interface; each area adds its ToX method.
type NodeResolver struct{ node }

func (n *NodeResolver) ToUser() (*UserResolver, bool) { r, ok := n.node.(*UserResolver); return r, ok }
func (n *NodeResolver) ToOrg() (*OrgResolver, bool)   { r, ok := n.node.(*OrgResolver); return r, ok }
func (n *NodeResolver) ToOrganizationInvitation() (*OrgInvitationResolver, bool) {
	r, ok := n.node.(*OrgInvitationResolver)
	return r, ok
}
func (n *NodeResolver) ToRepository() (*RepositoryResolver, bool) {
	r, ok := n.node.(*RepositoryResolver)
	return r, ok
}
func (n *NodeResolver) ToExternalService() (*ExternalServiceResolver, bool) {
	r, ok := n.node.(*ExternalServiceResolver)
	return r, ok
}
func (n *NodeResolver) ToAccessToken() (*AccessTokenResolver, bool) {
	r, ok := n.node.(*AccessTokenResolver)
	return r, ok
}
func (n *NodeResolver) ToMonitor() (*MonitorResolver, bool) {
	r, ok := n.node.(*MonitorResolver)
	return r, ok
}
func (n *NodeResolver) ToAlert() (*AlertResolver, bool) {
	r, ok := n.node.(*AlertResolver)
	return r, ok
}
func (n *NodeResolver) ToIssue() (*IssueResolver, bool) {
	r, ok := n.node.(*IssueResolver)
	return r, ok
}

func (n *NodeResolver) ToSearchContext() (*SearchContextResolver, bool) {
	r, ok := n.node.(*SearchContextResolver)
	return r, ok
}

func (n *NodeResolver) ToInsightView() (*InsightViewResolver, bool) {
	r, ok := n.node.(*InsightViewResolver)
	return r, ok
}
func (n *NodeResolver) ToInsightsDashboard() (*InsightsDashboardResolver, bool) {
	r, ok := n.node.(*InsightsDashboardResolver)
	return r, ok
}

func (n *NodeResolver) ToCampaign() (*CampaignResolver, bool) {
	r, ok := n.node.(*CampaignResolver)
	return r, ok
}
func (n *NodeResolver) ToCampaignPlan() (*CampaignPlanResolver, bool) {
	r, ok := n.node.(*CampaignPlanResolver)
	return r, ok
}
func (n *NodeResolver) ToCampaignJob() (*CampaignJobResolver, bool) {
	r, ok := n.node.(*CampaignJobResolver)
	return r, ok
}
func (n *NodeResolver) ToExternalChangeset() (*ChangesetResolver, bool) {
	r, ok := n.node.(*ChangesetResolver)
	return r, ok
}
func (n *NodeResolver) ToChangesetEvent() (*ChangesetEventResolver, bool) {
	r, ok := n.node.(*ChangesetEventResolver)
	return r, ok
}
func (n *NodeResolver) ToChangesetPlan() (*ChangesetPlanResolver, bool) {
	r, ok := n.node.(*ChangesetPlanResolver)
	return r, ok
}
func (n *NodeResolver) ToCampaignsCredential() (*CampaignsCredentialResolver, bool) {
	r, ok := n.node.(*CampaignsCredentialResolver)
	return r, ok
}

// nodeLoaders load a node by kind. Loaders check the viewer's permission and return
// (nil, nil) for what the viewer may not see, so `node` never reveals that it exists.
func (r *Resolver) nodeLoaders() map[string]func(ctx context.Context, id int64) (node, error) {
	return map[string]func(ctx context.Context, id int64) (node, error){
		"User": func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.userByID(ctx, id)) },
		"Org":  func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.orgByID(ctx, id)) },
		orgInvitationKind: func(ctx context.Context, id int64) (node, error) {
			return nilIfNotFound(r.orgInvitationNode(ctx, id))
		},
		"ExternalService": func(ctx context.Context, id int64) (node, error) {
			if auth.CheckSiteAdmin(ctx) != nil {
				return nil, nil
			}
			return nilIfNotFound(r.externalServiceByID(ctx, id))
		},
		"Repository": func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.repositoryByID(ctx, id)) },
		searchContextKind: func(ctx context.Context, id int64) (node, error) {
			sc, err := r.Store.Search().SearchContextByID(ctx, id)
			if err != nil {
				return nilIfNotFound[*SearchContextResolver](nil, err)
			}
			return &SearchContextResolver{c: sc}, nil
		},
		"AccessToken": func(ctx context.Context, id int64) (node, error) {
			t, err := r.Store.AccessTokens().GetByID(ctx, id)
			if err != nil {
				return nilIfNotFound[*AccessTokenResolver](nil, err)
			}
			if auth.CheckSameUserOrSiteAdmin(ctx, t.UserID) != nil {
				return nil, nil // someone else's token: as if it did not exist
			}
			return r.newAccessToken(t), nil
		},
		monitorKind:   r.loadMonitorNode,
		alertKind:     r.loadAlertNode,
		issueKind:     r.loadIssueNode,
		"InsightView": func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.insightViewNode(ctx, id)) },
		"InsightsDashboard": func(ctx context.Context, id int64) (node, error) {
			return nilIfNotFound(r.insightsDashboardNode(ctx, id))
		},
		// Campaigns.
		campaignKind:            func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.campaignNode(ctx, id)) },
		campaignPlanKind:        func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.planNode(ctx, id)) },
		campaignJobKind:         func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.jobNode(ctx, id)) },
		changesetKind:           func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.changesetNode(ctx, id)) },
		changesetEventKind:      func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.changesetEventNode(ctx, id)) },
		changesetPlanKind:       func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.changesetPlanNode(ctx, id)) },
		campaignsCredentialKind: func(ctx context.Context, id int64) (node, error) { return nilIfNotFound(r.credentialNode(ctx, id)) },
	}
}

func nilIfNotFound[T node](v T, err error) (node, error) {
	if errors.Is(err, store.ErrNotFound) || errcode.Is(err, errcode.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (r *Resolver) Node(ctx context.Context, args struct{ ID graphql.ID }) (*NodeResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	kind, id, err := decodeID(args.ID)
	if err != nil {
		return nil, err
	}
	load, ok := r.nodeLoaders()[kind]
	if !ok {
		return nil, errcode.New(errcode.BadInput, "ID %q is of unknown kind %q", args.ID, kind)
	}
	n, err := load(ctx, id)
	if err != nil || n == nil {
		return nil, err
	}
	return &NodeResolver{n}, nil
}
