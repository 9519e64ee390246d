package resolvers

import (
	"context"
	"errors"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/store"
)

// OrgResolver resolves Org.
type OrgResolver struct {
	r   *Resolver
	org *store.Org
}

func (r *Resolver) newOrg(o *store.Org) *OrgResolver { return &OrgResolver{r: r, org: o} }

func (o *OrgResolver) ID() graphql.ID        { return marshalID("Org", o.org.ID) }
func (o *OrgResolver) Name() string          { return o.org.Name }
func (o *OrgResolver) DisplayName() string   { return o.org.DisplayName }
func (o *OrgResolver) CreatedAt() DateTime   { return newDateTime(o.org.CreatedAt) }
func (o *OrgResolver) NamespaceName() string { return o.org.Name }
func (o *OrgResolver) URL() string           { return "/organizations/" + o.org.Name }

func (o *OrgResolver) Members(ctx context.Context, args ConnectionArgs) (*connection[*UserResolver], error) {
	if err := auth.CheckOrgMemberOrSiteAdmin(ctx, o.r.Store, o.org.ID); err != nil {
		return nil, err
	}
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	users, err := o.r.Store.Orgs().Members(ctx, o.org.ID, page)
	if err != nil {
		return nil, err
	}
	return newConnection(users, page, func(u *store.User) int64 { return u.ID }, o.r.newUser,
		func(ctx context.Context) (int, error) { return o.r.Store.Orgs().CountMembers(ctx, o.org.ID) }), nil
}

func (o *OrgResolver) ViewerIsMember(ctx context.Context) (bool, error) {
	a := auth.FromContext(ctx)
	if a.UID == 0 {
		return false, nil
	}
	return o.r.Store.Orgs().IsMember(ctx, o.org.ID, a.UID)
}

func (r *Resolver) Organization(ctx context.Context, args struct{ Name string }) (*OrgResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	o, err := r.Store.Orgs().GetByName(ctx, args.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.newOrg(o), nil
}

// Organizations lists every organization to any signed-in user: organization names are
// public, as user names are (organization(name:) answers anyone).
func (r *Resolver) Organizations(ctx context.Context, args struct {
	ConnectionArgs
	Query *string
}) (*connection[*OrgResolver], error) {
	// Site admins only, as the users list and Sourcegraph's organizations are: a member
	// sees their own through User.organizations.
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts := store.OrgListOptions{Page: page}
	if args.Query != nil {
		opts.Query = *args.Query
	}
	orgs, err := r.Store.Orgs().List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(orgs, page, func(o *store.Org) int64 { return o.ID }, r.newOrg,
		func(ctx context.Context) (int, error) { return r.Store.Orgs().Count(ctx, opts) }), nil
}

func (r *Resolver) orgByID(ctx context.Context, id int64) (*OrgResolver, error) {
	o, err := r.Store.Orgs().GetByID(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.newOrg(o), nil
}

func (r *Resolver) CreateOrganization(ctx context.Context, args struct {
	Name        string
	DisplayName *string
}) (*OrgResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(args.Name)
	if err := store.ValidateName(name); err != nil {
		return nil, badInput(err)
	}
	display := ""
	if args.DisplayName != nil {
		display = strings.TrimSpace(*args.DisplayName)
	}
	o, err := r.Store.Orgs().Create(ctx, name, display, auth.FromContext(ctx).UID)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.newOrg(o), nil
}

func (r *Resolver) AddUserToOrganization(ctx context.Context, args struct {
	Organization graphql.ID
	Username     string
}) (*EmptyResponse, error) {
	// Site admins only: anyone else invites (inviteUserToOrganization), and the invitee
	// decides. A member adding users directly would make the organization's dashboards
	// and email reach them without their consent.
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	orgID, err := unmarshalID(args.Organization, "Org")
	if err != nil {
		return nil, err
	}
	if _, err := r.Store.Orgs().GetByID(ctx, orgID); err != nil {
		return nil, storeErr(err)
	}
	u, err := r.Store.Users().GetByUsername(ctx, args.Username)
	if err != nil {
		return nil, storeErr(err)
	}
	return empty(storeErr(r.Store.Orgs().AddMember(ctx, orgID, u.ID)))
}

func (r *Resolver) RemoveUserFromOrganization(ctx context.Context, args struct {
	User         graphql.ID
	Organization graphql.ID
}) (*EmptyResponse, error) {
	orgID, err := unmarshalID(args.Organization, "Org")
	if err != nil {
		return nil, err
	}
	userID, err := unmarshalID(args.User, "User")
	if err != nil {
		return nil, err
	}
	if err := auth.CheckOrgMemberOrSiteAdmin(ctx, r.Store, orgID); err != nil {
		return nil, err
	}
	return empty(storeErr(r.Store.Orgs().RemoveMember(ctx, orgID, userID)))
}
