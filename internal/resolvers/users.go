package resolvers

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// UserResolver resolves User.
type UserResolver struct {
	r    *Resolver
	user *store.User
}

func (r *Resolver) newUser(u *store.User) *UserResolver { return &UserResolver{r: r, user: u} }

func (u *UserResolver) ID() graphql.ID        { return marshalID("User", u.user.ID) }
func (u *UserResolver) Username() string      { return u.user.Username }
func (u *UserResolver) DisplayName() string   { return u.user.DisplayName }
func (u *UserResolver) EmailVerified() bool   { return u.user.EmailVerified }
func (u *UserResolver) SiteAdmin() bool       { return u.user.SiteAdmin }
func (u *UserResolver) CreatedAt() DateTime   { return newDateTime(u.user.CreatedAt) }
func (u *UserResolver) NamespaceName() string { return u.user.Username }
func (u *UserResolver) URL() string           { return "/users/" + u.user.Username }

// Email is private to the user and site admins.
func (u *UserResolver) Email(ctx context.Context) *string {
	if auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID) != nil || u.user.Email == "" {
		return nil
	}
	return &u.user.Email
}

// Emails lists the user's one address, to whom Email shows it.
func (u *UserResolver) Emails(ctx context.Context) []*userEmailResolver {
	if u.Email(ctx) == nil {
		return []*userEmailResolver{}
	}
	return []*userEmailResolver{{u}}
}

type userEmailResolver struct{ u *UserResolver }

func (e *userEmailResolver) Email() string       { return e.u.user.Email }
func (e *userEmailResolver) Verified() bool      { return e.u.user.EmailVerified }
func (e *userEmailResolver) IsPrimary() bool     { return true }
func (e *userEmailResolver) Primary() bool       { return true }
func (e *userEmailResolver) User() *UserResolver { return e.u }

// UsageStatistics are the user's and site admins' to see.
func (u *UserResolver) UsageStatistics(ctx context.Context) (*userUsageStatistics, error) {
	if auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID) != nil {
		return &userUsageStatistics{}, nil
	}
	at, err := u.r.Store.Users().LastActive(ctx, u.user.ID)
	if err != nil {
		return nil, err
	}
	return &userUsageStatistics{lastActive: at}, nil
}

type userUsageStatistics struct{ lastActive *time.Time }

func (s *userUsageStatistics) LastActiveTime() *string {
	if s.lastActive == nil {
		return nil
	}
	v := s.lastActive.UTC().Format(time.RFC3339)
	return &v
}
func (s *userUsageStatistics) LastActiveCodeHostIntegrationTime() *string { return nil }

func (u *UserResolver) ViewerCanAdminister(ctx context.Context) bool {
	return auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID) == nil
}

func (u *UserResolver) Organizations(ctx context.Context) (*connection[*OrgResolver], error) {
	orgs, err := u.r.Store.Orgs().ListForUser(ctx, u.user.ID)
	if err != nil {
		return nil, err
	}
	return newConnection(orgs, store.Page{}, func(o *store.Org) int64 { return o.ID }, u.r.newOrg,
		func(context.Context) (int, error) { return len(orgs), nil }), nil
}

func (u *UserResolver) AccessTokens(ctx context.Context, args ConnectionArgs) (*connection[*AccessTokenResolver], error) {
	if err := auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID); err != nil {
		return nil, err
	}
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	toks, err := u.r.Store.AccessTokens().ListForUser(ctx, u.user.ID, page)
	if err != nil {
		return nil, err
	}
	return newConnection(toks, page, func(t *store.AccessToken) int64 { return t.ID }, u.r.newAccessToken,
		func(ctx context.Context) (int, error) { return u.r.Store.AccessTokens().CountForUser(ctx, u.user.ID) }), nil
}

func (r *Resolver) CurrentUser(ctx context.Context) (*UserResolver, error) {
	a := auth.FromContext(ctx)
	if a.UID == 0 {
		return nil, nil
	}
	u, err := r.Store.Users().GetByID(ctx, a.UID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.newUser(u), nil
}

func (r *Resolver) User(ctx context.Context, args struct{ Username string }) (*UserResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	u, err := r.Store.Users().GetByUsername(ctx, args.Username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.newUser(u), nil
}

func (r *Resolver) Users(ctx context.Context, args struct {
	ConnectionArgs
	Query *string
}) (*connection[*UserResolver], error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts := store.UserListOptions{Page: page}
	if args.Query != nil {
		opts.Query = *args.Query
	}
	users, err := r.Store.Users().List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(users, page, func(u *store.User) int64 { return u.ID }, r.newUser,
		func(ctx context.Context) (int, error) { return r.Store.Users().Count(ctx, opts) }), nil
}

func (r *Resolver) userByID(ctx context.Context, id int64) (*UserResolver, error) {
	u, err := r.Store.Users().GetByID(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.newUser(u), nil
}

type CreateUserResult struct{ user *UserResolver }

func (c *CreateUserResult) User() *UserResolver { return c.user }

func (r *Resolver) CreateUser(ctx context.Context, args struct {
	Username string
	Email    *string
	Password *string
	// Nullable with a schema default: null means the default (see orDefault).
	SiteAdmin     graphql.NullBool
	VerifiedEmail graphql.NullBool
}) (*CreateUserResult, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	nu := store.NewUser{Username: strings.TrimSpace(args.Username), SiteAdmin: boolOr(args.SiteAdmin, false)}
	if err := store.ValidateName(nu.Username); err != nil {
		return nil, badInput(err)
	}
	if args.Email != nil && strings.TrimSpace(*args.Email) != "" {
		addr, err := mail.ParseAddress(strings.TrimSpace(*args.Email))
		if err != nil || addr.Name != "" {
			return nil, errcode.New(errcode.BadInput, "invalid email address %q", *args.Email)
		}
		nu.Email, nu.EmailVerified = addr.Address, boolOr(args.VerifiedEmail, true)
	}
	if args.Password != nil {
		hash, err := auth.HashPassword(*args.Password)
		if err != nil {
			return nil, badInput(err)
		}
		nu.PasswordHash = hash
	}
	u, err := r.Store.Users().Create(ctx, nu)
	if err != nil {
		return nil, storeErr(err)
	}
	return &CreateUserResult{user: r.newUser(u)}, nil
}

func (r *Resolver) DeleteUser(ctx context.Context, args struct{ User graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.User, "User")
	if err != nil {
		return nil, err
	}
	if auth.FromContext(ctx).IsUser(id) {
		return nil, errcode.New(errcode.BadInput, "you cannot delete yourself")
	}
	return empty(storeErr(r.Store.Users().Delete(ctx, id)))
}

func (r *Resolver) SetUserIsSiteAdmin(ctx context.Context, args struct {
	UserID    graphql.ID
	SiteAdmin bool
}) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.UserID, "User")
	if err != nil {
		return nil, err
	}
	if auth.FromContext(ctx).IsUser(id) && !args.SiteAdmin {
		return nil, errcode.New(errcode.BadInput, "you cannot revoke your own site admin status")
	}
	return empty(storeErr(r.Store.Users().SetSiteAdmin(ctx, id, args.SiteAdmin)))
}

func (r *Resolver) UpdatePassword(ctx context.Context, args struct {
	User        graphql.ID
	OldPassword *string
	NewPassword string
}) (*EmptyResponse, error) {
	id, err := unmarshalID(args.User, "User")
	if err != nil {
		return nil, err
	}
	if err := auth.CheckSameUserOrSiteAdmin(ctx, id); err != nil {
		return nil, err
	}
	a := auth.FromContext(ctx)
	if a.IsUser(id) {
		u, err := r.Store.Users().GetByID(ctx, id)
		if err != nil {
			return nil, storeErr(err)
		}
		// Users with a password must prove they know it; a stolen session alone must not
		// be enough to take over the account.
		if u.PasswordHash != "" && (args.OldPassword == nil || !auth.CheckPassword(u.PasswordHash, *args.OldPassword)) {
			return nil, errcode.New(errcode.Forbidden, "the old password is wrong")
		}
	}
	hash, err := auth.HashPassword(args.NewPassword)
	if err != nil {
		return nil, badInput(err)
	}
	return empty(storeErr(r.Store.Users().SetPasswordHash(ctx, id, hash)))
}

// EmptyResponse resolves EmptyResponse.
type EmptyResponse struct{}

// empty is what a mutation returning EmptyResponse! returns after an operation that
// yields only an error.
func empty(err error) (*EmptyResponse, error) {
	if err != nil {
		return nil, err
	}
	return &EmptyResponse{}, nil
}

func (*EmptyResponse) AlwaysNil() *string { return nil }
