// Package auth decides who is calling and what they may do: actors on the context, access
// tokens, sessions, passwords, and the permission checks resolvers and routines share.
package auth

import (
	"context"
	"fmt"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// Actor is who a request or a background run acts as.
type Actor struct {
	UID       int64 // 0 for anonymous and internal actors
	SiteAdmin bool
	// Internal marks Lookout itself (routines working across all users); it may see
	// everything. Work done on a user's behalf (a monitor's search) uses that user's actor.
	Internal bool
}

// IsAuthenticated reports whether the actor is a user or Lookout itself.
func (a *Actor) IsAuthenticated() bool { return a != nil && (a.UID != 0 || a.Internal) }

// IsUser reports whether the actor is the user uid.
func (a *Actor) IsUser(uid int64) bool { return a != nil && a.UID != 0 && a.UID == uid }

// HasAllAccess reports whether the actor may see every repository and object: site
// admins and Lookout itself.
func (a *Actor) HasAllAccess() bool { return a != nil && (a.SiteAdmin || a.Internal) }

func (a *Actor) String() string {
	switch {
	case a == nil || !a.IsAuthenticated():
		return "anonymous"
	case a.Internal:
		return "internal"
	default:
		return fmt.Sprintf("user %d", a.UID)
	}
}

type actorKey struct{}

// WithActor returns ctx acting as a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// WithInternalActor returns ctx acting as Lookout itself.
func WithInternalActor(ctx context.Context) context.Context {
	return WithActor(ctx, &Actor{Internal: true})
}

// FromContext returns the actor of ctx; anonymous when none was set.
func FromContext(ctx context.Context) *Actor {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok && a != nil {
		return a
	}
	return &Actor{}
}

// ActorForUser loads the actor of user uid, for work done on that user's behalf (a
// monitor's owner). A deleted user yields a not-found error.
func ActorForUser(ctx context.Context, st *store.Store, uid int64) (*Actor, error) {
	u, err := st.Users().GetByID(ctx, uid)
	if err != nil {
		return nil, err
	}
	return &Actor{UID: u.ID, SiteAdmin: u.SiteAdmin}, nil
}

// Errors every permission check returns; they carry codes for API clients.
var (
	ErrNotAuthenticated = &errcode.Error{Code: errcode.Unauthenticated, Message: "not authenticated: sign in or send an access token (Authorization: token ...)"}
	ErrMustBeSiteAdmin  = &errcode.Error{Code: errcode.Forbidden, Message: "must be site admin"}
	ErrForbidden        = &errcode.Error{Code: errcode.Forbidden, Message: "you do not have permission to do this"}
)

// CheckAuthenticated fails for anonymous actors.
func CheckAuthenticated(ctx context.Context) error {
	if !FromContext(ctx).IsAuthenticated() {
		return ErrNotAuthenticated
	}
	return nil
}

// CheckSiteAdmin fails unless the actor is a site admin (or Lookout itself).
func CheckSiteAdmin(ctx context.Context) error {
	a := FromContext(ctx)
	if !a.IsAuthenticated() {
		return ErrNotAuthenticated
	}
	if !a.HasAllAccess() {
		return ErrMustBeSiteAdmin
	}
	return nil
}

// CheckSameUserOrSiteAdmin fails unless the actor is uid or a site admin.
func CheckSameUserOrSiteAdmin(ctx context.Context, uid int64) error {
	a := FromContext(ctx)
	if !a.IsAuthenticated() {
		return ErrNotAuthenticated
	}
	if a.IsUser(uid) || a.HasAllAccess() {
		return nil
	}
	return ErrForbidden
}

// CheckOrgMemberOrSiteAdmin fails unless the actor belongs to orgID or is a site admin.
func CheckOrgMemberOrSiteAdmin(ctx context.Context, st *store.Store, orgID int64) error {
	a := FromContext(ctx)
	if !a.IsAuthenticated() {
		return ErrNotAuthenticated
	}
	if a.HasAllAccess() {
		return nil
	}
	ok, err := st.Orgs().IsMember(ctx, orgID, a.UID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrForbidden
	}
	return nil
}

// Viewer is the actor as the store's repository visibility rule sees it.
func (a *Actor) Viewer() store.Viewer {
	if a == nil {
		return store.Viewer{}
	}
	return store.Viewer{UserID: a.UID, AllAccess: a.HasAllAccess()}
}
