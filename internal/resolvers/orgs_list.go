package resolvers

import (
	"context"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/store"
)

// Organizations lists every organization (the site admin's organizations page).
func (r *Resolver) Organizations(ctx context.Context, args ConnectionArgs) (*connection[*OrgResolver], error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	orgs, err := r.Store.Orgs().List(ctx, page)
	if err != nil {
		return nil, err
	}
	return newConnection(orgs, page, func(o *store.Org) int64 { return o.ID }, r.newOrg,
		func(ctx context.Context) (int, error) { return r.Store.Orgs().Count(ctx) }), nil
}
