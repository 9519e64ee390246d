// Package resolvers implements Lookout's GraphQL API on graph-gophers/graphql-go. One file
// per area; every method of the root Resolver is a Query or Mutation field. Resolvers check
// permissions and validate input, then call the store or the area's service; they never
// build SQL.
package resolvers

import (
	"context"
	"fmt"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/throttle"
	"github.com/lookout/lookout/schema"
)

// Deps are what the resolvers use.
type Deps struct {
	Store  *store.Store
	Logger log.Logger
	// ExternalURL is the URL users reach Lookout at (links in API results).
	ExternalURL string
	// Repos reads repositories' git data through this process's mirror cache.
	Repos *repos.Service
	// Notifier sends the code monitor test actions and checks action URLs; nil uses one
	// without SMTP and without WEBHOOK_ALLOWED_HOSTS exceptions.
	Notifier *notify.Notifier
	// Insights serves code insights; nil when they are disabled, and then the insights
	// part of the schema is not served.
	Insights *InsightsDeps
	// Search runs the search query; nil answers search with an error.
	Search *search.Service
	// CampaignService is the campaigns service; nil builds one on Store, with Search (or
	// a search service over Repos) selecting the repositories of specs.
	CampaignService *campaigns.Service
	// Expensive bounds the searches, previews and campaign repository queries each
	// user runs at once; nil uses throttle's defaults.
	Expensive *throttle.Gate
}

// Resolver is the root resolver.
type Resolver struct {
	Deps
}

// New returns the root resolver.
func New(deps Deps) *Resolver {
	if deps.Logger == nil {
		deps.Logger = log.NoOp()
	}
	deps.ExternalURL = strings.TrimRight(deps.ExternalURL, "/")
	if deps.Notifier == nil {
		deps.Notifier = defaultNotifier()
	}
	if deps.Expensive == nil {
		deps.Expensive = throttle.NewGate(throttle.DefaultPerUser, throttle.DefaultWait)
	}
	if deps.CampaignService == nil {
		svc := &campaigns.Service{Store: deps.Store, ExternalURL: deps.ExternalURL, Logger: deps.Logger.Scoped("campaigns")}
		switch {
		case deps.Search != nil:
			svc.Search = deps.Search
		case deps.Repos != nil:
			svc.Search = search.NewService(deps.Store, deps.Repos, nil, deps.Logger.Scoped("search"), search.Options{})
		}
		deps.CampaignService = svc
	}
	return &Resolver{Deps: deps}
}

// expensive takes one of the viewer's slots for expensive work (a search, a preview, a
// campaign's repository query) and returns the function that gives it back. A user
// whose slots are taken waits briefly, then gets RATE_LIMITED: one user's burst queues
// behind their own work and leaves the rest of the process to others.
func (r *Resolver) expensive(ctx context.Context) (func(), error) {
	return r.Expensive.Acquire(ctx, auth.FromContext(ctx).UID)
}

// Limits bound what one request may ask for.
type Limits struct {
	MaxDepth int
}

// DefaultLimits are the limits used unless configured otherwise.
var DefaultLimits = Limits{MaxDepth: 16}

// NewSchema parses the SDL against r.
func NewSchema(r *Resolver, limits Limits) (*graphql.Schema, error) {
	var opts []schema.Option
	if r.Insights != nil {
		opts = append(opts, schema.Insights)
	}
	return graphql.ParseSchema(schema.SDL(opts...), r,
		graphql.UseStringDescriptions(),
		graphql.MaxDepth(limits.MaxDepth),
		graphql.MaxParallelism(10),
		graphql.PanicHandler(panicHandler{r.Logger}),
	)
}

// panicHandler turns a resolver panic into an internal error for that field and logs it,
// so one bad resolver never takes the process down.
type panicHandler struct{ logger log.Logger }

func (h panicHandler) MakePanicError(ctx context.Context, value any) *gqlerrors.QueryError {
	h.logger.Error("panic in GraphQL resolver", log.String("panic", fmt.Sprint(value)))
	return &gqlerrors.QueryError{Message: "internal server error", Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}
}

// url joins a path to the external URL.
func (r *Resolver) url(path string) string { return r.ExternalURL + path }
