package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Backfill states (insight_series_backfill.backfill_state).
const (
	BackfillNew        = "new"
	BackfillProcessing = "processing"
	BackfillCompleted  = "completed"
	BackfillFailed     = "failed"
)

// InsightBackfill is a row of insight_series_backfill: the backfill of one series, and
// the queue row its handler runs from.
type InsightBackfill struct {
	ID             int
	SeriesID       int
	BackfillState  string
	EstimatedCost  *float64
	Priority       int
	RepoIteratorID *int
	CreatedAt      time.Time
	// The job columns.
	State          string
	FailureMessage *string
	QueuedAt       time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	NumFailures    int
	NumResets      int
}

// RecordID makes a backfill a workerutil record.
func (b *InsightBackfill) RecordID() int64 { return int64(b.ID) }

// BackfillColumns are the columns ScanBackfill reads, for the workerutil store (alias b).
var BackfillColumns = []string{"b.id", "b.series_id", "b.backfill_state", "b.estimated_cost", "b.priority", "b.repo_iterator_id", "b.created_at",
	"b.state", "b.failure_message", "b.queued_at", "b.started_at", "b.finished_at", "b.num_failures", "b.num_resets"}

// BackfillOrder is the dequeue order: admin priority, then cheapest first (new
// backfills, whose cost is not estimated yet, before all).
const BackfillOrder = "b.priority, b.estimated_cost NULLS FIRST, b.id"

// ScanBackfill reads BackfillColumns.
func ScanBackfill(row pgx.CollectableRow) (*InsightBackfill, error) { return scanBackfill(row) }

func scanBackfill(row pgx.Row) (*InsightBackfill, error) {
	var b InsightBackfill
	err := row.Scan(&b.ID, &b.SeriesID, &b.BackfillState, &b.EstimatedCost, &b.Priority, &b.RepoIteratorID, &b.CreatedAt,
		&b.State, &b.FailureMessage, &b.QueuedAt, &b.StartedAt, &b.FinishedAt, &b.NumFailures, &b.NumResets)
	return &b, err
}

func backfillSelect() string {
	s := ""
	for i, c := range BackfillColumns {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// CreateBackfill queues a new backfill of a series and marks the series as backfilling.
func (is *InsightsStore) CreateBackfill(ctx context.Context, seriesID int) (*InsightBackfill, error) {
	var b *InsightBackfill
	err := is.s.Transact(ctx, func(tx *Store) error {
		var err error
		b, err = scanBackfill(tx.queryRow(ctx, sqlf.Sprintf("INSERT INTO insight_series_backfill AS b (series_id) VALUES (%s) RETURNING "+backfillSelect(), seriesID)))
		if err != nil {
			return fmt.Errorf("queueing backfill: %w", err)
		}
		_, err = tx.exec(ctx, sqlf.Sprintf("UPDATE insight_series SET backfill_queued_at = now(), backfill_completed_at = NULL WHERE id = %s", seriesID))
		return err
	})
	return b, err
}

// GetBackfill returns a backfill by id.
func (is *InsightsStore) GetBackfill(ctx context.Context, id int) (*InsightBackfill, error) {
	b, err := scanBackfill(is.s.queryRow(ctx, sqlf.Sprintf("SELECT "+backfillSelect()+" FROM insight_series_backfill b WHERE b.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("insight backfill %d", id)
	}
	return b, err
}

// LatestBackfills returns the newest backfill of each series that has one.
func (is *InsightsStore) LatestBackfills(ctx context.Context, seriesIDs []int) (map[int]*InsightBackfill, error) {
	rows, err := collect(ctx, is.s, sqlf.Sprintf("SELECT DISTINCT ON (b.series_id) "+backfillSelect()+" FROM insight_series_backfill b WHERE b.series_id = ANY(%s) ORDER BY b.series_id, b.id DESC", seriesIDs), scanBackfill)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*InsightBackfill, len(rows))
	for _, b := range rows {
		out[b.SeriesID] = b
	}
	return out, nil
}

// RepoIterator is a row of repo_iterator: a backfill's plan of repositories and its
// progress through them.
type RepoIterator struct {
	ID              int
	CreatedAt       time.Time
	StartedAt       *time.Time
	CompletedAt     *time.Time
	LastUpdatedAt   time.Time
	Runtime         time.Duration
	PercentComplete float64
	TotalCount      int
	SuccessCount    int
	Repos           []int64
	Cursor          int
	Searches        int
	PointsReused    int
	PointsSkipped   int
}

const iteratorColumns = `id, created_at, started_at, completed_at, last_updated_at, runtime_duration, percent_complete, total_count, success_count,
repos, repo_cursor, searches, points_reused, points_skipped`

func scanIterator(row pgx.Row) (*RepoIterator, error) {
	var it RepoIterator
	var micros int64
	err := row.Scan(&it.ID, &it.CreatedAt, &it.StartedAt, &it.CompletedAt, &it.LastUpdatedAt, &micros, &it.PercentComplete, &it.TotalCount,
		&it.SuccessCount, &it.Repos, &it.Cursor, &it.Searches, &it.PointsReused, &it.PointsSkipped)
	it.Runtime = time.Duration(micros) * time.Microsecond
	return &it, err
}

// StartBackfill moves a new backfill to processing with its plan: the repositories to
// go through, in order, and the estimated cost that orders it in the queue.
func (is *InsightsStore) StartBackfill(ctx context.Context, id int, repos []int64, cost float64) (*RepoIterator, error) {
	if repos == nil {
		repos = []int64{}
	}
	var it *RepoIterator
	err := is.s.Transact(ctx, func(tx *Store) error {
		var err error
		it, err = scanIterator(tx.queryRow(ctx, sqlf.Sprintf("INSERT INTO repo_iterator (repos, total_count, started_at) VALUES (%s, %s, now()) RETURNING "+iteratorColumns, repos, len(repos))))
		if err != nil {
			return err
		}
		tag, err := tx.exec(ctx, sqlf.Sprintf("UPDATE insight_series_backfill SET backfill_state = 'processing', estimated_cost = %s, repo_iterator_id = %s WHERE id = %s AND backfill_state = 'new'", cost, it.ID, id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("backfill %d is no longer new: %w", id, ErrConflict)
		}
		return nil
	})
	return it, err
}

// ErrConflict is returned when a row changed under a writer that expected it not to
// (another worker got there first).
var ErrConflict = errors.New("concurrent update")

// GetIterator returns a repo_iterator row.
func (is *InsightsStore) GetIterator(ctx context.Context, id int) (*RepoIterator, error) {
	it, err := scanIterator(is.s.queryRow(ctx, sqlf.Sprintf("SELECT "+iteratorColumns+" FROM repo_iterator WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("repo iterator %d", id)
	}
	return it, err
}

// RepoIteratorError is a repository a backfill could not count.
type RepoIteratorError struct {
	RepoID       int64
	Messages     []string
	FailureCount int
	// Terminal errors are not retried (until an admin retries the backfill).
	Terminal bool
}

// IteratorErrors returns the repository errors of an iterator.
func (is *InsightsStore) IteratorErrors(ctx context.Context, iteratorID int) ([]RepoIteratorError, error) {
	return collect(ctx, is.s, sqlf.Sprintf("SELECT repo_id, error_message, failure_count, terminal FROM repo_iterator_errors WHERE repo_iterator_id = %s ORDER BY id", iteratorID),
		func(row pgx.Row) (RepoIteratorError, error) {
			var e RepoIteratorError
			err := row.Scan(&e.RepoID, &e.Messages, &e.FailureCount, &e.Terminal)
			return e, err
		})
}

// BackfillPage is the outcome of a page of repositories of a backfill, committed at once
// with the iterator's progress.
type BackfillPage struct {
	IteratorID int
	// FromCursor is the cursor the page started at, ToCursor the one after it. The
	// commit fails with ErrConflict when the cursor is no longer FromCursor (another
	// worker committed this page), so a page is never counted twice.
	FromCursor, ToCursor int
	Points               []SeriesPoint
	Incomplete           []IncompletePoint
	Errors               []RepoIteratorError
	// Succeeded are the repositories fully counted: their incomplete points at Times
	// (the backfill's sample times) are cleared.
	Succeeded []int64
	Times     []time.Time
	SeriesID  int
	Searches  int
	Reused    int
	Skipped   int
	Elapsed   time.Duration
}

// CommitBackfillPage writes a page's points, incomplete points and errors and advances
// the iterator, in one transaction.
func (is *InsightsStore) CommitBackfillPage(ctx context.Context, p BackfillPage) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		tag, err := tx.exec(ctx, sqlf.Sprintf(`UPDATE repo_iterator SET repo_cursor = %s, success_count = success_count + %s,
searches = searches + %s, points_reused = points_reused + %s, points_skipped = points_skipped + %s,
runtime_duration = runtime_duration + %s, last_updated_at = now(),
percent_complete = CASE WHEN total_count = 0 THEN 1 ELSE least(1, %s::float8 / total_count) END
WHERE id = %s AND repo_cursor = %s`, p.ToCursor, len(p.Succeeded), p.Searches, p.Reused, p.Skipped, p.Elapsed.Microseconds(),
			p.ToCursor, p.IteratorID, p.FromCursor))
		if err != nil {
			return fmt.Errorf("advancing repo iterator: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("repo iterator %d is no longer at %d: %w", p.IteratorID, p.FromCursor, ErrConflict)
		}
		t := tx.Insights()
		if err := t.WritePoints(ctx, p.Points); err != nil {
			return err
		}
		if err := t.ClearIncompletePoints(ctx, p.SeriesID, p.Times, p.Succeeded, false); err != nil {
			return err
		}
		if err := t.AddIncompletePoints(ctx, p.Incomplete); err != nil {
			return err
		}
		for _, e := range p.Errors {
			if _, err := tx.exec(ctx, sqlf.Sprintf(`INSERT INTO repo_iterator_errors (repo_iterator_id, repo_id, error_message, failure_count, terminal)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (repo_iterator_id, repo_id) DO UPDATE SET
error_message = repo_iterator_errors.error_message || EXCLUDED.error_message,
failure_count = repo_iterator_errors.failure_count + EXCLUDED.failure_count, terminal = EXCLUDED.terminal`,
				p.IteratorID, e.RepoID, e.Messages, e.FailureCount, e.Terminal)); err != nil {
				return fmt.Errorf("recording repository error: %w", err)
			}
		}
		return nil
	})
}

// TerminalErrorCount counts the repositories an iterator gave up on.
func (is *InsightsStore) TerminalErrorCount(ctx context.Context, iteratorID int) (int, error) {
	return is.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM repo_iterator_errors WHERE repo_iterator_id = %s AND terminal", iteratorID))
}

// FinishBackfill ends a backfill as completed or failed.
func (is *InsightsStore) FinishBackfill(ctx context.Context, id int, state string) error {
	if state != BackfillCompleted && state != BackfillFailed {
		return fmt.Errorf("invalid final backfill state %q", state)
	}
	return is.s.Transact(ctx, func(tx *Store) error {
		b, err := scanBackfill(tx.queryRow(ctx, sqlf.Sprintf("UPDATE insight_series_backfill b SET backfill_state = %s WHERE b.id = %s RETURNING "+backfillSelect(), state, id)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("insight backfill %d", id)
		}
		if err != nil {
			return err
		}
		if b.RepoIteratorID != nil {
			if _, err := tx.exec(ctx, sqlf.Sprintf("UPDATE repo_iterator SET completed_at = now() WHERE id = %s", *b.RepoIteratorID)); err != nil {
				return err
			}
		}
		if state == BackfillCompleted {
			_, err = tx.exec(ctx, sqlf.Sprintf("UPDATE insight_series SET backfill_completed_at = now() WHERE id = %s", b.SeriesID))
		}
		return err
	})
}

// BackfillQueuePositions returns the 1-based position of each waiting or running backfill
// in dequeue order.
func (is *InsightsStore) BackfillQueuePositions(ctx context.Context, ids []int) (map[int]int, error) {
	rows, err := is.s.query(ctx, sqlf.Sprintf(`SELECT id, pos FROM (
  SELECT b.id, row_number() OVER (ORDER BY `+BackfillOrder+`) AS pos FROM insight_series_backfill b
  WHERE b.state IN ('queued', 'errored', 'processing') AND b.backfill_state IN ('new', 'processing')
) q WHERE id = ANY(%s)`, ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var id, pos int
		if err := rows.Scan(&id, &pos); err != nil {
			return nil, err
		}
		out[id] = pos
	}
	return out, rows.Err()
}

// MoveBackfill puts a backfill at the front (or back) of the queue.
func (is *InsightsStore) MoveBackfill(ctx context.Context, id int, front bool) error {
	agg := "max(priority) + 1"
	if front {
		agg = "min(priority) - 1"
	}
	tag, err := is.s.exec(ctx, sqlf.Sprintf(`UPDATE insight_series_backfill SET priority = (SELECT coalesce(`+agg+`, 0) FROM insight_series_backfill WHERE id <> %s)
WHERE id = %s`, id, id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("insight backfill %d", id)
	}
	return err
}

// RetryBackfill queues a failed backfill again: the repositories it gave up on go back
// to the end of its plan, and it continues from where it stopped.
func (is *InsightsStore) RetryBackfill(ctx context.Context, id int) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		b, err := scanBackfill(tx.queryRow(ctx, sqlf.Sprintf("SELECT "+backfillSelect()+" FROM insight_series_backfill b WHERE b.id = %s FOR UPDATE", id)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("insight backfill %d", id)
		}
		if err != nil {
			return err
		}
		// A backfill fails by its error threshold, or when its job failed for good.
		jobFailed := b.State == "failed" || b.State == "canceled"
		if b.BackfillState != BackfillFailed && !jobFailed {
			return fmt.Errorf("only a failed backfill can be retried (this one is %s)", b.BackfillState)
		}
		state := BackfillNew
		if b.RepoIteratorID != nil {
			state = BackfillProcessing
			failed, err := collect(ctx, tx, sqlf.Sprintf("DELETE FROM repo_iterator_errors WHERE repo_iterator_id = %s AND terminal RETURNING repo_id", *b.RepoIteratorID), func(row pgx.Row) (int64, error) {
				var id int64
				err := row.Scan(&id)
				return id, err
			})
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, sqlf.Sprintf(`UPDATE repo_iterator SET repos = repos || %s::bigint[], total_count = total_count + %s, completed_at = NULL,
percent_complete = CASE WHEN total_count + %s = 0 THEN 1 ELSE repo_cursor::float8 / (total_count + %s) END WHERE id = %s`,
				failed, len(failed), len(failed), len(failed), *b.RepoIteratorID)); err != nil {
				return err
			}
		}
		_, err = tx.exec(ctx, sqlf.Sprintf(`UPDATE insight_series_backfill SET backfill_state = %s, state = 'queued', failure_message = NULL,
num_failures = 0, num_resets = 0, process_after = NULL, queued_at = now(), finished_at = NULL WHERE id = %s`, state, id))
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, sqlf.Sprintf("UPDATE insight_series SET backfill_completed_at = NULL WHERE id = %s", b.SeriesID))
		return err
	})
}

// BackfillQueueItem is a backfill as the admin queue lists it.
type BackfillQueueItem struct {
	Backfill      *InsightBackfill
	Iterator      *RepoIterator // nil before planning
	Series        *InsightSeries
	ViewTitle     string
	SeriesLabel   string
	ViewCreatorID *int64
	Errors        []string
	QueuePosition *int
}

// BackfillQueueOptions filter and order the admin backfill queue.
type BackfillQueueOptions struct {
	ID         int      // only this backfill
	IDs        []int    // only these backfills
	States     []string // backfill states; "queued" means new or processing and waiting
	TextSearch string   // in the view title or series label
	// OrderByPosition orders by queue position instead of state.
	OrderByPosition bool
	Descending      bool
	Offset, Limit   int
}

func (o BackfillQueueOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("s.deleted_at IS NULL")}
	if o.ID != 0 {
		conds = append(conds, sqlf.Sprintf("b.id = %s", o.ID))
	}
	if o.IDs != nil {
		conds = append(conds, sqlf.Sprintf("b.id = ANY(%s)", o.IDs))
	}
	if len(o.States) > 0 {
		var ors []*sqlf.Query
		for _, st := range o.States {
			switch st {
			case "queued":
				ors = append(ors, sqlf.Sprintf("(b.backfill_state IN ('new', 'processing') AND b.state IN ('queued', 'errored'))"))
			case BackfillProcessing:
				ors = append(ors, sqlf.Sprintf("(b.backfill_state = 'processing' AND b.state = 'processing')"))
			default:
				ors = append(ors, sqlf.Sprintf("b.backfill_state = %s", st))
			}
		}
		conds = append(conds, sqlf.Sprintf("(%s)", sqlf.Join(ors, " OR ")))
	}
	if o.TextSearch != "" {
		pat := "%" + escapeLike(o.TextSearch) + "%"
		conds = append(conds, sqlf.Sprintf("(vw.title ILIKE %s OR vw.label ILIKE %s)", pat, pat))
	}
	return sqlf.Join(conds, " AND ")
}

const queueFrom = `FROM insight_series_backfill b JOIN insight_series s ON s.id = b.series_id
LEFT JOIN LATERAL (SELECT v.title, vs.label, v.created_by_user_id FROM insight_view_series vs JOIN insight_view v ON v.id = vs.insight_view_id
  WHERE vs.insight_series_id = s.id ORDER BY v.id LIMIT 1) vw ON true
LEFT JOIN (SELECT b2.id, row_number() OVER (ORDER BY b2.priority, b2.estimated_cost NULLS FIRST, b2.id) AS pos FROM insight_series_backfill b2
  WHERE b2.state IN ('queued', 'errored', 'processing') AND b2.backfill_state IN ('new', 'processing')) q ON q.id = b.id`

// ListBackfillQueue returns backfills of live series with their view, progress and
// position.
func (is *InsightsStore) ListBackfillQueue(ctx context.Context, opts BackfillQueueOptions) ([]*BackfillQueueItem, error) {
	dir := "ASC"
	if opts.Descending {
		dir = "DESC"
	}
	order := "CASE b.backfill_state WHEN 'processing' THEN 1 WHEN 'new' THEN 2 WHEN 'failed' THEN 3 ELSE 4 END " + dir + ", q.pos NULLS LAST, b.id"
	if opts.OrderByPosition {
		order = "q.pos " + dir + " NULLS LAST, b.id"
	}
	limit := sqlf.Sprintf("")
	if opts.Limit > 0 {
		limit = sqlf.Sprintf("LIMIT %s", opts.Limit)
	}
	items, err := collect(ctx, is.s, sqlf.Sprintf("SELECT "+backfillSelect()+", "+seriesColumns+`, coalesce(vw.title, ''), coalesce(vw.label, ''), vw.created_by_user_id, q.pos::int `+
		queueFrom+` WHERE %s ORDER BY `+order+` %s OFFSET %s`, opts.where(), limit, opts.Offset), func(row pgx.Row) (*BackfillQueueItem, error) {
		var b InsightBackfill
		var s InsightSeries
		it := &BackfillQueueItem{Backfill: &b, Series: &s}
		err := row.Scan(&b.ID, &b.SeriesID, &b.BackfillState, &b.EstimatedCost, &b.Priority, &b.RepoIteratorID, &b.CreatedAt,
			&b.State, &b.FailureMessage, &b.QueuedAt, &b.StartedAt, &b.FinishedAt, &b.NumFailures, &b.NumResets,
			&s.ID, &s.SeriesID, &s.Query, &s.Repositories, &s.RepositoryCriteria, &s.IntervalUnit, &s.IntervalValue,
			&s.GenerationMethod, &s.GeneratedFromCaptureGroups, &s.GroupBy, &s.Enabled, &s.CreatedAt, &s.DeletedAt,
			&s.NextRecordingAfter, &s.NextSnapshotAfter, &s.LastRecordedAt, &s.LastSnapshotAt, &s.BackfillQueuedAt, &s.BackfillCompletedAt,
			&it.ViewTitle, &it.SeriesLabel, &it.ViewCreatorID, &it.QueuePosition)
		return it, err
	})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.Backfill.RepoIteratorID == nil {
			continue
		}
		if it.Iterator, err = is.GetIterator(ctx, *it.Backfill.RepoIteratorID); err != nil {
			return nil, err
		}
		errs, err := is.IteratorErrors(ctx, it.Iterator.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range errs {
			it.Errors = append(it.Errors, e.Messages...)
		}
	}
	return items, nil
}

// CountBackfillQueue counts what ListBackfillQueue would return without the page.
func (is *InsightsStore) CountBackfillQueue(ctx context.Context, opts BackfillQueueOptions) (int, error) {
	return is.s.count(ctx, sqlf.Sprintf("SELECT count(*) "+queueFrom+" WHERE %s", opts.where()))
}

// GetBackfillQueueItem returns one backfill (of a live series) as the queue lists it.
func (is *InsightsStore) GetBackfillQueueItem(ctx context.Context, id int) (*BackfillQueueItem, error) {
	items, err := is.ListBackfillQueue(ctx, BackfillQueueOptions{ID: id})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, notFound("insight backfill %d", id)
	}
	return items[0], nil
}
