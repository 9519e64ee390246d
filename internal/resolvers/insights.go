package resolvers

import (
	"context"
	"errors"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// InsightsDeps are what the code insights resolvers use.
type InsightsDeps struct {
	// DB is the insights database.
	DB *pgxpool.Pool
	// Source counts for live previews; nil makes previews unavailable.
	Source insights.Source
	// Now is the clock (tests); nil for time.Now.
	Now func() time.Time
}

// ID kinds of insights objects.
const (
	insightViewKind       = "InsightView"
	insightsDashboardKind = "InsightsDashboard"
	backfillItemKind      = "InsightBackfillQueueItem"
)

func (r *Resolver) insightsStore() *store.InsightsStore { return store.New(r.Insights.DB).Insights() }

func (r *Resolver) insightsNow() time.Time {
	if r.Insights.Now != nil {
		return r.Insights.Now()
	}
	return time.Now()
}

// insightsViewer is the actor as insights grants see it: a user and their
// organizations.
func (r *Resolver) insightsViewer(ctx context.Context) (store.InsightsViewer, error) {
	a := auth.FromContext(ctx)
	if !a.IsAuthenticated() {
		return store.InsightsViewer{}, auth.ErrNotAuthenticated
	}
	v := store.InsightsViewer{UserID: a.UID, OrgIDs: []int64{}}
	if a.UID == 0 {
		return v, nil
	}
	orgs, err := r.Store.Orgs().ListForUser(ctx, a.UID)
	if err != nil {
		return v, err
	}
	for _, o := range orgs {
		v.OrgIDs = append(v.OrgIDs, o.ID)
	}
	return v, nil
}

// insightsRequest is what the resolvers of one request share: the viewer and the
// repository sets of the filters read so far.
type insightsRequest struct {
	viewer store.InsightsViewer
	access *insights.AccessCache
}

func (r *Resolver) newInsightsRequest(ctx context.Context) (*insightsRequest, error) {
	v, err := r.insightsViewer(ctx)
	if err != nil {
		return nil, err
	}
	return &insightsRequest{viewer: v, access: insights.NewAccessCache(r.Store, auth.FromContext(ctx).Viewer())}, nil
}

func unmarshalIntID(id graphql.ID, kind string) (int, error) {
	n, err := unmarshalID(id, kind)
	return int(n), err
}

// InsightViewFiltersInput is the filters input.
type InsightViewFiltersInput struct {
	IncludeRepoRegex *string
	ExcludeRepoRegex *string
	SearchContexts   *[]string
}

func (f *InsightViewFiltersInput) filters() insights.Filters {
	var out insights.Filters
	if f == nil {
		return out
	}
	if f.IncludeRepoRegex != nil {
		out.IncludeRepoRegex = *f.IncludeRepoRegex
	}
	if f.ExcludeRepoRegex != nil {
		out.ExcludeRepoRegex = *f.ExcludeRepoRegex
	}
	if f.SearchContexts != nil {
		out.SearchContexts = *f.SearchContexts
	}
	return out
}

// SeriesDisplayOptionsInput is the display options input.
type SeriesDisplayOptionsInput struct {
	SortOptions *struct {
		Mode      string
		Direction string
	}
	Limit      *int32
	NumSamples *int32
}

func (o *SeriesDisplayOptionsInput) display() (insights.Display, error) {
	var d insights.Display
	if o == nil {
		return d, nil
	}
	if o.SortOptions != nil {
		d.SortMode, d.SortDirection = o.SortOptions.Mode, o.SortOptions.Direction
	}
	if o.Limit != nil {
		if *o.Limit < 1 {
			return d, errcode.New(errcode.BadInput, "limit must be at least 1")
		}
		n := int(*o.Limit)
		d.Limit = &n
	}
	if o.NumSamples != nil {
		if *o.NumSamples < 1 || *o.NumSamples > insights.MaxNumSamples {
			return d, errcode.New(errcode.BadInput, "numSamples must be between 1 and %d", insights.MaxNumSamples)
		}
		n := int(*o.NumSamples)
		d.NumSamples = &n
	}
	return d, nil
}

func viewFilters(v *store.InsightView) insights.Filters {
	return insights.Filters{IncludeRepoRegex: v.Filters.IncludeRepoRegex, ExcludeRepoRegex: v.Filters.ExcludeRepoRegex, SearchContexts: v.Filters.SearchContexts}
}

func viewDisplay(v *store.InsightView) insights.Display {
	return insights.Display{SortMode: v.SortMode, SortDirection: v.SortDirection, Limit: v.Limit, NumSamples: v.NumSamples}
}

// InsightViews lists the views the viewer may see.
func (r *Resolver) InsightViews(ctx context.Context, args struct {
	First                *int32
	After                *string
	ID                   *graphql.ID
	ExcludeIDs           *[]graphql.ID
	Find                 *string
	IsFrozen             *bool
	Filters              *InsightViewFiltersInput
	SeriesDisplayOptions *SeriesDisplayOptionsInput
}) (*InsightViewConnectionResolver, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	opts := store.ViewListOptions{IsFrozen: args.IsFrozen}
	if args.ID != nil {
		if opts.ID, err = unmarshalIntID(*args.ID, insightViewKind); err != nil {
			return nil, err
		}
	}
	if args.ExcludeIDs != nil {
		for _, id := range *args.ExcludeIDs {
			n, err := unmarshalIntID(id, insightViewKind)
			if err != nil {
				return nil, err
			}
			opts.ExcludeIDs = append(opts.ExcludeIDs, n)
		}
	}
	if args.Find != nil {
		opts.Find = *args.Find
	}
	var applied *appliedControls
	if args.Filters != nil || args.SeriesDisplayOptions != nil {
		applied = &appliedControls{}
		if args.Filters != nil {
			f := args.Filters.filters()
			// Checked here too, so that bad filters are an error even when no view is read.
			if err := insights.ValidateFilters(ctx, insights.StoreContexts(r.Store), f); err != nil {
				return nil, err
			}
			applied.filters = &f
		}
		if args.SeriesDisplayOptions != nil {
			d, err := args.SeriesDisplayOptions.display()
			if err != nil {
				return nil, err
			}
			applied.display = &d
		}
	}
	return r.viewConnection(ctx, req, opts, args.First, args.After, applied)
}

// appliedControls override a view's default filters and display options for a read.
type appliedControls struct {
	filters *insights.Filters
	display *insights.Display
}

func (r *Resolver) viewConnection(ctx context.Context, req *insightsRequest, opts store.ViewListOptions, first *int32, after *string, applied *appliedControls) (*InsightViewConnectionResolver, error) {
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
	opts.Limit = limit
	is := r.insightsStore()
	views, err := is.ListViews(ctx, req.viewer, opts)
	if err != nil {
		return nil, err
	}
	countOpts := opts
	countOpts.AfterID, countOpts.Limit = 0, 0
	conn := newConnection(views, store.Page{Limit: limit}, func(v *store.InsightView) int64 { return int64(v.ID) },
		func(v *store.InsightView) *InsightViewResolver { return r.newInsightView(req, v, applied) },
		func(ctx context.Context) (int, error) { return is.CountViews(ctx, req.viewer, countOpts) })
	// The series of every view on the page in one query.
	ids := make([]int, len(conn.nodes))
	for i, v := range conn.nodes {
		ids[i] = v.view.ID
	}
	if len(ids) > 0 {
		series, err := is.ViewSeries(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, v := range conn.nodes {
			v.series, v.seriesLoaded = series[v.view.ID], true
		}
	}
	return &InsightViewConnectionResolver{conn}, nil
}

// InsightViewConnectionResolver resolves InsightViewConnection.
type InsightViewConnectionResolver struct {
	c *connection[*InsightViewResolver]
}

func (c *InsightViewConnectionResolver) Nodes() []*InsightViewResolver { return c.c.Nodes() }
func (c *InsightViewConnectionResolver) PageInfo() *PageInfo           { return c.c.PageInfo() }
func (c *InsightViewConnectionResolver) TotalCount(ctx context.Context) (*int32, error) {
	n, err := c.c.TotalCount(ctx)
	return &n, err
}

func (r *Resolver) insightViewNode(ctx context.Context, id int64) (*InsightViewResolver, error) {
	if r.Insights == nil {
		return nil, nil
	}
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	v, err := r.insightsStore().GetView(ctx, req.viewer, int(id), false)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.newInsightView(req, v, nil), nil
}

// viewForRead loads a view the viewer may see.
func (r *Resolver) viewForRead(ctx context.Context, req *insightsRequest, id graphql.ID) (*store.InsightView, error) {
	n, err := unmarshalIntID(id, insightViewKind)
	if err != nil {
		return nil, err
	}
	v, err := r.insightsStore().GetView(ctx, req.viewer, n, false)
	if err != nil {
		return nil, storeErr(err)
	}
	return v, nil
}

// viewForWrite loads a view the viewer may change: seeing a view (a dashboard shared
// with everyone shows it to everyone) is not enough to change or delete it.
func (r *Resolver) viewForWrite(ctx context.Context, req *insightsRequest, id graphql.ID) (*store.InsightView, error) {
	v, err := r.viewForRead(ctx, req, id)
	if err != nil {
		return nil, err
	}
	if auth.FromContext(ctx).HasAllAccess() {
		return v, nil
	}
	ok, err := r.insightsStore().ViewWritable(ctx, req.viewer, v.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errcode.New(errcode.Forbidden, "you may see insight view %q but not change it (it is shared with you through a grant to everyone); save it as a new view to make it yours", v.Title)
	}
	return v, nil
}

// ValidateScopedInsightQuery checks a scope query.
func (r *Resolver) ValidateScopedInsightQuery(ctx context.Context, args struct{ Query string }) (*scopedQueryPayload, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	p := &scopedQueryPayload{query: args.Query, valid: true}
	if err := query.OnlyRepoFilters(args.Query); err != nil {
		p.valid = false
		msg := err.Error()
		p.reason = &msg
	}
	return p, nil
}

type scopedQueryPayload struct {
	query  string
	valid  bool
	reason *string
}

func (p *scopedQueryPayload) Query() string          { return p.query }
func (p *scopedQueryPayload) IsValid() bool          { return p.valid }
func (p *scopedQueryPayload) InvalidReason() *string { return p.reason }

// PreviewRepositoriesFromQuery counts the repositories a scope query selects for the
// viewer.
func (r *Resolver) PreviewRepositoriesFromQuery(ctx context.Context, args struct{ Query string }) (*repoPreviewPayload, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	if err := query.OnlyRepoFilters(args.Query); err != nil {
		return nil, errcode.New(errcode.BadInput, "invalid scope query: %v", err)
	}
	release, err := r.expensive(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	repos, err := insights.ResolveRepos(ctx, r.Store, auth.FromContext(ctx).Viewer(), insights.SeriesDef{Scope: insights.Scope{Criteria: args.Query}})
	if err != nil {
		return nil, err
	}
	n := int32(len(repos))
	return &repoPreviewPayload{query: args.Query, n: &n}, nil
}

type repoPreviewPayload struct {
	query string
	n     *int32
}

func (p *repoPreviewPayload) Query() string                { return p.query }
func (p *repoPreviewPayload) NumberOfRepositories() *int32 { return p.n }

// TimeScopeInput is a series' time scope.
type TimeScopeInput struct {
	StepInterval *struct {
		Unit  string
		Value int32
	}
}

// RepositoryScopeInput is a series' repository scope.
type RepositoryScopeInput struct {
	Repositories       []string
	RepositoryCriteria *string
}

func (s *RepositoryScopeInput) scope() insights.Scope {
	var out insights.Scope
	for _, r := range s.Repositories {
		if r = strings.TrimSpace(r); r != "" {
			out.Repositories = append(out.Repositories, r)
		}
	}
	if s.RepositoryCriteria != nil {
		out.Criteria = strings.TrimSpace(*s.RepositoryCriteria)
	}
	return out
}

// seriesDef builds a definition from a series' inputs, the view's scopes filling in.
func seriesDef(q string, scope, viewScope *RepositoryScopeInput, ts, viewTS *TimeScopeInput, captures *bool, groupBy *string) (insights.SeriesDef, error) {
	def := insights.SeriesDef{Query: q}
	if scope == nil {
		scope = viewScope
	}
	if scope == nil {
		return def, errcode.New(errcode.BadInput, "series %q has no repository scope (give one for the series or the insight)", q)
	}
	if ts == nil || ts.StepInterval == nil {
		ts = viewTS
	}
	if ts == nil || ts.StepInterval == nil {
		return def, errcode.New(errcode.BadInput, "series %q has no time scope (give one for the series or the insight)", q)
	}
	if scope.RepositoryCriteria != nil && strings.TrimSpace(*scope.RepositoryCriteria) != "" && len(scope.Repositories) > 0 {
		return def, errcode.New(errcode.BadInput, "a repository scope is either a list of repositories or a criteria query, not both")
	}
	def.Scope = scope.scope()
	def.Interval = insights.Interval{Unit: ts.StepInterval.Unit, Value: int(ts.StepInterval.Value)}
	if captures != nil {
		def.Captures = *captures
	}
	if groupBy != nil {
		def.GroupBy = *groupBy
	}
	return def, def.Validate()
}

// livePreview runs a preview for the viewer.
func (r *Resolver) livePreview(ctx context.Context, series []insights.PreviewSeries) ([]*livePreviewSeries, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	if r.Insights.Source == nil {
		return nil, errcode.New(errcode.Internal, "live previews are not available on this server")
	}
	release, err := r.expensive(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := insights.Preview(ctx, r.Store, r.Insights.Source, auth.FromContext(ctx).Viewer(), series, r.insightsNow(), insights.CountOptions{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	out := make([]*livePreviewSeries, len(res))
	for i, p := range res {
		out[i] = &livePreviewSeries{res: p}
	}
	return out, nil
}

// SearchInsightPreview computes a few points of series without storing them.
func (r *Resolver) SearchInsightPreview(ctx context.Context, args struct {
	Input struct {
		RepositoryScope RepositoryScopeInput
		TimeScope       TimeScopeInput
		Series          []struct {
			Query                      string
			Label                      string
			GeneratedFromCaptureGroups bool
			GroupBy                    *string
		}
	}
}) ([]*livePreviewSeries, error) {
	var series []insights.PreviewSeries
	for _, s := range args.Input.Series {
		def, err := seriesDef(s.Query, &args.Input.RepositoryScope, nil, &args.Input.TimeScope, nil, &s.GeneratedFromCaptureGroups, s.GroupBy)
		if err != nil {
			return nil, errcode.New(insights.CodeInvalidArgs, "%s", err.Error())
		}
		series = append(series, insights.PreviewSeries{Def: def, Label: s.Label})
	}
	if len(series) == 0 {
		return nil, errcode.New(insights.CodeInvalidArgs, "a preview needs at least one series")
	}
	return r.livePreview(ctx, series)
}

// SearchInsightLivePreview computes a few points of one series without storing it.
func (r *Resolver) SearchInsightLivePreview(ctx context.Context, args struct {
	Input struct {
		Query                      string
		Label                      string
		RepositoryScope            RepositoryScopeInput
		TimeScope                  TimeScopeInput
		GeneratedFromCaptureGroups bool
		GroupBy                    *string
	}
}) ([]*livePreviewSeries, error) {
	in := args.Input
	def, err := seriesDef(in.Query, &in.RepositoryScope, nil, &in.TimeScope, nil, &in.GeneratedFromCaptureGroups, in.GroupBy)
	if err != nil {
		return nil, errcode.New(insights.CodeInvalidArgs, "%s", err.Error())
	}
	return r.livePreview(ctx, []insights.PreviewSeries{{Def: def, Label: in.Label}})
}

type livePreviewSeries struct{ res insights.PreviewResult }

func (s *livePreviewSeries) Label() string { return s.res.Label }
func (s *livePreviewSeries) Points() []*InsightDataPointResolver {
	out := make([]*InsightDataPointResolver, len(s.res.Points))
	for i, p := range s.res.Points {
		out[i] = &InsightDataPointResolver{point: p}
	}
	return out
}

func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return d.Round(time.Second).String()
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
