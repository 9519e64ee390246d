package resolvers

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// AccessTokenResolver resolves AccessToken.
type AccessTokenResolver struct {
	r   *Resolver
	tok *store.AccessToken
}

func (r *Resolver) newAccessToken(t *store.AccessToken) *AccessTokenResolver {
	return &AccessTokenResolver{r: r, tok: t}
}

func (t *AccessTokenResolver) ID() graphql.ID        { return marshalID("AccessToken", t.tok.ID) }
func (t *AccessTokenResolver) Note() string          { return t.tok.Note }
func (t *AccessTokenResolver) Scopes() []string      { return t.tok.Scopes }
func (t *AccessTokenResolver) CreatedAt() DateTime   { return newDateTime(t.tok.CreatedAt) }
func (t *AccessTokenResolver) LastUsedAt() *DateTime { return newDateTimePtr(t.tok.LastUsedAt) }
func (t *AccessTokenResolver) Subject(ctx context.Context) (*UserResolver, error) {
	return t.r.userByID(ctx, t.tok.UserID)
}
func (t *AccessTokenResolver) Creator(ctx context.Context) (*UserResolver, error) {
	return t.r.userByID(ctx, t.tok.CreatorUserID)
}

type CreateAccessTokenResult struct {
	id    graphql.ID
	token string
}

func (c *CreateAccessTokenResult) ID() graphql.ID { return c.id }
func (c *CreateAccessTokenResult) Token() string  { return c.token }

func (r *Resolver) CreateAccessToken(ctx context.Context, args struct {
	User   graphql.ID
	Scopes []string
	Note   string
}) (*CreateAccessTokenResult, error) {
	uid, err := unmarshalID(args.User, "User")
	if err != nil {
		return nil, err
	}
	if err := auth.CheckSameUserOrSiteAdmin(ctx, uid); err != nil {
		return nil, err
	}
	subject, err := r.Store.Users().GetByID(ctx, uid)
	if err != nil {
		return nil, storeErr(err)
	}
	scopes, err := auth.ValidateScopes(args.Scopes, subject.SiteAdmin)
	if err != nil {
		return nil, badInput(err)
	}
	if len(args.Note) > 1000 {
		return nil, errcode.New(errcode.BadInput, "note must be at most 1000 characters")
	}
	value := auth.NewToken()
	creator := auth.FromContext(ctx).UID
	if creator == 0 {
		creator = uid
	}
	tok, err := r.Store.AccessTokens().Create(ctx, uid, creator, value, args.Note, scopes)
	if err != nil {
		return nil, err
	}
	return &CreateAccessTokenResult{id: marshalID("AccessToken", tok.ID), token: value}, nil
}

func (r *Resolver) DeleteAccessToken(ctx context.Context, args struct {
	ByID    *graphql.ID
	ByToken *string
}) (*EmptyResponse, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	var tok *store.AccessToken
	var err error
	switch {
	case args.ByID != nil && args.ByToken != nil:
		return nil, errcode.New(errcode.BadInput, "pass either byID or byToken, not both")
	case args.ByID != nil:
		var id int64
		if id, err = unmarshalID(*args.ByID, "AccessToken"); err != nil {
			return nil, err
		}
		tok, err = r.Store.AccessTokens().GetByID(ctx, id)
	case args.ByToken != nil:
		tok, err = r.Store.AccessTokens().Lookup(ctx, *args.ByToken)
	default:
		return nil, errcode.New(errcode.BadInput, "pass byID or byToken")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if err := auth.CheckSameUserOrSiteAdmin(ctx, tok.UserID); err != nil {
		// Do not reveal that someone else's token exists.
		return nil, errcode.New(errcode.NotFound, "access token not found")
	}
	return empty(storeErr(r.Store.AccessTokens().Delete(ctx, tok.ID)))
}
