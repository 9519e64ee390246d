package resolvers

import (
	"context"
	"errors"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// NamespaceResolver resolves the Namespace interface (a user or an organization).
type NamespaceResolver struct {
	namespace interface {
		ID() graphql.ID
		NamespaceName() string
		URL() string
	}
}

func (n *NamespaceResolver) ID() graphql.ID        { return n.namespace.ID() }
func (n *NamespaceResolver) NamespaceName() string { return n.namespace.NamespaceName() }
func (n *NamespaceResolver) URL() string           { return n.namespace.URL() }
func (n *NamespaceResolver) ToUser() (*UserResolver, bool) {
	u, ok := n.namespace.(*UserResolver)
	return u, ok
}
func (n *NamespaceResolver) ToOrg() (*OrgResolver, bool) {
	o, ok := n.namespace.(*OrgResolver)
	return o, ok
}

// Namespace identifies an owner: exactly one of UserID and OrgID is set.
type Namespace struct {
	UserID int64
	OrgID  int64
}

// namespaceByID decodes a Namespace ID (a User or Org ID).
func namespaceByID(id graphql.ID) (Namespace, error) {
	kind, n, err := decodeID(id)
	if err != nil {
		return Namespace{}, err
	}
	switch kind {
	case "User":
		return Namespace{UserID: n}, nil
	case "Org":
		return Namespace{OrgID: n}, nil
	}
	return Namespace{}, errcode.New(errcode.BadInput, "ID %q is not a namespace (a user or an organization)", id)
}

// checkCanAdministerNamespace: users administer their own namespace, members their
// organization's, and site admins every namespace.
func (r *Resolver) checkCanAdministerNamespace(ctx context.Context, ns Namespace) error {
	if ns.UserID != 0 {
		return auth.CheckSameUserOrSiteAdmin(ctx, ns.UserID)
	}
	return auth.CheckOrgMemberOrSiteAdmin(ctx, r.Store, ns.OrgID)
}

func (r *Resolver) namespaceResolver(ctx context.Context, ns Namespace) (*NamespaceResolver, error) {
	if ns.UserID != 0 {
		u, err := r.userByID(ctx, ns.UserID)
		if err != nil {
			return nil, err
		}
		return &NamespaceResolver{u}, nil
	}
	o, err := r.orgByID(ctx, ns.OrgID)
	if err != nil {
		return nil, err
	}
	return &NamespaceResolver{o}, nil
}

func (r *Resolver) NamespaceByName(ctx context.Context, args struct{ Name string }) (*NamespaceResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	if u, err := r.Store.Users().GetByUsername(ctx, args.Name); err == nil {
		return &NamespaceResolver{r.newUser(u)}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if o, err := r.Store.Orgs().GetByName(ctx, args.Name); err == nil {
		return &NamespaceResolver{r.newOrg(o)}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return nil, nil
}
