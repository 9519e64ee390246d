package resolvers

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// InsightsDashboardResolver resolves InsightsDashboard.
type InsightsDashboardResolver struct {
	r   *Resolver
	req *insightsRequest
	d   *store.Dashboard
}

func (d *InsightsDashboardResolver) ID() graphql.ID {
	return marshalID(insightsDashboardKind, int64(d.d.ID))
}
func (d *InsightsDashboardResolver) Title() string { return d.d.Title }

// ViewerCanEdit tells the web app whether to offer rename, share, delete and changes to
// the views: the rule the mutations apply (dashboardForWrite).
func (d *InsightsDashboardResolver) ViewerCanEdit(ctx context.Context) (bool, error) {
	if auth.FromContext(ctx).HasAllAccess() {
		return true, nil
	}
	return d.r.insightsStore().DashboardWritable(ctx, d.req.viewer, d.d.ID)
}

// Views lists the dashboard's views that the viewer may see.
func (d *InsightsDashboardResolver) Views(ctx context.Context, args struct {
	First *int32
	After *graphql.ID
}) (*InsightViewConnectionResolver, error) {
	opts := store.ViewListOptions{DashboardID: d.d.ID}
	var after *string
	if args.After != nil {
		id, err := unmarshalIntID(*args.After, insightViewKind)
		if err != nil {
			return nil, err
		}
		c := encodeCursor(int64(id))
		after = &c
	}
	return d.r.viewConnection(ctx, d.req, opts, args.First, after, nil)
}

// Grants lists who may see the dashboard; organizations the viewer does not belong to
// are left out (site admins see all).
func (d *InsightsDashboardResolver) Grants(ctx context.Context) (*insightsGrants, error) {
	grants, err := d.r.insightsStore().DashboardGrants(ctx, d.d.ID)
	if err != nil {
		return nil, err
	}
	admin := auth.FromContext(ctx).HasAllAccess()
	mine := map[int64]bool{}
	for _, o := range d.req.viewer.OrgIDs {
		mine[o] = true
	}
	g := &insightsGrants{users: []graphql.ID{}, orgs: []graphql.ID{}}
	for _, gr := range grants {
		switch {
		case gr.Global:
			g.global = true
		case gr.UserID != nil:
			g.users = append(g.users, marshalID("User", *gr.UserID))
		case gr.OrgID != nil && (admin || mine[*gr.OrgID]):
			g.orgs = append(g.orgs, marshalID("Org", *gr.OrgID))
		}
	}
	return g, nil
}

type insightsGrants struct {
	users, orgs []graphql.ID
	global      bool
}

func (g *insightsGrants) Users() []graphql.ID         { return g.users }
func (g *insightsGrants) Organizations() []graphql.ID { return g.orgs }
func (g *insightsGrants) Global() bool                { return g.global }

// InsightsPermissionGrantsInput is who a dashboard is granted to.
type InsightsPermissionGrantsInput struct {
	Users         *[]graphql.ID
	Organizations *[]graphql.ID
	Global        *bool
}

// grants checks a grants input: users may grant themselves and organizations they
// belong to; site admins anyone and everyone. No grant at all grants the viewer.
func (r *Resolver) grants(ctx context.Context, req *insightsRequest, in *InsightsPermissionGrantsInput) ([]store.InsightGrant, error) {
	a := auth.FromContext(ctx)
	admin := a.HasAllAccess()
	var out []store.InsightGrant
	if in != nil && in.Users != nil {
		for _, id := range *in.Users {
			uid, err := unmarshalID(id, "User")
			if err != nil {
				return nil, err
			}
			if uid != a.UID && !admin {
				return nil, errcode.New(errcode.Forbidden, "you may grant a dashboard only to yourself, your organizations or (site admins) everyone")
			}
			out = append(out, store.InsightGrant{UserID: &uid})
		}
	}
	if in != nil && in.Organizations != nil {
		mine := map[int64]bool{}
		for _, o := range req.viewer.OrgIDs {
			mine[o] = true
		}
		for _, id := range *in.Organizations {
			oid, err := unmarshalID(id, "Org")
			if err != nil {
				return nil, err
			}
			if !mine[oid] && !admin {
				return nil, errcode.New(errcode.Forbidden, "you are not a member of organization %s", id)
			}
			out = append(out, store.InsightGrant{OrgID: &oid})
		}
	}
	if in != nil && in.Global != nil && *in.Global {
		if !admin {
			return nil, errcode.New(errcode.Forbidden, "only site admins may grant a dashboard to everyone")
		}
		out = append(out, store.InsightGrant{Global: true})
	}
	if len(out) == 0 {
		if a.UID == 0 {
			return nil, errcode.New(errcode.BadInput, "a dashboard needs a grant")
		}
		out = userGrant(a.UID)
	}
	return out, nil
}

type insightsDashboardConnection struct {
	c *connection[*InsightsDashboardResolver]
}

func (c *insightsDashboardConnection) Nodes() []*InsightsDashboardResolver { return c.c.Nodes() }
func (c *insightsDashboardConnection) PageInfo() *PageInfo                 { return c.c.PageInfo() }

func (r *Resolver) dashboardConnection(ctx context.Context, req *insightsRequest, opts store.DashboardListOptions, first *int32, after *string, id *graphql.ID) (*insightsDashboardConnection, error) {
	limit := 0
	if first != nil {
		if *first < 0 || *first > MaxPageSize {
			return nil, errcode.New(errcode.BadInput, "first must be between 0 and %d", MaxPageSize)
		}
		limit = int(*first) + 1
	}
	if after != nil && *after != "" {
		n, err := decodeCursor(*after)
		if err != nil {
			return nil, err
		}
		opts.AfterID = int(n)
	}
	if id != nil {
		n, err := unmarshalIntID(*id, insightsDashboardKind)
		if err != nil {
			return nil, err
		}
		opts.ID = n
	}
	opts.Limit = limit
	ds, err := r.insightsStore().ListDashboards(ctx, req.viewer, opts)
	if err != nil {
		return nil, err
	}
	return &insightsDashboardConnection{newConnection(ds, store.Page{Limit: limit}, func(d *store.Dashboard) int64 { return int64(d.ID) },
		func(d *store.Dashboard) *InsightsDashboardResolver {
			return &InsightsDashboardResolver{r: r, req: req, d: d}
		},
		func(context.Context) (int, error) { return 0, nil })}, nil
}

// InsightsDashboards lists the dashboards the viewer may see.
func (r *Resolver) InsightsDashboards(ctx context.Context, args struct {
	First *int32
	After *string
	ID    *graphql.ID
}) (*insightsDashboardConnection, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	return r.dashboardConnection(ctx, req, store.DashboardListOptions{}, args.First, args.After, args.ID)
}

func (r *Resolver) insightsDashboardNode(ctx context.Context, id int64) (*InsightsDashboardResolver, error) {
	if r.Insights == nil {
		return nil, nil
	}
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	d, err := r.insightsStore().GetDashboard(ctx, req.viewer, int(id))
	if err != nil {
		return nil, storeErr(err)
	}
	return &InsightsDashboardResolver{r: r, req: req, d: d}, nil
}

type insightsDashboardPayload struct{ d *InsightsDashboardResolver }

func (p *insightsDashboardPayload) Dashboard() *InsightsDashboardResolver { return p.d }

func (r *Resolver) dashboardPayload(ctx context.Context, req *insightsRequest, id int) (*insightsDashboardPayload, error) {
	d, err := r.insightsStore().GetDashboard(ctx, req.viewer, id)
	if err != nil {
		return nil, storeErr(err)
	}
	return &insightsDashboardPayload{&InsightsDashboardResolver{r: r, req: req, d: d}}, nil
}

// CreateInsightsDashboard creates a dashboard.
func (r *Resolver) CreateInsightsDashboard(ctx context.Context, args struct {
	Input struct {
		Title  string
		Grants InsightsPermissionGrantsInput
	}
}) (*insightsDashboardPayload, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	if args.Input.Title == "" {
		return nil, errcode.New(errcode.BadInput, "a dashboard needs a title")
	}
	grants, err := r.grants(ctx, req, &args.Input.Grants)
	if err != nil {
		return nil, err
	}
	d, err := r.insightsStore().CreateDashboard(ctx, args.Input.Title, grants, auth.FromContext(ctx).UID)
	if err != nil {
		return nil, err
	}
	return &insightsDashboardPayload{&InsightsDashboardResolver{r: r, req: req, d: d}}, nil
}

// dashboardForWrite loads a dashboard the viewer may change: its creator, a user or
// organization it is granted to, or a site admin. A dashboard granted to everyone is
// read-only for everyone else, so nobody can take it over or delete it.
func (r *Resolver) dashboardForWrite(ctx context.Context, req *insightsRequest, id graphql.ID) (int, error) {
	n, err := unmarshalIntID(id, insightsDashboardKind)
	if err != nil {
		return 0, err
	}
	d, err := r.insightsStore().GetDashboard(ctx, req.viewer, n)
	if err != nil {
		return 0, storeErr(err)
	}
	if auth.FromContext(ctx).HasAllAccess() {
		return n, nil
	}
	ok, err := r.insightsStore().DashboardWritable(ctx, req.viewer, n)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errcode.New(errcode.Forbidden, "dashboard %q is shared with everyone: only its owners and site admins may change it", d.Title)
	}
	return n, nil
}

// UpdateInsightsDashboard changes a dashboard's title or grants.
func (r *Resolver) UpdateInsightsDashboard(ctx context.Context, args struct {
	ID    graphql.ID
	Input struct {
		Title  *string
		Grants *InsightsPermissionGrantsInput
	}
}) (*insightsDashboardPayload, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	id, err := r.dashboardForWrite(ctx, req, args.ID)
	if err != nil {
		return nil, err
	}
	var grants []store.InsightGrant
	if args.Input.Grants != nil {
		if grants, err = r.grants(ctx, req, args.Input.Grants); err != nil {
			return nil, err
		}
	}
	if args.Input.Title != nil && *args.Input.Title == "" {
		return nil, errcode.New(errcode.BadInput, "a dashboard needs a title")
	}
	// The change and the check that the viewer keeps access are one transaction: grants
	// that would lock the viewer out are refused and nothing is written.
	var d *store.Dashboard
	err = r.insightsStore().Transact(ctx, func(tx *store.InsightsStore) error {
		if err := tx.UpdateDashboard(ctx, id, args.Input.Title, grants); err != nil {
			return storeErr(err)
		}
		ds, err := tx.ListDashboards(ctx, req.viewer, store.DashboardListOptions{ID: id})
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return errcode.New(errcode.BadInput, "these grants would leave you without access to the dashboard")
		}
		d = ds[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &insightsDashboardPayload{&InsightsDashboardResolver{r: r, req: req, d: d}}, nil
}

// DeleteInsightsDashboard deletes a dashboard.
func (r *Resolver) DeleteInsightsDashboard(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	id, err := r.dashboardForWrite(ctx, req, args.ID)
	if err != nil {
		return nil, err
	}
	return empty(storeErr(r.insightsStore().DeleteDashboard(ctx, id)))
}

type dashboardViewInput struct {
	InsightViewID graphql.ID
	DashboardID   graphql.ID
}

func (r *Resolver) dashboardView(ctx context.Context, in dashboardViewInput, add bool) (*insightsDashboardPayload, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	d, err := r.dashboardForWrite(ctx, req, in.DashboardID)
	if err != nil {
		return nil, err
	}
	// Taking a view off a dashboard needs only to see it. Putting one on needs to be
	// allowed to change it: whoever may change a dashboard may change its views, so a
	// view one may only read (through a grant to everyone) would become writable that
	// way. Such a view can be saved as a new view instead.
	view := r.viewForRead
	if add {
		view = r.viewForWrite
	}
	v, err := view(ctx, req, in.InsightViewID)
	if err != nil {
		return nil, err
	}
	is := r.insightsStore()
	if add {
		err = is.AddViewToDashboard(ctx, d, v.ID)
	} else {
		err = is.RemoveViewFromDashboard(ctx, d, v.ID)
	}
	if err != nil {
		return nil, err
	}
	return r.dashboardPayload(ctx, req, d)
}

// AddInsightViewToDashboard puts a view on a dashboard.
func (r *Resolver) AddInsightViewToDashboard(ctx context.Context, args struct{ Input dashboardViewInput }) (*insightsDashboardPayload, error) {
	return r.dashboardView(ctx, args.Input, true)
}

// RemoveInsightViewFromDashboard takes a view off a dashboard.
func (r *Resolver) RemoveInsightViewFromDashboard(ctx context.Context, args struct{ Input dashboardViewInput }) (*insightsDashboardPayload, error) {
	return r.dashboardView(ctx, args.Input, false)
}
