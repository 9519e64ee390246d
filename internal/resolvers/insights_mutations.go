package resolvers

import (
	"context"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
)

// MaxSeriesPerView bounds the series of one view.
const MaxSeriesPerView = 50

// LineChartSearchInsightDataSeriesInput is a series of a line chart.
type LineChartSearchInsightDataSeriesInput struct {
	SeriesID *string
	Query    string
	Options  struct {
		Label     *string
		LineColor *string
	}
	RepositoryScope            *RepositoryScopeInput
	TimeScope                  *TimeScopeInput
	GeneratedFromCaptureGroups *bool
	GroupBy                    *string
}

// InsightViewControlsInput are a view's default filters and display options.
type InsightViewControlsInput struct {
	Filters              InsightViewFiltersInput
	SeriesDisplayOptions SeriesDisplayOptionsInput
}

// apply sets a view's defaults from controls.
func (c *InsightViewControlsInput) apply(ctx context.Context, st *store.Store, v *store.InsightView) error {
	if c == nil {
		return nil
	}
	f := c.Filters.filters()
	if err := insights.ValidateFilters(ctx, insights.StoreContexts(st), f); err != nil {
		return err
	}
	v.Filters = store.InsightViewFilters{IncludeRepoRegex: f.IncludeRepoRegex, ExcludeRepoRegex: f.ExcludeRepoRegex, SearchContexts: f.SearchContexts}
	d, err := c.SeriesDisplayOptions.display()
	if err != nil {
		return err
	}
	v.SortMode, v.SortDirection, v.Limit, v.NumSamples = d.SortMode, d.SortDirection, d.Limit, d.NumSamples
	return nil
}

// plannedSeries is a series of a view being saved: a stored series to link, or a new
// one to create.
type plannedSeries struct {
	existing *store.InsightSeries
	def      insights.SeriesDef
	label    string
	stroke   string
}

// planSeries decides, for each input, whether it keeps an existing series (same id and
// same data), shares a series over all repositories with the same definition, or needs
// a new series.
func (r *Resolver) planSeries(ctx context.Context, inputs []LineChartSearchInsightDataSeriesInput, viewScope *RepositoryScopeInput, viewTS *TimeScopeInput) ([]plannedSeries, error) {
	if len(inputs) == 0 {
		return nil, errcode.New(errcode.BadInput, "an insight needs at least one series")
	}
	if len(inputs) > MaxSeriesPerView {
		return nil, errcode.New(errcode.BadInput, "an insight has at most %d series", MaxSeriesPerView)
	}
	is := r.insightsStore()
	var out []plannedSeries
	for _, in := range inputs {
		def, err := seriesDef(in.Query, in.RepositoryScope, viewScope, in.TimeScope, viewTS, in.GeneratedFromCaptureGroups, in.GroupBy)
		if err != nil {
			return nil, err
		}
		p := plannedSeries{def: def, label: in.Query}
		if in.Options.Label != nil && *in.Options.Label != "" {
			p.label = *in.Options.Label
		}
		if in.Options.LineColor != nil {
			p.stroke = *in.Options.LineColor
		}
		if in.SeriesID != nil && *in.SeriesID != "" {
			s, err := is.GetSeriesBySeriesID(ctx, *in.SeriesID)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			if s != nil && s.DeletedAt == nil && insights.DefOf(s).SameData(def) {
				p.existing = s
			}
		}
		if p.existing == nil && def.Shareable() {
			s, err := is.FindSharedSeries(ctx, def.Query, def.Interval.Unit, def.Interval.Value, def.Captures, def.GroupBy)
			if err != nil {
				return nil, err
			}
			p.existing = s
		}
		out = append(out, p)
	}
	return out, nil
}

// saveSeries creates the planned series that are new, each with its backfill (or, for
// snapshot-only series, nothing: its snapshot is queued after the commit), and returns
// the view's links and the new snapshot-only series.
func (r *Resolver) saveSeries(ctx context.Context, tx *store.InsightsStore, planned []plannedSeries) ([]store.ViewSeriesLink, []*store.InsightSeries, error) {
	var links []store.ViewSeriesLink
	var snapshots []*store.InsightSeries
	seen := map[int]bool{}
	for _, p := range planned {
		s := p.existing
		if s == nil {
			s = insights.NewSeries(p.def, r.insightsNow())
			if err := tx.CreateSeries(ctx, s); err != nil {
				return nil, nil, err
			}
			if p.def.SnapshotOnly() {
				snapshots = append(snapshots, s)
			} else if _, err := tx.CreateBackfill(ctx, s.ID); err != nil {
				return nil, nil, err
			}
		}
		if seen[s.ID] {
			continue // the same series twice in one view shows once
		}
		seen[s.ID] = true
		links = append(links, store.ViewSeriesLink{SeriesID: s.ID, Label: p.label, Stroke: p.stroke})
	}
	return links, snapshots, nil
}

// queueSnapshots queues the first snapshot of new snapshot-only series. The view is
// saved by then, so a failure is not the mutation's: a series whose snapshot could not
// be queued stays due (next_snapshot_after is its creation) and the enqueuer queues it
// on its next run.
func (r *Resolver) queueSnapshots(ctx context.Context, series []*store.InsightSeries) {
	for _, s := range series {
		if err := insights.EnqueueSnapshot(ctx, r.Store, r.insightsStore(), s, r.insightsNow()); err != nil {
			r.Logger.Warn("queueing the first snapshot of an insight series failed; the enqueuer queues it on its next run", log.String("series", s.SeriesID), log.Error(err))
		}
	}
}

// dashboardsForWrite resolves dashboard IDs the viewer may put a view on.
func (r *Resolver) dashboardsForWrite(ctx context.Context, req *insightsRequest, ids []graphql.ID) ([]int, error) {
	var out []int
	for _, id := range ids {
		n, err := r.dashboardForWrite(ctx, req, id)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (r *Resolver) viewPayload(ctx context.Context, req *insightsRequest, id int) (*insightViewPayload, error) {
	v, err := r.insightsStore().GetView(ctx, req.viewer, id, false)
	if err != nil {
		return nil, storeErr(err)
	}
	return &insightViewPayload{r.newInsightView(req, v, nil)}, nil
}

type insightViewPayload struct{ view *InsightViewResolver }

func (p *insightViewPayload) View() *InsightViewResolver { return p.view }

func userGrant(uid int64) []store.InsightGrant {
	return []store.InsightGrant{{UserID: &uid}}
}

// CreateLineChartSearchInsight creates a line chart view and its series.
func (r *Resolver) CreateLineChartSearchInsight(ctx context.Context, args struct {
	Input struct {
		DataSeries      []LineChartSearchInsightDataSeriesInput
		RepositoryScope *RepositoryScopeInput
		TimeScope       *TimeScopeInput
		Options         struct{ Title *string }
		Dashboards      *[]graphql.ID
		ViewControls    *InsightViewControlsInput
	}
}) (*insightViewPayload, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	uid := auth.FromContext(ctx).UID
	if uid == 0 {
		return nil, errcode.New(errcode.Forbidden, "insights belong to users: sign in as a user")
	}
	in := args.Input
	planned, err := r.planSeries(ctx, in.DataSeries, in.RepositoryScope, in.TimeScope)
	if err != nil {
		return nil, err
	}
	var dashboards []int
	if in.Dashboards != nil {
		if dashboards, err = r.dashboardsForWrite(ctx, req, *in.Dashboards); err != nil {
			return nil, err
		}
	}
	v := &store.InsightView{UniqueID: insights.NewUniqueID(), PresentationType: "LINE", CreatedByUserID: &uid}
	if in.Options.Title != nil {
		v.Title = *in.Options.Title
	}
	if err := in.ViewControls.apply(ctx, r.Store, v); err != nil {
		return nil, err
	}
	var snapshots []*store.InsightSeries
	err = r.insightsStore().Transact(ctx, func(tx *store.InsightsStore) error {
		links, snaps, err := r.saveSeries(ctx, tx, planned)
		if err != nil {
			return err
		}
		snapshots = snaps
		return tx.CreateView(ctx, v, links, userGrant(uid), dashboards)
	})
	if err != nil {
		return nil, err
	}
	r.queueSnapshots(ctx, snapshots)
	return r.viewPayload(ctx, req, v.ID)
}

// chartForUpdate loads a view the viewer may change for an update of its chart: not
// frozen, and of the presentation type (LINE, PIE) the mutation updates.
func (r *Resolver) chartForUpdate(ctx context.Context, id graphql.ID, presentation, chart string) (*insightsRequest, *store.InsightView, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, nil, err
	}
	v, err := r.viewForWrite(ctx, req, id)
	if err != nil {
		return nil, nil, err
	}
	if v.IsFrozen {
		return nil, nil, errcode.New(errcode.Forbidden, "insight view %q is frozen and cannot be changed", v.Title)
	}
	if v.PresentationType != presentation {
		return nil, nil, errcode.New(errcode.BadInput, "insight view %q is not a %s", v.Title, chart)
	}
	return req, v, nil
}

// UpdateLineChartSearchInsight replaces a line chart's series, presentation and
// defaults.
func (r *Resolver) UpdateLineChartSearchInsight(ctx context.Context, args struct {
	ID    graphql.ID
	Input struct {
		DataSeries          []LineChartSearchInsightDataSeriesInput
		RepositoryScope     *RepositoryScopeInput
		TimeScope           *TimeScopeInput
		PresentationOptions struct{ Title *string }
		ViewControls        InsightViewControlsInput
	}
}) (*insightViewPayload, error) {
	req, v, err := r.chartForUpdate(ctx, args.ID, "LINE", "line chart")
	if err != nil {
		return nil, err
	}
	in := args.Input
	planned, err := r.planSeries(ctx, in.DataSeries, in.RepositoryScope, in.TimeScope)
	if err != nil {
		return nil, err
	}
	if in.PresentationOptions.Title != nil {
		v.Title = *in.PresentationOptions.Title
	}
	if err := in.ViewControls.apply(ctx, r.Store, v); err != nil {
		return nil, err
	}
	var snapshots []*store.InsightSeries
	err = r.insightsStore().Transact(ctx, func(tx *store.InsightsStore) error {
		links, snaps, err := r.saveSeries(ctx, tx, planned)
		if err != nil {
			return err
		}
		snapshots = snaps
		return tx.UpdateView(ctx, v, links)
	})
	if err != nil {
		return nil, storeErr(err)
	}
	r.queueSnapshots(ctx, snapshots)
	return r.viewPayload(ctx, req, v.ID)
}

// PieChartSearchInsightInput is a pie chart of languages.
type PieChartSearchInsightInput struct {
	Query               string
	RepositoryScope     RepositoryScopeInput
	PresentationOptions struct {
		Title          string
		OtherThreshold float64
	}
}

func pieDef(in PieChartSearchInsightInput) (insights.SeriesDef, error) {
	if in.PresentationOptions.OtherThreshold < 0 || in.PresentationOptions.OtherThreshold > 1 {
		return insights.SeriesDef{}, errcode.New(errcode.BadInput, "otherThreshold is a fraction between 0 and 1")
	}
	scope := in.RepositoryScope.scope()
	q := strings.TrimSpace(in.Query)
	// The reference's pie charts name their repository in the query.
	if len(scope.Repositories) == 0 && scope.Criteria == "" && q != "" && !strings.ContainsAny(q, " :") {
		scope.Repositories = []string{q}
	}
	def := insights.SeriesDef{Query: q, Scope: scope, Interval: insights.Interval{Unit: insights.Day, Value: 1}, Languages: true}
	return def, def.Validate()
}

// CreatePieChartSearchInsight creates a language pie chart.
func (r *Resolver) CreatePieChartSearchInsight(ctx context.Context, args struct {
	Input struct {
		Query               string
		RepositoryScope     RepositoryScopeInput
		PresentationOptions struct {
			Title          string
			OtherThreshold float64
		}
		Dashboards *[]graphql.ID
	}
}) (*insightViewPayload, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	uid := auth.FromContext(ctx).UID
	if uid == 0 {
		return nil, errcode.New(errcode.Forbidden, "insights belong to users: sign in as a user")
	}
	def, err := pieDef(PieChartSearchInsightInput{Query: args.Input.Query, RepositoryScope: args.Input.RepositoryScope, PresentationOptions: args.Input.PresentationOptions})
	if err != nil {
		return nil, err
	}
	var dashboards []int
	if args.Input.Dashboards != nil {
		if dashboards, err = r.dashboardsForWrite(ctx, req, *args.Input.Dashboards); err != nil {
			return nil, err
		}
	}
	threshold := args.Input.PresentationOptions.OtherThreshold
	v := &store.InsightView{UniqueID: insights.NewUniqueID(), Title: args.Input.PresentationOptions.Title, PresentationType: "PIE", OtherThreshold: &threshold, CreatedByUserID: &uid}
	var snapshots []*store.InsightSeries
	err = r.insightsStore().Transact(ctx, func(tx *store.InsightsStore) error {
		links, snaps, err := r.saveSeries(ctx, tx, []plannedSeries{{def: def, label: def.Query}})
		if err != nil {
			return err
		}
		snapshots = snaps
		return tx.CreateView(ctx, v, links, userGrant(uid), dashboards)
	})
	if err != nil {
		return nil, err
	}
	r.queueSnapshots(ctx, snapshots)
	return r.viewPayload(ctx, req, v.ID)
}

// UpdatePieChartSearchInsight changes a pie chart; a new query or scope makes a new
// series.
func (r *Resolver) UpdatePieChartSearchInsight(ctx context.Context, args struct {
	ID    graphql.ID
	Input PieChartSearchInsightInput
}) (*insightViewPayload, error) {
	req, v, err := r.chartForUpdate(ctx, args.ID, "PIE", "pie chart")
	if err != nil {
		return nil, err
	}
	def, err := pieDef(args.Input)
	if err != nil {
		return nil, err
	}
	series, err := r.insightsStore().ViewSeries(ctx, []int{v.ID})
	if err != nil {
		return nil, err
	}
	p := plannedSeries{def: def, label: def.Query}
	for _, s := range series[v.ID] {
		if insights.DefOf(s.Series).SameData(def) {
			p.existing = s.Series
		}
	}
	threshold := args.Input.PresentationOptions.OtherThreshold
	v.Title, v.OtherThreshold = args.Input.PresentationOptions.Title, &threshold
	var snapshots []*store.InsightSeries
	err = r.insightsStore().Transact(ctx, func(tx *store.InsightsStore) error {
		links, snaps, err := r.saveSeries(ctx, tx, []plannedSeries{p})
		if err != nil {
			return err
		}
		snapshots = snaps
		return tx.UpdateView(ctx, v, links)
	})
	if err != nil {
		return nil, storeErr(err)
	}
	r.queueSnapshots(ctx, snapshots)
	return r.viewPayload(ctx, req, v.ID)
}

// DeleteInsightView deletes a view the viewer may see.
func (r *Resolver) DeleteInsightView(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	v, err := r.viewForWrite(ctx, req, args.ID)
	if err != nil {
		return nil, err
	}
	return empty(storeErr(r.insightsStore().DeleteView(ctx, v.ID)))
}

// SaveInsightAsNewView creates a view of the same series as another.
func (r *Resolver) SaveInsightAsNewView(ctx context.Context, args struct {
	Input struct {
		InsightViewID graphql.ID
		Options       struct{ Title *string }
		Dashboard     *graphql.ID
		ViewControls  *InsightViewControlsInput
	}
}) (*insightViewPayload, error) {
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	uid := auth.FromContext(ctx).UID
	if uid == 0 {
		return nil, errcode.New(errcode.Forbidden, "insights belong to users: sign in as a user")
	}
	src, err := r.viewForRead(ctx, req, args.Input.InsightViewID)
	if err != nil {
		return nil, err
	}
	series, err := r.insightsStore().ViewSeries(ctx, []int{src.ID})
	if err != nil {
		return nil, err
	}
	var dashboards []int
	if args.Input.Dashboard != nil {
		if dashboards, err = r.dashboardsForWrite(ctx, req, []graphql.ID{*args.Input.Dashboard}); err != nil {
			return nil, err
		}
	}
	v := *src
	v.ID, v.UniqueID, v.IsFrozen, v.CreatedByUserID = 0, insights.NewUniqueID(), false, &uid
	if args.Input.Options.Title != nil {
		v.Title = *args.Input.Options.Title
	}
	if err := args.Input.ViewControls.apply(ctx, r.Store, &v); err != nil {
		return nil, err
	}
	var links []store.ViewSeriesLink
	for _, s := range series[src.ID] {
		links = append(links, store.ViewSeriesLink{SeriesID: s.Series.ID, Label: s.Label, Stroke: s.Stroke})
	}
	if err := r.insightsStore().CreateView(ctx, &v, links, userGrant(uid), dashboards); err != nil {
		return nil, err
	}
	return r.viewPayload(ctx, req, v.ID)
}

// SetInsightViewFrozen freezes or unfreezes a view (site admins).
func (r *Resolver) SetInsightViewFrozen(ctx context.Context, args struct {
	ID     graphql.ID
	Frozen bool
}) (*insightViewPayload, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	req, err := r.newInsightsRequest(ctx)
	if err != nil {
		return nil, err
	}
	id, err := unmarshalIntID(args.ID, insightViewKind)
	if err != nil {
		return nil, err
	}
	if err := r.insightsStore().SetViewFrozen(ctx, id, args.Frozen); err != nil {
		return nil, storeErr(err)
	}
	v, err := r.insightsStore().GetView(ctx, req.viewer, id, true)
	if err != nil {
		return nil, storeErr(err)
	}
	return &insightViewPayload{r.newInsightView(req, v, nil)}, nil
}
