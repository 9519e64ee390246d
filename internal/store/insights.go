package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// InsightsStore is the SQL of code insights. It runs on the insights database (a Store
// made with New(insightsDB)), except where a method says it reads the main database.
// Series, views and dashboards are here; points in insights_points.go, backfills in
// insights_backfill.go, the query runner queue in insights_queue.go.
type InsightsStore struct{ s *Store }

// Insights returns the insights store of s, which must be on the insights database.
func (s *Store) Insights() *InsightsStore { return &InsightsStore{s} }

// Generation methods of a series.
const (
	GenerationSearch         = "search"          // match counts
	GenerationSearchCompute  = "search-compute"  // capture group values
	GenerationMappingCompute = "mapping-compute" // group by repo, lang, path, author
	GenerationLanguageStats  = "language-stats"  // lines per language
)

// InsightSeries is a row of insight_series: what is counted, over which repositories,
// how often, and where its recording and backfill stand.
type InsightSeries struct {
	ID       int
	SeriesID string
	Query    string
	// Repositories is the list scope (nil when the scope is a criteria query or all
	// repositories); RepositoryCriteria the scope query ("" when none).
	Repositories               []string
	RepositoryCriteria         string
	IntervalUnit               string
	IntervalValue              int
	GenerationMethod           string
	GeneratedFromCaptureGroups bool
	GroupBy                    string // "" when none
	Enabled                    bool
	CreatedAt                  time.Time
	DeletedAt                  *time.Time
	NextRecordingAfter         time.Time
	NextSnapshotAfter          time.Time
	LastRecordedAt             *time.Time
	LastSnapshotAt             *time.Time
	BackfillQueuedAt           *time.Time
	BackfillCompletedAt        *time.Time
}

const seriesColumns = `s.id, s.series_id, s.query, s.repositories, coalesce(s.repository_criteria, ''), s.sample_interval_unit, s.sample_interval_value,
s.generation_method, s.generated_from_capture_groups, coalesce(s.group_by, ''), s.enabled, s.created_at, s.deleted_at,
s.next_recording_after, s.next_snapshot_after, s.last_recorded_at, s.last_snapshot_at, s.backfill_queued_at, s.backfill_completed_at`

func scanSeries(row pgx.Row) (*InsightSeries, error) {
	var s InsightSeries
	err := row.Scan(&s.ID, &s.SeriesID, &s.Query, &s.Repositories, &s.RepositoryCriteria, &s.IntervalUnit, &s.IntervalValue,
		&s.GenerationMethod, &s.GeneratedFromCaptureGroups, &s.GroupBy, &s.Enabled, &s.CreatedAt, &s.DeletedAt,
		&s.NextRecordingAfter, &s.NextSnapshotAfter, &s.LastRecordedAt, &s.LastSnapshotAt, &s.BackfillQueuedAt, &s.BackfillCompletedAt)
	return &s, err
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateSeries inserts a series; s.ID and s.CreatedAt are filled in.
func (is *InsightsStore) CreateSeries(ctx context.Context, s *InsightSeries) error {
	var repos any
	if s.Repositories != nil {
		repos = s.Repositories
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	return is.s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO insight_series (series_id, query, repositories, repository_criteria, sample_interval_unit,
sample_interval_value, generation_method, generated_from_capture_groups, group_by, enabled, created_at, next_recording_after, next_snapshot_after)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, true, %s, %s, %s) RETURNING id, created_at`,
		s.SeriesID, s.Query, repos, nullIfEmpty(s.RepositoryCriteria), s.IntervalUnit, s.IntervalValue, s.GenerationMethod,
		s.GeneratedFromCaptureGroups, nullIfEmpty(s.GroupBy), created, s.NextRecordingAfter, s.NextSnapshotAfter)).Scan(&s.ID, &s.CreatedAt)
}

// FindSharedSeries returns a live series over all repositories with the same
// definition, which a new view shares instead of computing it again; nil when none.
func (is *InsightsStore) FindSharedSeries(ctx context.Context, query, unit string, value int, captures bool, groupBy string) (*InsightSeries, error) {
	s, err := scanSeries(is.s.queryRow(ctx, sqlf.Sprintf(`SELECT `+seriesColumns+` FROM insight_series s
WHERE s.deleted_at IS NULL AND s.repositories IS NULL AND s.repository_criteria IS NULL
  AND s.query = %s AND s.sample_interval_unit = %s AND s.sample_interval_value = %s
  AND s.generated_from_capture_groups = %s AND coalesce(s.group_by, '') = %s AND s.generation_method <> 'language-stats'
ORDER BY s.id LIMIT 1`, query, unit, value, captures, groupBy)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return s, err
}

// GetSeries returns a series by its row id (deleted ones too).
func (is *InsightsStore) GetSeries(ctx context.Context, id int) (*InsightSeries, error) {
	s, err := scanSeries(is.s.queryRow(ctx, sqlf.Sprintf("SELECT "+seriesColumns+" FROM insight_series s WHERE s.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("insight series %d", id)
	}
	return s, err
}

// GetSeriesBySeriesID returns a series by its series id (deleted ones too).
func (is *InsightsStore) GetSeriesBySeriesID(ctx context.Context, seriesID string) (*InsightSeries, error) {
	s, err := scanSeries(is.s.queryRow(ctx, sqlf.Sprintf("SELECT "+seriesColumns+" FROM insight_series s WHERE s.series_id = %s", seriesID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("insight series %q", seriesID)
	}
	return s, err
}

// SeriesListOptions select series.
type SeriesListOptions struct {
	IDs []int
	// RecordingDue and SnapshotDue select live, enabled series whose next recording
	// (snapshot) is due at this time.
	RecordingDue, SnapshotDue time.Time
	IncludeDeleted            bool
}

// ListSeries returns series by id.
func (is *InsightsStore) ListSeries(ctx context.Context, opts SeriesListOptions) ([]*InsightSeries, error) {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if !opts.IncludeDeleted {
		conds = append(conds, sqlf.Sprintf("s.deleted_at IS NULL"))
	}
	if opts.IDs != nil {
		conds = append(conds, sqlf.Sprintf("s.id = ANY(%s)", opts.IDs))
	}
	if !opts.RecordingDue.IsZero() {
		conds = append(conds, sqlf.Sprintf("s.enabled AND s.next_recording_after <= %s", opts.RecordingDue))
	}
	if !opts.SnapshotDue.IsZero() {
		conds = append(conds, sqlf.Sprintf("s.enabled AND s.next_snapshot_after <= %s", opts.SnapshotDue))
	}
	return collect(ctx, is.s, sqlf.Sprintf("SELECT "+seriesColumns+" FROM insight_series s WHERE %s ORDER BY s.id", sqlf.Join(conds, " AND ")), scanSeries)
}

// StampRecording sets when a series was last recorded and when it is next due; called
// only after the recording's job was enqueued.
func (is *InsightsStore) StampRecording(ctx context.Context, id int, recorded, next time.Time) error {
	_, err := is.s.exec(ctx, sqlf.Sprintf("UPDATE insight_series SET last_recorded_at = %s, next_recording_after = %s WHERE id = %s", recorded, next, id))
	return err
}

// StampSnapshot is StampRecording for snapshots.
func (is *InsightsStore) StampSnapshot(ctx context.Context, id int, taken, next time.Time) error {
	_, err := is.s.exec(ctx, sqlf.Sprintf("UPDATE insight_series SET last_snapshot_at = %s, next_snapshot_after = %s WHERE id = %s", taken, next, id))
	return err
}

// SetSeriesEnabled turns a series' recording on or off.
func (is *InsightsStore) SetSeriesEnabled(ctx context.Context, seriesID string, enabled bool) (*InsightSeries, error) {
	s, err := scanSeries(is.s.queryRow(ctx, sqlf.Sprintf(`UPDATE insight_series s SET enabled = %s WHERE s.series_id = %s AND s.deleted_at IS NULL RETURNING `+seriesColumns, enabled, seriesID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("insight series %q", seriesID)
	}
	return s, err
}

// deleteUnreferencedSeries soft-deletes the given series that no view uses any more, so
// they stop being recorded; their points stay for a view that later shares them.
func (is *InsightsStore) deleteUnreferencedSeries(ctx context.Context, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := is.s.exec(ctx, sqlf.Sprintf(`UPDATE insight_series s SET deleted_at = now()
WHERE s.id = ANY(%s) AND s.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM insight_view_series vs WHERE vs.insight_series_id = s.id)`, ids))
	return err
}

// InsightsViewer is who views and dashboards are listed for: grants to the user, to an
// organization the user belongs to, or to everyone make them visible.
type InsightsViewer struct {
	UserID int64
	OrgIDs []int64
}

func grantCond(v InsightsViewer, grantsTable, fk, ref string) *sqlf.Query {
	orgs := v.OrgIDs
	if orgs == nil {
		orgs = []int64{}
	}
	return sqlf.Sprintf("EXISTS (SELECT 1 FROM "+grantsTable+" g WHERE g."+fk+" = "+ref+" AND (g.global OR g.user_id = %s OR g.org_id = ANY(%s)))", v.UserID, orgs)
}

// viewVisibleCond: a view is visible through its own grants or through a visible
// dashboard that holds it.
func viewVisibleCond(v InsightsViewer) *sqlf.Query {
	return sqlf.Sprintf(`(%s OR EXISTS (SELECT 1 FROM dashboard_insight_view div JOIN dashboard d ON d.id = div.dashboard_id
WHERE div.insight_view_id = v.id AND d.deleted_at IS NULL AND %s))`,
		grantCond(v, "insight_view_grants", "insight_view_id", "v.id"), grantCond(v, "dashboard_grants", "dashboard_id", "d.id"))
}

// writeGrantCond is grantCond without grants to everyone: a grant to everyone lets
// everyone read, not change.
func writeGrantCond(v InsightsViewer, grantsTable, fk, ref string) *sqlf.Query {
	orgs := v.OrgIDs
	if orgs == nil {
		orgs = []int64{}
	}
	return sqlf.Sprintf("EXISTS (SELECT 1 FROM "+grantsTable+" g WHERE g."+fk+" = "+ref+" AND (g.user_id = %s OR g.org_id = ANY(%s)))", v.UserID, orgs)
}

// DashboardWritable reports whether the viewer may change a live dashboard: its creator,
// or through a grant to the viewer or to an organization they belong to. (Site admins
// may change any dashboard they see; the caller decides that.)
func (is *InsightsStore) DashboardWritable(ctx context.Context, v InsightsViewer, id int) (bool, error) {
	n, err := is.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM dashboard d WHERE d.id = %s AND d.deleted_at IS NULL AND (d.created_by_user_id = %s OR %s)",
		id, v.UserID, writeGrantCond(v, "dashboard_grants", "dashboard_id", "d.id")))
	return n > 0, err
}

// ViewWritable reports whether the viewer may change a view: its creator, through the
// view's own grants to the viewer or their organizations, or through a live dashboard
// holding it that the viewer may change.
func (is *InsightsStore) ViewWritable(ctx context.Context, v InsightsViewer, id int) (bool, error) {
	n, err := is.s.count(ctx, sqlf.Sprintf(`SELECT count(*) FROM insight_view v WHERE v.id = %s AND (v.created_by_user_id = %s OR %s
OR EXISTS (SELECT 1 FROM dashboard_insight_view div JOIN dashboard d ON d.id = div.dashboard_id
  WHERE div.insight_view_id = v.id AND d.deleted_at IS NULL AND (d.created_by_user_id = %s OR %s)))`,
		id, v.UserID, writeGrantCond(v, "insight_view_grants", "insight_view_id", "v.id"), v.UserID, writeGrantCond(v, "dashboard_grants", "dashboard_id", "d.id")))
	return n > 0, err
}

func dashboardVisibleCond(v InsightsViewer) *sqlf.Query {
	return sqlf.Sprintf("(d.deleted_at IS NULL AND %s)", grantCond(v, "dashboard_grants", "dashboard_id", "d.id"))
}

// InsightViewFilters are a view's repository filters.
type InsightViewFilters struct {
	IncludeRepoRegex string
	ExcludeRepoRegex string
	SearchContexts   []string
}

// InsightView is a row of insight_view: how a set of series is shown.
type InsightView struct {
	ID               int
	UniqueID         string
	Title            string
	Description      string
	Filters          InsightViewFilters
	PresentationType string // LINE or PIE
	OtherThreshold   *float64
	SortMode         string // "" when not set
	SortDirection    string
	Limit            *int
	NumSamples       *int
	IsFrozen         bool
	CreatedByUserID  *int64
	CreatedAt        time.Time
}

const viewColumns = `v.id, v.unique_id, v.title, v.description, coalesce(v.default_filter_include_repo_regex, ''), coalesce(v.default_filter_exclude_repo_regex, ''),
v.default_filter_search_contexts, v.presentation_type, v.other_threshold, coalesce(v.series_sort_mode, ''), coalesce(v.series_sort_direction, ''),
v.series_limit, v.series_num_samples, v.is_frozen, v.created_by_user_id, v.created_at`

func scanView(row pgx.Row) (*InsightView, error) {
	var v InsightView
	err := row.Scan(&v.ID, &v.UniqueID, &v.Title, &v.Description, &v.Filters.IncludeRepoRegex, &v.Filters.ExcludeRepoRegex,
		&v.Filters.SearchContexts, &v.PresentationType, &v.OtherThreshold, &v.SortMode, &v.SortDirection,
		&v.Limit, &v.NumSamples, &v.IsFrozen, &v.CreatedByUserID, &v.CreatedAt)
	return &v, err
}

// InsightGrant is one grant of a view or dashboard.
type InsightGrant struct {
	UserID *int64
	OrgID  *int64
	Global bool
}

// ViewSeries is a series as a view shows it.
type ViewSeries struct {
	ViewID   int
	Series   *InsightSeries
	Label    string
	Stroke   string
	Position int
}

// ViewSeriesLink attaches a series to a view.
type ViewSeriesLink struct {
	SeriesID int // insight_series.id
	Label    string
	Stroke   string
}

// CreateView inserts a view with its series and grants, and puts it on dashboards.
func (is *InsightsStore) CreateView(ctx context.Context, v *InsightView, series []ViewSeriesLink, grants []InsightGrant, dashboardIDs []int) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		t := tx.Insights()
		if err := tx.queryRow(ctx, sqlf.Sprintf(`INSERT INTO insight_view (unique_id, title, description, default_filter_include_repo_regex,
default_filter_exclude_repo_regex, default_filter_search_contexts, presentation_type, other_threshold, series_sort_mode, series_sort_direction,
series_limit, series_num_samples, is_frozen, created_by_user_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id, created_at`,
			v.UniqueID, v.Title, v.Description, nullIfEmpty(v.Filters.IncludeRepoRegex), nullIfEmpty(v.Filters.ExcludeRepoRegex),
			v.Filters.SearchContexts, v.PresentationType, v.OtherThreshold, nullIfEmpty(v.SortMode), nullIfEmpty(v.SortDirection),
			v.Limit, v.NumSamples, v.IsFrozen, v.CreatedByUserID)).Scan(&v.ID, &v.CreatedAt); err != nil {
			return fmt.Errorf("inserting insight view: %w", err)
		}
		if err := t.setViewSeries(ctx, v.ID, series); err != nil {
			return err
		}
		if err := t.setGrants(ctx, "insight_view_grants", "insight_view_id", v.ID, grants); err != nil {
			return err
		}
		for _, d := range dashboardIDs {
			if err := t.AddViewToDashboard(ctx, d, v.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateView saves a view's presentation, filters and display options and replaces its
// series; series no view uses any more are retired.
func (is *InsightsStore) UpdateView(ctx context.Context, v *InsightView, series []ViewSeriesLink) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		t := tx.Insights()
		tag, err := tx.exec(ctx, sqlf.Sprintf(`UPDATE insight_view SET title = %s, description = %s, default_filter_include_repo_regex = %s,
default_filter_exclude_repo_regex = %s, default_filter_search_contexts = %s, other_threshold = %s, series_sort_mode = %s,
series_sort_direction = %s, series_limit = %s, series_num_samples = %s WHERE id = %s`,
			v.Title, v.Description, nullIfEmpty(v.Filters.IncludeRepoRegex), nullIfEmpty(v.Filters.ExcludeRepoRegex), v.Filters.SearchContexts,
			v.OtherThreshold, nullIfEmpty(v.SortMode), nullIfEmpty(v.SortDirection), v.Limit, v.NumSamples, v.ID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("insight view %d", v.ID)
		}
		if series == nil {
			return nil
		}
		old, err := t.viewSeriesIDs(ctx, v.ID)
		if err != nil {
			return err
		}
		if err := t.setViewSeries(ctx, v.ID, series); err != nil {
			return err
		}
		return t.deleteUnreferencedSeries(ctx, old)
	})
}

// SetViewFrozen freezes (makes read-only) or unfreezes a view.
func (is *InsightsStore) SetViewFrozen(ctx context.Context, id int, frozen bool) error {
	tag, err := is.s.exec(ctx, sqlf.Sprintf("UPDATE insight_view SET is_frozen = %s WHERE id = %s", frozen, id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("insight view %d", id)
	}
	return err
}

func (is *InsightsStore) viewSeriesIDs(ctx context.Context, viewID int) ([]int, error) {
	return collect(ctx, is.s, sqlf.Sprintf("SELECT insight_series_id FROM insight_view_series WHERE insight_view_id = %s", viewID), scanInt)
}

func scanInt(row pgx.Row) (int, error) {
	var n int
	err := row.Scan(&n)
	return n, err
}

func (is *InsightsStore) setViewSeries(ctx context.Context, viewID int, series []ViewSeriesLink) error {
	if _, err := is.s.exec(ctx, sqlf.Sprintf("DELETE FROM insight_view_series WHERE insight_view_id = %s", viewID)); err != nil {
		return err
	}
	for i, l := range series {
		if _, err := is.s.exec(ctx, sqlf.Sprintf(`INSERT INTO insight_view_series (insight_view_id, insight_series_id, label, stroke, position)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (insight_view_id, insight_series_id) DO UPDATE SET label = EXCLUDED.label, stroke = EXCLUDED.stroke`,
			viewID, l.SeriesID, l.Label, l.Stroke, i)); err != nil {
			return fmt.Errorf("attaching series %d to view %d: %w", l.SeriesID, viewID, err)
		}
	}
	return nil
}

func (is *InsightsStore) setGrants(ctx context.Context, table, fk string, id int, grants []InsightGrant) error {
	if _, err := is.s.exec(ctx, sqlf.Sprintf("DELETE FROM "+table+" WHERE "+fk+" = %s", id)); err != nil {
		return err
	}
	for _, g := range grants {
		var global *bool
		if g.Global {
			t := true
			global = &t
		}
		if _, err := is.s.exec(ctx, sqlf.Sprintf("INSERT INTO "+table+" ("+fk+", user_id, org_id, global) VALUES (%s, %s, %s, %s)", id, g.UserID, g.OrgID, global)); err != nil {
			return fmt.Errorf("inserting grant: %w", err)
		}
	}
	return nil
}

// ViewGrants returns a view's grants.
func (is *InsightsStore) ViewGrants(ctx context.Context, viewID int) ([]InsightGrant, error) {
	return is.grants(ctx, "insight_view_grants", "insight_view_id", viewID)
}

// DashboardGrants returns a dashboard's grants.
func (is *InsightsStore) DashboardGrants(ctx context.Context, dashboardID int) ([]InsightGrant, error) {
	return is.grants(ctx, "dashboard_grants", "dashboard_id", dashboardID)
}

func (is *InsightsStore) grants(ctx context.Context, table, fk string, id int) ([]InsightGrant, error) {
	return collect(ctx, is.s, sqlf.Sprintf("SELECT user_id, org_id, coalesce(global, false) FROM "+table+" WHERE "+fk+" = %s ORDER BY id", id), func(row pgx.Row) (InsightGrant, error) {
		var g InsightGrant
		err := row.Scan(&g.UserID, &g.OrgID, &g.Global)
		return g, err
	})
}

// ViewListOptions select views.
type ViewListOptions struct {
	ID          int // only this view
	UniqueID    string
	ExcludeIDs  []int
	Find        string // in the title or a series label
	IsFrozen    *bool
	DashboardID int // only views on this dashboard
	AfterID     int
	Limit       int
	// All skips the grant check (site admin tools, the export of a view already
	// checked).
	All bool
}

func (o ViewListOptions) where(v InsightsViewer) *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if !o.All {
		conds = append(conds, viewVisibleCond(v))
	}
	if o.ID != 0 {
		conds = append(conds, sqlf.Sprintf("v.id = %s", o.ID))
	}
	if o.UniqueID != "" {
		conds = append(conds, sqlf.Sprintf("v.unique_id = %s", o.UniqueID))
	}
	if len(o.ExcludeIDs) > 0 {
		conds = append(conds, sqlf.Sprintf("NOT (v.id = ANY(%s))", o.ExcludeIDs))
	}
	if o.Find != "" {
		pat := "%" + escapeLike(o.Find) + "%"
		conds = append(conds, sqlf.Sprintf("(v.title ILIKE %s OR EXISTS (SELECT 1 FROM insight_view_series vs WHERE vs.insight_view_id = v.id AND vs.label ILIKE %s))", pat, pat))
	}
	if o.IsFrozen != nil {
		conds = append(conds, sqlf.Sprintf("v.is_frozen = %s", *o.IsFrozen))
	}
	if o.DashboardID != 0 {
		conds = append(conds, sqlf.Sprintf("EXISTS (SELECT 1 FROM dashboard_insight_view div WHERE div.insight_view_id = v.id AND div.dashboard_id = %s)", o.DashboardID))
	}
	return sqlf.Join(conds, " AND ")
}

// ListViews returns the views the viewer may see, by id.
func (is *InsightsStore) ListViews(ctx context.Context, v InsightsViewer, opts ViewListOptions) ([]*InsightView, error) {
	conds := []*sqlf.Query{opts.where(v)}
	if opts.AfterID > 0 {
		conds = append(conds, sqlf.Sprintf("v.id > %s", opts.AfterID))
	}
	limit := sqlf.Sprintf("")
	if opts.Limit > 0 {
		limit = sqlf.Sprintf("LIMIT %s", opts.Limit)
	}
	return collect(ctx, is.s, sqlf.Sprintf("SELECT "+viewColumns+" FROM insight_view v WHERE %s ORDER BY v.id %s", sqlf.Join(conds, " AND "), limit), scanView)
}

// CountViews counts the views ListViews would return without the page.
func (is *InsightsStore) CountViews(ctx context.Context, v InsightsViewer, opts ViewListOptions) (int, error) {
	return is.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM insight_view v WHERE %s", opts.where(v)))
}

// GetView returns a view the viewer may see (any view with all).
func (is *InsightsStore) GetView(ctx context.Context, v InsightsViewer, id int, all bool) (*InsightView, error) {
	views, err := is.ListViews(ctx, v, ViewListOptions{ID: id, All: all})
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, notFound("insight view %d", id)
	}
	return views[0], nil
}

// ViewSeries returns the series of views, in each view's order.
func (is *InsightsStore) ViewSeries(ctx context.Context, viewIDs []int) (map[int][]*ViewSeries, error) {
	rows, err := collect(ctx, is.s, sqlf.Sprintf(`SELECT vs.insight_view_id, vs.label, vs.stroke, vs.position, `+seriesColumns+`
FROM insight_view_series vs JOIN insight_series s ON s.id = vs.insight_series_id
WHERE vs.insight_view_id = ANY(%s) ORDER BY vs.insight_view_id, vs.position, s.id`, viewIDs), func(row pgx.Row) (*ViewSeries, error) {
		var vs ViewSeries
		var s InsightSeries
		err := row.Scan(&vs.ViewID, &vs.Label, &vs.Stroke, &vs.Position,
			&s.ID, &s.SeriesID, &s.Query, &s.Repositories, &s.RepositoryCriteria, &s.IntervalUnit, &s.IntervalValue,
			&s.GenerationMethod, &s.GeneratedFromCaptureGroups, &s.GroupBy, &s.Enabled, &s.CreatedAt, &s.DeletedAt,
			&s.NextRecordingAfter, &s.NextSnapshotAfter, &s.LastRecordedAt, &s.LastSnapshotAt, &s.BackfillQueuedAt, &s.BackfillCompletedAt)
		vs.Series = &s
		return &vs, err
	})
	if err != nil {
		return nil, err
	}
	out := map[int][]*ViewSeries{}
	for _, r := range rows {
		out[r.ViewID] = append(out[r.ViewID], r)
	}
	return out, nil
}

// DeleteView deletes a view and retires the series no other view uses.
func (is *InsightsStore) DeleteView(ctx context.Context, id int) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		t := tx.Insights()
		series, err := t.viewSeriesIDs(ctx, id)
		if err != nil {
			return err
		}
		tag, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM insight_view WHERE id = %s", id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("insight view %d", id)
		}
		return t.deleteUnreferencedSeries(ctx, series)
	})
}

// DashboardReferenceCount counts the live dashboards holding a view, regardless of
// permissions.
func (is *InsightsStore) DashboardReferenceCount(ctx context.Context, viewID int) (int, error) {
	return is.s.count(ctx, sqlf.Sprintf(`SELECT count(*) FROM dashboard_insight_view div JOIN dashboard d ON d.id = div.dashboard_id
WHERE div.insight_view_id = %s AND d.deleted_at IS NULL`, viewID))
}

// Dashboard is a row of dashboard.
type Dashboard struct {
	ID              int
	Title           string
	CreatedByUserID *int64
	CreatedAt       time.Time
	LastUpdatedAt   time.Time
}

const dashboardColumns = "d.id, d.title, d.created_by_user_id, d.created_at, d.last_updated_at"

func scanDashboard(row pgx.Row) (*Dashboard, error) {
	var d Dashboard
	err := row.Scan(&d.ID, &d.Title, &d.CreatedByUserID, &d.CreatedAt, &d.LastUpdatedAt)
	return &d, err
}

// CreateDashboard inserts a dashboard with its grants.
func (is *InsightsStore) CreateDashboard(ctx context.Context, title string, grants []InsightGrant, createdBy int64) (*Dashboard, error) {
	var d *Dashboard
	err := is.s.Transact(ctx, func(tx *Store) error {
		var err error
		d, err = scanDashboard(tx.queryRow(ctx, sqlf.Sprintf("INSERT INTO dashboard AS d (title, created_by_user_id) VALUES (%s, %s) RETURNING "+dashboardColumns, title, createdBy)))
		if err != nil {
			return err
		}
		return tx.Insights().setGrants(ctx, "dashboard_grants", "dashboard_id", d.ID, grants)
	})
	return d, err
}

// UpdateDashboard changes a dashboard's title (when not nil) and grants (when not nil).
func (is *InsightsStore) UpdateDashboard(ctx context.Context, id int, title *string, grants []InsightGrant) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		tag, err := tx.exec(ctx, sqlf.Sprintf("UPDATE dashboard SET title = coalesce(%s, title), last_updated_at = now() WHERE id = %s AND deleted_at IS NULL", title, id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("insights dashboard %d", id)
		}
		if grants == nil {
			return nil
		}
		return tx.Insights().setGrants(ctx, "dashboard_grants", "dashboard_id", id, grants)
	})
}

// DeleteDashboard soft-deletes a dashboard.
func (is *InsightsStore) DeleteDashboard(ctx context.Context, id int) error {
	tag, err := is.s.exec(ctx, sqlf.Sprintf("UPDATE dashboard SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL", id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("insights dashboard %d", id)
	}
	return err
}

// DashboardListOptions select dashboards.
type DashboardListOptions struct {
	ID      int
	ViewID  int // only dashboards holding this view
	AfterID int
	Limit   int
}

// ListDashboards returns the dashboards the viewer may see, by id.
func (is *InsightsStore) ListDashboards(ctx context.Context, v InsightsViewer, opts DashboardListOptions) ([]*Dashboard, error) {
	conds := []*sqlf.Query{dashboardVisibleCond(v)}
	if opts.ID != 0 {
		conds = append(conds, sqlf.Sprintf("d.id = %s", opts.ID))
	}
	if opts.ViewID != 0 {
		conds = append(conds, sqlf.Sprintf("EXISTS (SELECT 1 FROM dashboard_insight_view div WHERE div.dashboard_id = d.id AND div.insight_view_id = %s)", opts.ViewID))
	}
	if opts.AfterID > 0 {
		conds = append(conds, sqlf.Sprintf("d.id > %s", opts.AfterID))
	}
	limit := sqlf.Sprintf("")
	if opts.Limit > 0 {
		limit = sqlf.Sprintf("LIMIT %s", opts.Limit)
	}
	return collect(ctx, is.s, sqlf.Sprintf("SELECT "+dashboardColumns+" FROM dashboard d WHERE %s ORDER BY d.id %s", sqlf.Join(conds, " AND "), limit), scanDashboard)
}

// GetDashboard returns a dashboard the viewer may see.
func (is *InsightsStore) GetDashboard(ctx context.Context, v InsightsViewer, id int) (*Dashboard, error) {
	ds, err := is.ListDashboards(ctx, v, DashboardListOptions{ID: id})
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, notFound("insights dashboard %d", id)
	}
	return ds[0], nil
}

// AddViewToDashboard puts a view on a dashboard (idempotent).
func (is *InsightsStore) AddViewToDashboard(ctx context.Context, dashboardID, viewID int) error {
	_, err := is.s.exec(ctx, sqlf.Sprintf("INSERT INTO dashboard_insight_view (dashboard_id, insight_view_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", dashboardID, viewID))
	if err != nil {
		return fmt.Errorf("adding view %d to dashboard %d: %w", viewID, dashboardID, err)
	}
	return nil
}

// RemoveViewFromDashboard takes a view off a dashboard.
func (is *InsightsStore) RemoveViewFromDashboard(ctx context.Context, dashboardID, viewID int) error {
	_, err := is.s.exec(ctx, sqlf.Sprintf("DELETE FROM dashboard_insight_view WHERE dashboard_id = %s AND insight_view_id = %s", dashboardID, viewID))
	return err
}

// Transact runs fn with an insights store bound to a new transaction.
func (is *InsightsStore) Transact(ctx context.Context, fn func(tx *InsightsStore) error) error {
	return is.s.Transact(ctx, func(tx *Store) error { return fn(tx.Insights()) })
}

// ViewsUsingSearchContext returns the titles of views whose default filters name the
// search context (so deleting it would break them).
func (is *InsightsStore) ViewsUsingSearchContext(ctx context.Context, name string) ([]string, error) {
	// Filters are saved as written ("context:Backend", " backend") and read as context
	// names are (case-insensitive, trimmed, without the prefix): compare them so.
	return collect(ctx, is.s, sqlf.Sprintf(`SELECT coalesce(nullif(title, ''), unique_id) FROM insight_view v
WHERE EXISTS (SELECT 1 FROM unnest(v.default_filter_search_contexts) c
  WHERE lower(btrim(regexp_replace(btrim(c), '^context:', ''))) = lower(btrim(%s)))
ORDER BY id`, name), func(row pgx.Row) (string, error) {
		var t string
		err := row.Scan(&t)
		return t, err
	})
}
