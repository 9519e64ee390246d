package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// SeriesPoint is one repository's value of a series at a time (for one captured value
// when the series has captures).
type SeriesPoint struct {
	SeriesID int // insight_series.id
	Time     time.Time
	RepoID   int64
	RepoName string
	Capture  string // "" when none
	Value    float64
	Commit   string // hex commit id the value was counted at; "" when unknown
}

type pointKey struct {
	series  int
	repo    int64
	time    time.Time
	capture string
}

// dedupePoints keeps one point per key, the largest, as a second recording of the same
// point would.
func dedupePoints(pts []SeriesPoint) []SeriesPoint {
	idx := make(map[pointKey]int, len(pts))
	out := pts[:0:0]
	for _, p := range pts {
		p.Time = p.Time.UTC()
		k := pointKey{p.SeriesID, p.RepoID, p.Time, p.Capture}
		if i, ok := idx[k]; ok {
			if p.Value > out[i].Value {
				out[i] = p
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.SeriesID != b.SeriesID {
			return a.SeriesID < b.SeriesID
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Capture != b.Capture {
			return a.Capture < b.Capture
		}
		return a.RepoID < b.RepoID
	})
	return out
}

// EnsureRepoNames returns the repo_names ids of names, inserting the missing ones.
func (is *InsightsStore) EnsureRepoNames(ctx context.Context, names []string) (map[string]int64, error) {
	uniq := map[string]bool{}
	var list []string
	for _, n := range names {
		if !uniq[n] {
			uniq[n] = true
			list = append(list, n)
		}
	}
	sort.Strings(list) // concurrent writers insert in the same order
	out := make(map[string]int64, len(list))
	if len(list) == 0 {
		return out, nil
	}
	if _, err := is.s.exec(ctx, sqlf.Sprintf("INSERT INTO repo_names (name) SELECT unnest(%s::text[]) ORDER BY 1 ON CONFLICT (name) DO NOTHING", list)); err != nil {
		return nil, fmt.Errorf("inserting repository names: %w", err)
	}
	rows, err := is.s.query(ctx, sqlf.Sprintf("SELECT id, name FROM repo_names WHERE name = ANY(%s)", list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[name] = id
	}
	return out, rows.Err()
}

func commitBytes(c string) []byte {
	if c == "" {
		return nil
	}
	b, err := hex.DecodeString(c)
	if err != nil {
		return nil
	}
	return b
}

type pointColumns struct {
	series       []int
	times        []time.Time
	repos, names []int64
	captures     []string
	values       []float64
	commits      [][]byte
}

func (is *InsightsStore) columnsOf(ctx context.Context, pts []SeriesPoint) (*pointColumns, error) {
	names := make([]string, len(pts))
	for i, p := range pts {
		names[i] = p.RepoName
	}
	ids, err := is.EnsureRepoNames(ctx, names)
	if err != nil {
		return nil, err
	}
	c := &pointColumns{}
	for _, p := range pts {
		c.series = append(c.series, p.SeriesID)
		c.times = append(c.times, p.Time)
		c.repos = append(c.repos, p.RepoID)
		c.names = append(c.names, ids[p.RepoName])
		c.captures = append(c.captures, p.Capture)
		c.values = append(c.values, p.Value)
		c.commits = append(c.commits, commitBytes(p.Commit))
	}
	return c, nil
}

// WritePoints records points. A point already recorded (same series, repository, time
// and capture) keeps the larger value, so writing the same points again changes
// nothing: job retries never count twice.
func (is *InsightsStore) WritePoints(ctx context.Context, pts []SeriesPoint) error {
	pts = dedupePoints(pts)
	if len(pts) == 0 {
		return nil
	}
	c, err := is.columnsOf(ctx, pts)
	if err != nil {
		return err
	}
	_, err = is.s.exec(ctx, sqlf.Sprintf(`INSERT INTO series_points AS p (series_id, time, repo_id, repo_name_id, capture, value, commit)
SELECT * FROM unnest(%s::integer[], %s::timestamptz[], %s::bigint[], %s::bigint[], %s::text[], %s::float8[], %s::bytea[])
ON CONFLICT (series_id, repo_id, time, capture) DO UPDATE SET value = EXCLUDED.value, commit = EXCLUDED.commit
WHERE EXCLUDED.value > p.value`, c.series, c.times, c.repos, c.names, c.captures, c.values, c.commits))
	if err != nil {
		return fmt.Errorf("writing %d points: %w", len(pts), err)
	}
	return nil
}

// ReplaceSnapshot makes pts the series' snapshot at t (a snapshot replaces the previous
// one) and records t as its snapshot time.
func (is *InsightsStore) ReplaceSnapshot(ctx context.Context, seriesID int, t time.Time, pts []SeriesPoint) error {
	return is.s.Transact(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM series_points_snapshots WHERE series_id = %s", seriesID)); err != nil {
			return err
		}
		// The previous snapshot's incomplete points go with it (its time is no
		// recording time, or it would not be a snapshot time).
		if _, err := tx.exec(ctx, sqlf.Sprintf(`DELETE FROM insight_series_incomplete_points ip USING insight_series_recording_times rt
WHERE ip.series_id = %s AND rt.series_id = ip.series_id AND rt.snapshot AND ip.time = rt.recording_time`, seriesID)); err != nil {
			return fmt.Errorf("clearing the previous snapshot's incomplete points: %w", err)
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM insight_series_recording_times WHERE series_id = %s AND snapshot", seriesID)); err != nil {
			return err
		}
		for i := range pts {
			pts[i].SeriesID, pts[i].Time = seriesID, t
		}
		pts = dedupePoints(pts)
		if len(pts) > 0 {
			c, err := tx.Insights().columnsOf(ctx, pts)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, sqlf.Sprintf(`INSERT INTO series_points_snapshots (series_id, time, repo_id, repo_name_id, capture, value, commit)
SELECT * FROM unnest(%s::integer[], %s::timestamptz[], %s::bigint[], %s::bigint[], %s::text[], %s::float8[], %s::bytea[])`,
				c.series, c.times, c.repos, c.names, c.captures, c.values, c.commits)); err != nil {
				return fmt.Errorf("writing snapshot: %w", err)
			}
		}
		// A snapshot at a time that is also a recording time stays a recording time.
		_, err := tx.exec(ctx, sqlf.Sprintf(`INSERT INTO insight_series_recording_times (series_id, recording_time, snapshot) VALUES (%s, %s, true)
ON CONFLICT DO NOTHING`, seriesID, t))
		return err
	})
}

// AddRecordingTimes records times at which a series has data.
func (is *InsightsStore) AddRecordingTimes(ctx context.Context, seriesID int, times []time.Time) error {
	if len(times) == 0 {
		return nil
	}
	utc := make([]time.Time, len(times))
	for i, t := range times {
		utc[i] = t.UTC()
	}
	_, err := is.s.exec(ctx, sqlf.Sprintf(`INSERT INTO insight_series_recording_times (series_id, recording_time, snapshot)
SELECT %s, unnest(%s::timestamptz[]), false
ON CONFLICT (series_id, recording_time) DO UPDATE SET snapshot = false`, seriesID, utc))
	return err
}

// RecordingTimes returns the recording times of series, oldest first.
func (is *InsightsStore) RecordingTimes(ctx context.Context, seriesIDs []int) (map[int][]time.Time, error) {
	rows, err := is.s.query(ctx, sqlf.Sprintf("SELECT series_id, recording_time FROM insight_series_recording_times WHERE series_id = ANY(%s) ORDER BY series_id, recording_time", seriesIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int][]time.Time{}
	for rows.Next() {
		var id int
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = append(out[id], t.UTC())
	}
	return out, rows.Err()
}

// RepoSet says which repositories' points a read counts: with Include, only those in
// IDs; otherwise all but those in IDs. The caller chooses the smaller form.
type RepoSet struct {
	Include bool
	IDs     []int64
}

// AggregatedPoint is a series' value at a time (for one capture): the sum over the
// counted repositories.
type AggregatedPoint struct {
	SeriesID int
	Time     time.Time
	Capture  string
	Value    float64
}

// snapshotOnly keeps snapshot rows at a time that is not also a recording time (where
// the recording's points count), so no repository counts twice at one time.
const snapshotOnly = `NOT EXISTS (SELECT 1 FROM insight_series_recording_times rt WHERE rt.series_id = sn.series_id AND rt.recording_time = sn.time AND NOT rt.snapshot)`

// ReadPoints returns the series' values at every time with data, recordings and
// snapshot together, counting only the repositories repos admits. Each repository
// contributes its one (largest) value per time and capture, and a (time, capture)
// that no counted repository has is left out, so nothing about repositories outside
// the set shows — not even a captured value.
//
// Without Include the sums start from series_points_totals and subtract the excluded
// repositories' rows, so the cost follows the number of excluded repositories rather
// than the number of points.
func (is *InsightsStore) ReadPoints(ctx context.Context, seriesIDs []int, repos RepoSet) ([]AggregatedPoint, error) {
	ids := repos.IDs
	if ids == nil {
		ids = []int64{}
	}
	var q *sqlf.Query
	if repos.Include {
		q = sqlf.Sprintf(`SELECT series_id, time, capture, sum(value) FROM series_points
WHERE series_id = ANY(%s) AND repo_id = ANY(%s) GROUP BY 1, 2, 3
UNION ALL
SELECT series_id, time, capture, sum(value) FROM series_points_snapshots sn
WHERE series_id = ANY(%s) AND repo_id = ANY(%s) AND `+snapshotOnly+` GROUP BY 1, 2, 3`, seriesIDs, ids, seriesIDs, ids)
	} else {
		q = sqlf.Sprintf(`WITH x AS (
  SELECT series_id, time, capture, sum(value) AS v, count(*) AS n FROM series_points
  WHERE series_id = ANY(%s) AND repo_id = ANY(%s) GROUP BY 1, 2, 3
)
SELECT t.series_id, t.time, t.capture, t.value - coalesce(x.v, 0)
FROM series_points_totals t LEFT JOIN x USING (series_id, time, capture)
WHERE t.series_id = ANY(%s) AND t.repos > coalesce(x.n, 0)
UNION ALL
SELECT series_id, time, capture, sum(value) FROM series_points_snapshots sn
WHERE series_id = ANY(%s) AND NOT (repo_id = ANY(%s)) AND `+snapshotOnly+` GROUP BY 1, 2, 3`, seriesIDs, ids, seriesIDs, seriesIDs, ids)
	}
	return collect(ctx, is.s, q, func(row pgx.Row) (AggregatedPoint, error) {
		var p AggregatedPoint
		err := row.Scan(&p.SeriesID, &p.Time, &p.Capture, &p.Value)
		p.Time = p.Time.UTC()
		return p, err
	})
}

// RepoValue is one repository's part of a point.
type RepoValue struct {
	RepoID   int64
	RepoName string
	Capture  string
	Value    float64
	Commit   string
}

// PointRepos returns the repositories making up a series' values at a time (recordings
// or snapshot), largest first, counting only the repositories repos admits; captures,
// when not nil, select the captured values (a pie's Other slice is several). limit 0
// means all.
func (is *InsightsStore) PointRepos(ctx context.Context, seriesID int, t time.Time, captures []string, repos RepoSet, limit int) ([]RepoValue, error) {
	ids := repos.IDs
	if ids == nil {
		ids = []int64{}
	}
	repoCond := sqlf.Sprintf("NOT (p.repo_id = ANY(%s))", ids)
	if repos.Include {
		repoCond = sqlf.Sprintf("p.repo_id = ANY(%s)", ids)
	}
	capCond := sqlf.Sprintf("TRUE")
	if captures != nil {
		capCond = sqlf.Sprintf("p.capture = ANY(%s)", captures)
	}
	lim := sqlf.Sprintf("")
	if limit > 0 {
		lim = sqlf.Sprintf("LIMIT %s", limit)
	}
	q := sqlf.Sprintf(`SELECT p.repo_id, rn.name, p.capture, p.value, p.commit FROM (
  SELECT repo_id, repo_name_id, capture, value, commit FROM series_points WHERE series_id = %s AND time = %s
  UNION ALL
  SELECT repo_id, repo_name_id, capture, value, commit FROM series_points_snapshots sn WHERE series_id = %s AND time = %s AND `+snapshotOnly+`
) p JOIN repo_names rn ON rn.id = p.repo_name_id
WHERE %s AND %s ORDER BY p.value DESC, rn.name, p.capture %s`, seriesID, t, seriesID, t, repoCond, capCond, lim)
	return collect(ctx, is.s, q, func(row pgx.Row) (RepoValue, error) {
		var v RepoValue
		var commit []byte
		err := row.Scan(&v.RepoID, &v.RepoName, &v.Capture, &v.Value, &commit)
		if len(commit) > 0 {
			v.Commit = hex.EncodeToString(commit)
		}
		return v, err
	})
}

// ExportRow is one line of a view's CSV export.
type ExportRow struct {
	SeriesID int
	Time     time.Time
	RepoName string
	Capture  string
	Value    float64
}

// ExportPoints streams the points of series (recordings and snapshot) in the
// repositories repos admits, by series, time and repository name.
func (is *InsightsStore) ExportPoints(ctx context.Context, seriesIDs []int, repos RepoSet, fn func(ExportRow) error) error {
	ids := repos.IDs
	if ids == nil {
		ids = []int64{}
	}
	repoCond := sqlf.Sprintf("NOT (p.repo_id = ANY(%s))", ids)
	if repos.Include {
		repoCond = sqlf.Sprintf("p.repo_id = ANY(%s)", ids)
	}
	rows, err := is.s.query(ctx, sqlf.Sprintf(`SELECT p.series_id, p.time, rn.name, p.capture, p.value FROM (
  SELECT series_id, time, repo_id, repo_name_id, capture, value FROM series_points WHERE series_id = ANY(%s)
  UNION ALL
  SELECT series_id, time, repo_id, repo_name_id, capture, value FROM series_points_snapshots sn WHERE series_id = ANY(%s) AND `+snapshotOnly+`
) p JOIN repo_names rn ON rn.id = p.repo_name_id
WHERE %s ORDER BY p.series_id, p.time, rn.name, p.capture`, seriesIDs, seriesIDs, repoCond))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r ExportRow
		if err := rows.Scan(&r.SeriesID, &r.Time, &r.RepoName, &r.Capture, &r.Value); err != nil {
			return err
		}
		r.Time = r.Time.UTC()
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountPoints counts the stored points of each series (recordings and snapshot).
func (is *InsightsStore) CountPoints(ctx context.Context, seriesIDs []int) (map[int]int, error) {
	rows, err := is.s.query(ctx, sqlf.Sprintf(`SELECT series_id, sum(repos)::bigint FROM series_points_totals WHERE series_id = ANY(%s) GROUP BY 1
UNION ALL SELECT series_id, count(*) FROM series_points_snapshots WHERE series_id = ANY(%s) GROUP BY 1`, seriesIDs, seriesIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var id int
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] += int(n)
	}
	return out, rows.Err()
}

// Incomplete point reasons.
const (
	IncompleteTimeout = "timeout"
	IncompleteGeneric = "generic"
)

// IncompletePoint marks a point known to miss data: one repository's (RepoID set) or a
// whole recording's.
type IncompletePoint struct {
	SeriesID int
	Reason   string
	Time     time.Time
	RepoID   *int64
	Message  string
}

// AddIncompletePoints records incomplete points (idempotent).
func (is *InsightsStore) AddIncompletePoints(ctx context.Context, pts []IncompletePoint) error {
	for _, p := range pts {
		if _, err := is.s.exec(ctx, sqlf.Sprintf(`INSERT INTO insight_series_incomplete_points (series_id, reason, time, repo_id, message)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (series_id, reason, time, repo_id) DO UPDATE SET message = EXCLUDED.message`,
			p.SeriesID, p.Reason, p.Time.UTC(), p.RepoID, p.Message)); err != nil {
			return fmt.Errorf("recording incomplete point: %w", err)
		}
	}
	return nil
}

// ClearIncompletePoints removes a series' incomplete points at times for repositories
// that were counted after all, and with whole also those of whole recordings at times.
func (is *InsightsStore) ClearIncompletePoints(ctx context.Context, seriesID int, times []time.Time, repoIDs []int64, whole bool) error {
	if len(times) == 0 || (len(repoIDs) == 0 && !whole) {
		return nil
	}
	utc := make([]time.Time, len(times))
	for i, t := range times {
		utc[i] = t.UTC()
	}
	if repoIDs == nil {
		repoIDs = []int64{}
	}
	_, err := is.s.exec(ctx, sqlf.Sprintf(`DELETE FROM insight_series_incomplete_points WHERE series_id = %s AND time = ANY(%s)
AND (repo_id = ANY(%s) OR (%s AND repo_id IS NULL))`, seriesID, utc, repoIDs, whole))
	if err != nil {
		return fmt.Errorf("clearing incomplete points: %w", err)
	}
	return nil
}

// IncompletePoints returns the incomplete points of series, by time.
func (is *InsightsStore) IncompletePoints(ctx context.Context, seriesIDs []int) ([]IncompletePoint, error) {
	return collect(ctx, is.s, sqlf.Sprintf(`SELECT series_id, reason, time, repo_id, message FROM insight_series_incomplete_points
WHERE series_id = ANY(%s) ORDER BY series_id, time, reason, repo_id NULLS FIRST`, seriesIDs), func(row pgx.Row) (IncompletePoint, error) {
		var p IncompletePoint
		err := row.Scan(&p.SeriesID, &p.Reason, &p.Time, &p.RepoID, &p.Message)
		p.Time = p.Time.UTC()
		return p, err
	})
}

// ArchiveOldRecordings keeps the newest keep recording times of a series (snapshot
// excluded) and moves older points and times to the archive tables; incomplete points
// older than the kept times go too (also those of recordings that failed, which have no
// recording time of their own). It returns the number of recording times archived.
func (is *InsightsStore) ArchiveOldRecordings(ctx context.Context, seriesID, keep int) (int, error) {
	var n int
	err := is.s.Transact(ctx, func(tx *Store) error {
		old, err := collect(ctx, tx, sqlf.Sprintf(`SELECT recording_time FROM insight_series_recording_times WHERE series_id = %s AND NOT snapshot
ORDER BY recording_time DESC OFFSET %s FOR UPDATE`, seriesID, keep), func(row pgx.Row) (time.Time, error) {
			var t time.Time
			err := row.Scan(&t)
			return t, err
		})
		if err != nil {
			return err
		}
		if keep > 0 {
			// Before the oldest kept time when the series has keep of them or more.
			if _, err := tx.exec(ctx, sqlf.Sprintf(`DELETE FROM insight_series_incomplete_points WHERE series_id = %s AND time < (
  SELECT min(recording_time) FROM (SELECT recording_time FROM insight_series_recording_times WHERE series_id = %s AND NOT snapshot
  ORDER BY recording_time DESC LIMIT %s) k HAVING count(*) >= %s)`, seriesID, seriesID, keep, keep)); err != nil {
				return fmt.Errorf("dropping old incomplete points: %w", err)
			}
		}
		if len(old) == 0 {
			return nil
		}
		n = len(old)
		if _, err := tx.exec(ctx, sqlf.Sprintf(`WITH moved AS (
  DELETE FROM series_points WHERE series_id = %s AND time = ANY(%s) RETURNING series_id, time, repo_id, repo_name_id, capture, value, commit
) INSERT INTO series_points_archive SELECT * FROM moved`, seriesID, old)); err != nil {
			return fmt.Errorf("archiving points: %w", err)
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf(`WITH moved AS (
  DELETE FROM insight_series_recording_times WHERE series_id = %s AND recording_time = ANY(%s) RETURNING series_id, recording_time
) INSERT INTO insight_series_recording_times_archive SELECT * FROM moved ON CONFLICT DO NOTHING`, seriesID, old)); err != nil {
			return fmt.Errorf("archiving recording times: %w", err)
		}
		_, err = tx.exec(ctx, sqlf.Sprintf("DELETE FROM insight_series_incomplete_points WHERE series_id = %s AND time = ANY(%s)", seriesID, old))
		return err
	})
	return n, err
}
