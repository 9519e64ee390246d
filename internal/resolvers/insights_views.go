package resolvers

import (
	"context"
	"sort"
	"sync"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
)

// InsightViewResolver resolves InsightView.
type InsightViewResolver struct {
	r       *Resolver
	req     *insightsRequest
	view    *store.InsightView
	applied *appliedControls

	seriesMu     sync.Mutex
	series       []*store.ViewSeries
	seriesLoaded bool

	dataOnce sync.Once
	data     *insights.ViewData
	dataErr  error

	statusMu sync.Mutex
	statuses map[int]*seriesStatus
}

func (r *Resolver) newInsightView(req *insightsRequest, v *store.InsightView, applied *appliedControls) *InsightViewResolver {
	return &InsightViewResolver{r: r, req: req, view: v, applied: applied, statuses: map[int]*seriesStatus{}}
}

// ViewerCanEdit is the rule viewForWrite applies, so the web app offers edit and delete
// only where they succeed.
func (v *InsightViewResolver) ViewerCanEdit(ctx context.Context) (bool, error) {
	if auth.FromContext(ctx).HasAllAccess() {
		return true, nil
	}
	return v.r.insightsStore().ViewWritable(ctx, v.req.viewer, v.view.ID)
}

func (v *InsightViewResolver) ID() graphql.ID { return marshalID(insightViewKind, int64(v.view.ID)) }

func (v *InsightViewResolver) loadSeries(ctx context.Context) ([]*store.ViewSeries, error) {
	v.seriesMu.Lock()
	defer v.seriesMu.Unlock()
	if v.seriesLoaded {
		return v.series, nil
	}
	m, err := v.r.insightsStore().ViewSeries(ctx, []int{v.view.ID})
	if err != nil {
		return nil, err
	}
	v.series, v.seriesLoaded = m[v.view.ID], true
	return v.series, nil
}

func (v *InsightViewResolver) appliedFilters() insights.Filters {
	if v.applied != nil && v.applied.filters != nil {
		return *v.applied.filters
	}
	return viewFilters(v.view)
}

func (v *InsightViewResolver) appliedDisplay() insights.Display {
	d := viewDisplay(v.view)
	if v.applied != nil && v.applied.display != nil {
		a := *v.applied.display
		if a.SortMode != "" {
			d.SortMode, d.SortDirection = a.SortMode, a.SortDirection
		}
		if a.Limit != nil {
			d.Limit = a.Limit
		}
		if a.NumSamples != nil {
			d.NumSamples = a.NumSamples
		}
	}
	return d
}

func (v *InsightViewResolver) DefaultFilters() *insightViewFilters {
	return &insightViewFilters{viewFilters(v.view)}
}

func (v *InsightViewResolver) AppliedFilters() *insightViewFilters {
	return &insightViewFilters{v.appliedFilters()}
}

func (v *InsightViewResolver) DefaultSeriesDisplayOptions() *seriesDisplayOptions {
	return &seriesDisplayOptions{viewDisplay(v.view)}
}

func (v *InsightViewResolver) AppliedSeriesDisplayOptions() *seriesDisplayOptions {
	return &seriesDisplayOptions{v.appliedDisplay()}
}

func (v *InsightViewResolver) IsFrozen() bool { return v.view.IsFrozen }

// readData reads the view's series once per request, with the applied filters and the
// viewer's permissions.
func (v *InsightViewResolver) readData(ctx context.Context) (*insights.ViewData, error) {
	v.dataOnce.Do(func() {
		series, err := v.loadSeries(ctx)
		if err != nil {
			v.dataErr = err
			return
		}
		access, err := v.req.access.Get(ctx, v.appliedFilters())
		if err != nil {
			v.dataErr = err
			return
		}
		d := v.appliedDisplay()
		if v.view.PresentationType == "PIE" {
			all := 1000
			d.Limit = &all // the threshold, not a limit, decides what a pie shows
		}
		v.data, v.dataErr = insights.ReadView(ctx, v.r.insightsStore(), series, access, d)
	})
	return v.data, v.dataErr
}

func (v *InsightViewResolver) DataSeries(ctx context.Context) ([]*InsightsSeriesResolver, error) {
	data, err := v.readData(ctx)
	if err != nil {
		return nil, err
	}
	if v.view.PresentationType == "PIE" {
		threshold := 0.0
		if v.view.OtherThreshold != nil {
			threshold = *v.view.OtherThreshold
		}
		var newestT time.Time
		var vs *store.ViewSeries
		for _, sd := range data.Series {
			vs = sd.Series
			if n := len(sd.Points); n > 0 && sd.Points[n-1].Time.After(newestT) {
				newestT = sd.Points[n-1].Time
			}
		}
		var out []*InsightsSeriesResolver
		for _, sl := range insights.Pie(data.Series, threshold) {
			sd := &insights.SeriesData{ID: sl.Label, Label: sl.Label, Series: vs, Points: []insights.Point{{Time: newestT, Value: sl.Value}}}
			out = append(out, &InsightsSeriesResolver{view: v, data: sd, pie: true, pieMembers: sl.Members})
		}
		return out, nil
	}
	out := make([]*InsightsSeriesResolver, len(data.Series))
	for i, sd := range data.Series {
		out[i] = &InsightsSeriesResolver{view: v, data: sd}
	}
	return out, nil
}

func (v *InsightViewResolver) SeriesCount(ctx context.Context) (*int32, error) {
	data, err := v.readData(ctx)
	if err != nil {
		return nil, err
	}
	n := int32(data.SeriesCount)
	return &n, nil
}

func (v *InsightViewResolver) Presentation(ctx context.Context) (*insightPresentation, error) {
	if v.view.PresentationType == "PIE" {
		t := 0.0
		if v.view.OtherThreshold != nil {
			t = *v.view.OtherThreshold
		}
		return &insightPresentation{pie: &pieChartPresentation{title: v.view.Title, threshold: t}}, nil
	}
	series, err := v.loadSeries(ctx)
	if err != nil {
		return nil, err
	}
	lp := &lineChartPresentation{title: v.view.Title}
	for _, s := range series {
		lp.series = append(lp.series, &lineChartSeriesPresentation{id: s.Series.SeriesID, label: s.Label, color: s.Stroke})
	}
	return &insightPresentation{line: lp}, nil
}

func (v *InsightViewResolver) DataSeriesDefinitions(ctx context.Context) ([]*insightDataSeriesDefinition, error) {
	series, err := v.loadSeries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*insightDataSeriesDefinition, len(series))
	for i, s := range series {
		out[i] = &insightDataSeriesDefinition{&searchSeriesDefinition{s: s.Series}}
	}
	return out, nil
}

func (v *InsightViewResolver) DashboardReferenceCount(ctx context.Context) (int32, error) {
	n, err := v.r.insightsStore().DashboardReferenceCount(ctx, v.view.ID)
	return int32(n), err
}

func (v *InsightViewResolver) Dashboards(ctx context.Context, args struct {
	First *int32
	After *string
	ID    *graphql.ID
}) (*insightsDashboardConnection, error) {
	opts := store.DashboardListOptions{ViewID: v.view.ID}
	return v.r.dashboardConnection(ctx, v.req, opts, args.First, args.After, args.ID)
}

// RepositoryDefinition is the scope of the view's first series.
func (v *InsightViewResolver) RepositoryDefinition(ctx context.Context) (*repositoryDefinition, error) {
	series, err := v.loadSeries(ctx)
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return &repositoryDefinition{search: &repositorySearchScope{all: true}}, nil
	}
	return newRepositoryDefinition(series[0].Series), nil
}

// TimeScope is the interval of the view's first series.
func (v *InsightViewResolver) TimeScope(ctx context.Context) (*insightTimeScope, error) {
	series, err := v.loadSeries(ctx)
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return &insightTimeScope{&intervalTimeScope{unit: insights.Month, value: 1}}, nil
	}
	s := series[0].Series
	return &insightTimeScope{&intervalTimeScope{unit: s.IntervalUnit, value: int32(s.IntervalValue)}}, nil
}

type insightViewFilters struct{ f insights.Filters }

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (f *insightViewFilters) IncludeRepoRegex() *string { return strPtr(f.f.IncludeRepoRegex) }
func (f *insightViewFilters) ExcludeRepoRegex() *string { return strPtr(f.f.ExcludeRepoRegex) }
func (f *insightViewFilters) SearchContexts() *[]string {
	if f.f.SearchContexts == nil {
		return nil
	}
	return &f.f.SearchContexts
}

type seriesDisplayOptions struct{ d insights.Display }

func (o *seriesDisplayOptions) SortOptions() *seriesSortOptions { return &seriesSortOptions{o.d} }
func (o *seriesDisplayOptions) Limit() *int32                   { return intPtr32(o.d.Limit) }
func (o *seriesDisplayOptions) NumSamples() *int32              { return intPtr32(o.d.NumSamples) }

func intPtr32(p *int) *int32 {
	if p == nil {
		return nil
	}
	n := int32(*p)
	return &n
}

type seriesSortOptions struct{ d insights.Display }

func (o *seriesSortOptions) Mode() *string      { return strPtr(o.d.SortMode) }
func (o *seriesSortOptions) Direction() *string { return strPtr(o.d.SortDirection) }

type insightPresentation struct {
	line *lineChartPresentation
	pie  *pieChartPresentation
}

func (p *insightPresentation) ToLineChartInsightViewPresentation() (*lineChartPresentation, bool) {
	return p.line, p.line != nil
}
func (p *insightPresentation) ToPieChartInsightViewPresentation() (*pieChartPresentation, bool) {
	return p.pie, p.pie != nil
}

type lineChartPresentation struct {
	title  string
	series []*lineChartSeriesPresentation
}

func (p *lineChartPresentation) Title() string { return p.title }
func (p *lineChartPresentation) SeriesPresentation() []*lineChartSeriesPresentation {
	return p.series
}

type lineChartSeriesPresentation struct{ id, label, color string }

func (p *lineChartSeriesPresentation) SeriesID() string { return p.id }
func (p *lineChartSeriesPresentation) Label() string    { return p.label }
func (p *lineChartSeriesPresentation) Color() string    { return p.color }

type pieChartPresentation struct {
	title     string
	threshold float64
}

func (p *pieChartPresentation) Title() string           { return p.title }
func (p *pieChartPresentation) OtherThreshold() float64 { return p.threshold }

type insightDataSeriesDefinition struct{ s *searchSeriesDefinition }

func (d *insightDataSeriesDefinition) ToSearchInsightDataSeriesDefinition() (*searchSeriesDefinition, bool) {
	return d.s, true
}

type searchSeriesDefinition struct{ s *store.InsightSeries }

func (d *searchSeriesDefinition) SeriesID() string { return d.s.SeriesID }
func (d *searchSeriesDefinition) Query() string    { return d.s.Query }
func (d *searchSeriesDefinition) RepositoryScope() *insightRepositoryScope {
	repos := d.s.Repositories
	if repos == nil {
		repos = []string{}
	}
	return &insightRepositoryScope{repos}
}
func (d *searchSeriesDefinition) RepositoryDefinition() *repositoryDefinition {
	return newRepositoryDefinition(d.s)
}
func (d *searchSeriesDefinition) TimeScope() *insightTimeScope {
	return &insightTimeScope{&intervalTimeScope{unit: d.s.IntervalUnit, value: int32(d.s.IntervalValue)}}
}
func (d *searchSeriesDefinition) GeneratedFromCaptureGroups() bool {
	return d.s.GeneratedFromCaptureGroups
}
func (d *searchSeriesDefinition) IsCalculated() bool {
	if insights.DefOf(d.s).SnapshotOnly() {
		return d.s.LastSnapshotAt != nil
	}
	return d.s.BackfillCompletedAt != nil
}
func (d *searchSeriesDefinition) GroupBy() *string { return strPtr(d.s.GroupBy) }

type repositoryDefinition struct {
	search *repositorySearchScope
	list   *insightRepositoryScope
}

func newRepositoryDefinition(s *store.InsightSeries) *repositoryDefinition {
	if len(s.Repositories) > 0 {
		return &repositoryDefinition{list: &insightRepositoryScope{s.Repositories}}
	}
	return &repositoryDefinition{search: &repositorySearchScope{search: s.RepositoryCriteria, all: s.RepositoryCriteria == ""}}
}

func (d *repositoryDefinition) ToRepositorySearchScope() (*repositorySearchScope, bool) {
	return d.search, d.search != nil
}
func (d *repositoryDefinition) ToInsightRepositoryScope() (*insightRepositoryScope, bool) {
	return d.list, d.list != nil
}

type repositorySearchScope struct {
	search string
	all    bool
}

func (s *repositorySearchScope) Search() string        { return s.search }
func (s *repositorySearchScope) AllRepositories() bool { return s.all }

type insightRepositoryScope struct{ repos []string }

func (s *insightRepositoryScope) Repositories() []string { return s.repos }

type insightTimeScope struct{ iv *intervalTimeScope }

func (t *insightTimeScope) ToInsightIntervalTimeScope() (*intervalTimeScope, bool) { return t.iv, true }

type intervalTimeScope struct {
	unit  string
	value int32
}

func (t *intervalTimeScope) Unit() string { return t.unit }
func (t *intervalTimeScope) Value() int32 { return t.value }

// InsightsSeriesResolver resolves InsightsSeries: one series of a view as shown.
type InsightsSeriesResolver struct {
	view *InsightViewResolver
	data *insights.SeriesData
	pie  bool
	// pieMembers are the captured values a pie slice is made of.
	pieMembers []string
}

func (s *InsightsSeriesResolver) SeriesID() string { return s.data.ID }
func (s *InsightsSeriesResolver) Label() string    { return s.data.Label }

func (s *InsightsSeriesResolver) Points(args struct {
	From             *DateTime
	To               *DateTime
	IncludeRepoRegex *string
	ExcludeRepoRegex *string
}) []*InsightDataPointResolver {
	out := make([]*InsightDataPointResolver, 0, len(s.data.Points))
	var def insights.SeriesDef
	if s.data.Series != nil {
		def = insights.DefOf(s.data.Series.Series)
	}
	for i, p := range s.data.Points {
		// from and to select points (the web app's drill-down asks for one point's
		// repositories without resolving them for every point), to the second, as
		// dateTime shows them.
		at := p.Time.Truncate(time.Second)
		if (args.From != nil && at.Before(args.From.Time)) || (args.To != nil && at.After(args.To.Time)) {
			continue
		}
		dp := &InsightDataPointResolver{point: p, series: s, def: def}
		if i > 0 {
			dp.prev = s.data.Points[i-1].Time
		}
		out = append(out, dp)
	}
	return out
}

// Times and Values are Points as two lists of scalars: GraphQL resolves an object and
// two fields per point otherwise, which for 20 charts × 20 series × 90 points costs more
// than reading the points.
func (s *InsightsSeriesResolver) Times() []DateTime {
	out := make([]DateTime, len(s.data.Points))
	for i, p := range s.data.Points {
		out[i] = newDateTime(p.Time)
	}
	return out
}

func (s *InsightsSeriesResolver) Values() []float64 {
	out := make([]float64, len(s.data.Points))
	for i, p := range s.data.Points {
		out[i] = p.Value
	}
	return out
}

func (s *InsightsSeriesResolver) Status(ctx context.Context) (*seriesStatus, error) {
	if s.data.Series == nil {
		return &seriesStatus{}, nil
	}
	return s.view.status(ctx, s.data.Series.Series)
}

// InsightDataPointResolver resolves InsightDataPoint.
type InsightDataPointResolver struct {
	point  insights.Point
	prev   time.Time
	series *InsightsSeriesResolver // nil for previews
	def    insights.SeriesDef
}

func (p *InsightDataPointResolver) DateTime() DateTime { return newDateTime(p.point.Time) }
func (p *InsightDataPointResolver) Value() float64     { return p.point.Value }

func (p *InsightDataPointResolver) DiffQuery() *string {
	if p.series == nil || p.series.pie {
		return nil
	}
	return strPtr(insights.DiffQuery(p.def, p.prev, p.point.Time))
}

// parts returns the repositories behind the point that the viewer may see and the
// filters admit.
func (p *InsightDataPointResolver) parts(ctx context.Context, limit int) ([]store.RepoValue, error) {
	v := p.series.view
	access, err := v.req.access.Get(ctx, v.appliedFilters())
	if err != nil {
		return nil, err
	}
	captures := []string{""}
	switch {
	case p.series.pie:
		captures = p.series.pieMembers
		if captures == nil {
			captures = []string{}
		}
	case p.series.data.Capture != nil:
		captures = []string{*p.series.data.Capture}
	}
	return v.r.insightsStore().PointRepos(ctx, p.series.data.Series.Series.ID, p.point.Time, captures, access, limit)
}

func (p *InsightDataPointResolver) PointInTimeQuery(ctx context.Context) (*string, error) {
	if p.series == nil || p.series.pie || p.series.data.Series == nil {
		return nil, nil
	}
	parts, err := p.parts(ctx, insights.MaxPinnedRepos+1)
	if err != nil {
		return nil, err
	}
	return strPtr(insights.PointInTimeQuery(p.def, p.point.Time, parts)), nil
}

// RepositoryBreakdown is the point's largest repositories, 20 when first is null or
// omitted.
func (p *InsightDataPointResolver) RepositoryBreakdown(ctx context.Context, args struct{ First graphql.NullInt }) ([]*pointRepository, error) {
	if p.series == nil || p.series.data.Series == nil {
		return []*pointRepository{}, nil
	}
	first := intOr(args.First, 20)
	if first < 0 || first > MaxPageSize {
		return nil, errcode.New(errcode.BadInput, "first must be between 0 and %d", MaxPageSize)
	}
	if first == 0 {
		return []*pointRepository{}, nil
	}
	limit := int(first)
	if p.series.pie {
		limit = 0 // rows are per repository and language: limited after summing
	}
	parts, err := p.parts(ctx, limit)
	if err != nil {
		return nil, err
	}
	if p.series.pie {
		// Slices are per language: sum each repository's part across languages.
		byRepo := map[int64]*store.RepoValue{}
		var order []int64
		for _, part := range parts {
			if byRepo[part.RepoID] == nil {
				c := part
				c.Capture = ""
				byRepo[part.RepoID] = &c
				order = append(order, part.RepoID)
				continue
			}
			byRepo[part.RepoID].Value += part.Value
		}
		parts = parts[:0]
		for _, id := range order {
			parts = append(parts, *byRepo[id])
		}
		sort.SliceStable(parts, func(i, j int) bool { return parts[i].Value > parts[j].Value })
		if len(parts) > int(first) {
			parts = parts[:first]
		}
	}
	out := make([]*pointRepository, len(parts))
	for i, part := range parts {
		out[i] = &pointRepository{r: p.series.view.r, time: p.point.Time, part: part, def: p.def, pie: p.series.pie}
	}
	return out, nil
}

type pointRepository struct {
	r    *Resolver
	time time.Time // the point's
	part store.RepoValue
	def  insights.SeriesDef
	pie  bool
}

func (p *pointRepository) Repository(ctx context.Context) (*RepositoryResolver, error) {
	repo, err := p.r.Store.Repos().GetByID(ctx, auth.FromContext(ctx).Viewer(), p.part.RepoID)
	if err != nil {
		return nil, nil // deleted since, or no longer visible
	}
	return p.r.newRepository(repo), nil
}
func (p *pointRepository) Name() string    { return p.part.RepoName }
func (p *pointRepository) Value() float64  { return p.part.Value }
func (p *pointRepository) Commit() *string { return strPtr(p.part.Commit) }
func (p *pointRepository) PointInTimeQuery() *string {
	if p.pie {
		return nil
	}
	return strPtr(insights.RepoPointQuery(p.def, p.time, p.part))
}

// seriesStatus resolves InsightSeriesStatus for a stored series.
type seriesStatus struct {
	total, pending, completed, failed int32
	backfillQueuedAt                  *time.Time
	loading                           bool
	alerts                            []*incompleteAlert
	percent, position                 *int32
	runtime, state                    *string
}

func (s *seriesStatus) TotalPoints() int32          { return s.total }
func (s *seriesStatus) PendingJobs() int32          { return s.pending }
func (s *seriesStatus) CompletedJobs() int32        { return s.completed }
func (s *seriesStatus) FailedJobs() int32           { return s.failed }
func (s *seriesStatus) BackfillQueuedAt() *DateTime { return newDateTimePtr(s.backfillQueuedAt) }
func (s *seriesStatus) IsLoadingData() *bool        { return &s.loading }
func (s *seriesStatus) PercentComplete() *int32     { return s.percent }
func (s *seriesStatus) QueuePosition() *int32       { return s.position }
func (s *seriesStatus) Runtime() *string            { return s.runtime }
func (s *seriesStatus) BackfillState() *string      { return s.state }
func (s *seriesStatus) IncompleteDatapoints() []*incompleteAlert {
	if s.alerts == nil {
		return []*incompleteAlert{}
	}
	return s.alerts
}

// status computes a stored series' status once per view resolver.
func (v *InsightViewResolver) status(ctx context.Context, s *store.InsightSeries) (*seriesStatus, error) {
	v.statusMu.Lock()
	defer v.statusMu.Unlock()
	if st, ok := v.statuses[s.ID]; ok {
		return st, nil
	}
	// The first status asked for computes every series' of the view at once (a card
	// asks for all of them): a few queries per view instead of a few per series.
	batch := []*store.InsightSeries{s}
	if vs, err := v.loadSeries(ctx); err == nil {
		for _, x := range vs {
			if x.Series != nil && x.Series.ID != s.ID && v.statuses[x.Series.ID] == nil {
				batch = append(batch, x.Series)
			}
		}
	}
	sts, err := v.r.computeStatuses(ctx, batch)
	if err != nil {
		return nil, err
	}
	for id, st := range sts {
		v.statuses[id] = st
	}
	return v.statuses[s.ID], nil
}

// computeStatuses computes the status of series, each store query once for all of them.
func (r *Resolver) computeStatuses(ctx context.Context, series []*store.InsightSeries) (map[int]*seriesStatus, error) {
	is := r.insightsStore()
	ids := make([]int, len(series))
	seriesIDs := make([]string, len(series))
	for i, s := range series {
		ids[i], seriesIDs[i] = s.ID, s.SeriesID
	}
	counts, err := is.CountPoints(ctx, ids)
	if err != nil {
		return nil, err
	}
	jobs, err := r.Store.InsightsQueryJobCounts(ctx, seriesIDs)
	if err != nil {
		return nil, err
	}
	bfs, err := is.LatestBackfills(ctx, ids)
	if err != nil {
		return nil, err
	}
	bfIDs := []int{}
	for _, bf := range bfs {
		bfIDs = append(bfIDs, bf.ID)
	}
	items := map[int]*store.BackfillQueueItem{}
	if len(bfIDs) > 0 {
		list, err := is.ListBackfillQueue(ctx, store.BackfillQueueOptions{IDs: bfIDs})
		if err != nil {
			return nil, err
		}
		for _, it := range list {
			items[it.Backfill.ID] = it
		}
	}
	incomplete, err := is.IncompletePoints(ctx, ids)
	if err != nil {
		return nil, err
	}
	pointsOf := map[int][]store.IncompletePoint{}
	for _, p := range incomplete {
		pointsOf[p.SeriesID] = append(pointsOf[p.SeriesID], p)
	}
	out := make(map[int]*seriesStatus, len(series))
	for _, s := range series {
		st := &seriesStatus{backfillQueuedAt: s.BackfillQueuedAt, total: int32(counts[s.ID])}
		if j := jobs[s.SeriesID]; j != nil {
			st.pending = int32(j.Queued + j.Processing + j.Errored)
			st.completed = int32(j.Completed)
			st.failed = int32(j.Failed)
		}
		if bf := bfs[s.ID]; bf != nil {
			if item := items[bf.ID]; item != nil {
				bs := newBackfillStatus(item)
				st.state, st.position, st.percent, st.runtime = &bs.state, bs.position, bs.percent, bs.runtime
			}
			switch queueState(bf) {
			case queueStateNew, queueStateQueued, queueStateProcessing:
				st.loading = true
				st.pending++
			case queueStateCompleted:
				st.completed++
			case queueStateFailed:
				st.failed++
			}
		}
		if insights.DefOf(s).SnapshotOnly() && st.pending > 0 {
			st.loading = true
		}
		if st.alerts, err = r.incompleteAlerts(ctx, pointsOf[s.ID]); err != nil {
			return nil, err
		}
		out[s.ID] = st
	}
	return out, nil
}

// incompleteAlerts groups incomplete points by time and reason, naming only the
// repositories the viewer may see.
func (r *Resolver) incompleteAlerts(ctx context.Context, points []store.IncompletePoint) ([]*incompleteAlert, error) {
	type key struct {
		t      time.Time
		reason string
	}
	byKey := map[key]*incompleteAlert{}
	var order []key
	var ids []int64
	for _, p := range points {
		k := key{p.Time, p.Reason}
		a := byKey[k]
		if a == nil {
			a = &incompleteAlert{time: p.Time, timeout: p.Reason == store.IncompleteTimeout, reason: p.Message}
			byKey[k] = a
			order = append(order, k)
		}
		if p.RepoID != nil {
			if a.repoIDs == nil {
				a.reason = "" // said by a repository the viewer may see, below
			}
			a.repoIDs = append(a.repoIDs, *p.RepoID)
			a.messages = append(a.messages, p.Message)
			ids = append(ids, *p.RepoID)
		} else if p.Message != "" {
			a.reason = p.Message
		}
	}
	visible := map[int64]*store.Repo{}
	if len(ids) > 0 {
		repos, err := r.Store.Repos().List(ctx, auth.FromContext(ctx).Viewer(), store.RepoListOptions{IDs: ids})
		if err != nil {
			return nil, err
		}
		for _, repo := range repos {
			visible[repo.ID] = repo
		}
	}
	var out []*incompleteAlert
	for _, k := range order {
		a := byKey[k]
		if len(a.repoIDs) > 0 {
			// A repository's error message names it: only those of repositories the
			// viewer may see are shown.
			msg := ""
			for i, id := range a.repoIDs {
				if repo := visible[id]; repo != nil {
					a.repos = append(a.repos, r.newRepository(repo))
					if msg == "" {
						msg = a.messages[i]
					}
				}
			}
			if len(a.repos) == 0 {
				continue // only about repositories the viewer may not see
			}
			if !a.timeout {
				a.reason = "some repositories could not be counted: " + msg
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// incompleteAlert resolves the IncompleteDatapointAlert interface.
type incompleteAlert struct {
	time    time.Time
	timeout bool
	reason  string
	repoIDs []int64
	// messages are the errors of repoIDs, index for index.
	messages []string
	repos    []*RepositoryResolver
}

func (a *incompleteAlert) Time() DateTime { return newDateTime(a.time) }
func (a *incompleteAlert) ToTimeoutDatapointAlert() (*incompleteAlert, bool) {
	return a, a.timeout
}
func (a *incompleteAlert) ToGenericIncompleteDatapointAlert() (*incompleteAlert, bool) {
	return a, !a.timeout
}
func (a *incompleteAlert) Reason() string { return a.reason }
func (a *incompleteAlert) Repositories() *[]*RepositoryResolver {
	if a.repoIDs == nil {
		return nil
	}
	return &a.repos
}
