package resolvers

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/version"
)

// siteKind is the kind of the site's ID; the site is one object, with id 1.
const siteKind = "Site"

// SiteResolver resolves Site.
type SiteResolver struct{ r *Resolver }

func (r *Resolver) Site(ctx context.Context) (*SiteResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	return &SiteResolver{r}, nil
}

func (s *SiteResolver) ID() graphql.ID         { return marshalID(siteKind, 1) }
func (s *SiteResolver) BuildVersion() string   { return version.Version() }
func (s *SiteResolver) ProductVersion() string { return version.Version() }
func (s *SiteResolver) ExternalURL() string    { return s.r.ExternalURL }
func (s *SiteResolver) ViewerCanAdminister(ctx context.Context) bool {
	return auth.CheckSiteAdmin(ctx) == nil
}

// licenseFeatures are the product features Lookout has, under the names of Sourcegraph's
// license features, which its clients check before showing a product's pages.
func (r *Resolver) licenseFeatures() map[string]bool {
	return map[string]bool{
		"code-insights":   r.Insights != nil,
		"batch-changes":   true,
		"campaigns":       true,
		"code-monitoring": true,
	}
}

func (r *Resolver) EnterpriseLicenseHasFeature(ctx context.Context, args struct{ Feature string }) (bool, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return false, err
	}
	return r.licenseFeatures()[args.Feature], nil
}
