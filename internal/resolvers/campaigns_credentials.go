package resolvers

import (
	"context"
	"errors"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// CampaignsCredentialResolver resolves CampaignsCredential; the secret is never shown.
type CampaignsCredentialResolver struct {
	r *Resolver
	c *store.CampaignsCredential
}

func (c *CampaignsCredentialResolver) ID() graphql.ID {
	return marshalID(campaignsCredentialKind, c.c.ID)
}
func (c *CampaignsCredentialResolver) ExternalServiceKind() string { return c.c.ExternalServiceKind }
func (c *CampaignsCredentialResolver) ExternalServiceURL() string  { return c.c.ExternalServiceURL }
func (c *CampaignsCredentialResolver) IsSiteCredential() bool      { return c.c.UserID == 0 }
func (c *CampaignsCredentialResolver) Username() *string           { return nonEmpty(c.c.Username) }
func (c *CampaignsCredentialResolver) CreatedAt() DateTime         { return newDateTime(c.c.CreatedAt) }

func (c *CampaignsCredentialResolver) User(ctx context.Context) (*UserResolver, error) {
	if c.c.UserID == 0 {
		return nil, nil
	}
	u, err := c.r.Store.Users().GetByID(ctx, c.c.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.r.newUser(u), nil
}

// checkCanAccessCredential: a user's credential is theirs and site admins'; site-wide
// ones are site admins'.
func checkCanAccessCredential(ctx context.Context, c *store.CampaignsCredential) error {
	if c.UserID == 0 {
		return auth.CheckSiteAdmin(ctx)
	}
	return auth.CheckSameUserOrSiteAdmin(ctx, c.UserID)
}

func (r *Resolver) credentialResolvers(list []*store.CampaignsCredential) []*CampaignsCredentialResolver {
	out := make([]*CampaignsCredentialResolver, len(list))
	for i, c := range list {
		out[i] = &CampaignsCredentialResolver{r: r, c: c}
	}
	return out
}

func (r *Resolver) SiteCampaignsCredentials(ctx context.Context) ([]*CampaignsCredentialResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	list, err := r.Store.Campaigns().ListCredentials(ctx, 0)
	if err != nil {
		return nil, err
	}
	return r.credentialResolvers(list), nil
}

func (u *UserResolver) CampaignsCredentials(ctx context.Context) ([]*CampaignsCredentialResolver, error) {
	if err := auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID); err != nil {
		return nil, err
	}
	list, err := u.r.Store.Campaigns().ListCredentials(ctx, u.user.ID)
	if err != nil {
		return nil, err
	}
	return u.r.credentialResolvers(list), nil
}

func (r *Resolver) CreateCampaignsCredential(ctx context.Context, args struct {
	User                *graphql.ID
	ExternalServiceKind string
	ExternalServiceURL  string
	Username            *string
	Credential          string
}) (*CampaignsCredentialResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	if !r.Store.EncryptsSecrets() {
		// Credentials can push to every repository their owner can: never keep them in
		// plain text.
		return nil, errcode.New(errcode.FailedPrecondition, "storing code host credentials needs ENCRYPTION_KEY to be set (on the frontend and the workers)")
	}
	c := store.CampaignsCredential{ExternalServiceKind: args.ExternalServiceKind, Secret: args.Credential}
	if args.User != nil {
		uid, err := unmarshalID(*args.User, "User")
		if err != nil {
			return nil, err
		}
		if err := auth.CheckSameUserOrSiteAdmin(ctx, uid); err != nil {
			return nil, err
		}
		if _, err := r.Store.Users().GetByID(ctx, uid); err != nil {
			return nil, storeErr(err)
		}
		c.UserID = uid
	} else if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	kind, err := codehost.ParseKind(args.ExternalServiceKind)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err)
	}
	c.ExternalServiceKind = string(kind)
	if strings.TrimSpace(args.Credential) == "" {
		return nil, errcode.New(errcode.BadInput, "credential must not be empty")
	}
	url := campaigns.NormalizeHostURL(args.ExternalServiceURL)
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, errcode.New(errcode.BadInput, "externalServiceURL must be the code host's http(s) URL, such as https://github.com")
	}
	c.ExternalServiceURL = url
	if args.Username != nil {
		c.Username = strings.TrimSpace(*args.Username)
	}
	stored, err := r.Store.Campaigns().PutCredential(ctx, c)
	if err != nil {
		return nil, err
	}
	return &CampaignsCredentialResolver{r: r, c: stored}, nil
}

func (r *Resolver) DeleteCampaignsCredential(ctx context.Context, args struct{ CampaignsCredential graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.CampaignsCredential, campaignsCredentialKind)
	if err != nil {
		return nil, err
	}
	c, err := r.Store.Campaigns().GetCredential(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	if err := checkCanAccessCredential(ctx, c); err != nil {
		return nil, storeErr(store.ErrNotFound)
	}
	if err := r.Store.Campaigns().DeleteCredential(ctx, id); err != nil {
		return nil, storeErr(err)
	}
	return &EmptyResponse{}, nil
}

func (r *Resolver) credentialNode(ctx context.Context, id int64) (*CampaignsCredentialResolver, error) {
	c, err := r.Store.Campaigns().GetCredential(ctx, id)
	if err != nil {
		return nil, err
	}
	if checkCanAccessCredential(ctx, c) != nil {
		return nil, store.ErrNotFound
	}
	return &CampaignsCredentialResolver{r: r, c: c}, nil
}
