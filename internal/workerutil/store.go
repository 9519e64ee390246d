package workerutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lookout/lookout/internal/database"
)

// State is the value of a job's state column.
type State string

const (
	StateQueued     State = "queued"
	StateProcessing State = "processing"
	StateCompleted  State = "completed"
	StateErrored    State = "errored"
	StateFailed     State = "failed"
	StateCanceled   State = "canceled"
)

// NotifyChannel is the channel lookout_queue_notify() notifies, with the table name as payload.
const NotifyChannel = "lookout_queue"

// ResetFailureMessage is the failure message of a job failed by ResetStalled.
const ResetFailureMessage = "job processor died while handling this job too many times"

// StoreOptions describe a queue table and its retry policy.
type StoreOptions[T Record] struct {
	// Name names the queue in logs and metrics. Defaults to the table name.
	Name string
	// TableName is the queue table, optionally schema-qualified.
	TableName string
	// ViewName, when set, is a view read instead of the table to build records, so a record
	// can carry columns joined from other tables. It must have the table's id column. The
	// view is read in the same statement as the dequeue, so its copy of the job columns
	// shows them as they were before the dequeue (state 'queued', old started_at).
	ViewName string
	// Alias names the table (or view) in Columns and OrderBy. Defaults to the table name.
	Alias string
	// Columns are the SQL expressions selected for a record, in the order Scan reads them.
	// They are trusted SQL, never user input.
	Columns []string
	// Scan builds a record from one row of Columns.
	Scan pgx.RowToFunc[T]
	// OrderBy is the dequeue order, trusted SQL. Defaults to "queued_at, id"; the table's
	// partial dequeue index must have the same columns.
	OrderBy string
	// StalledMaxAge is how long a processing job may go without a heartbeat before
	// ResetStalled returns it to the queue. Defaults to DefaultStalledMaxAge.
	StalledMaxAge time.Duration
	// MaxNumResets is how many times a stalled job is reset; a stalled job that has been
	// reset this many times fails instead. 0 fails a job the first time it stalls.
	MaxNumResets int
	// MaxNumRetries bounds handler failures: the failure that brings num_failures to
	// MaxNumRetries fails the job for good, so a job runs at most MaxNumRetries times
	// (at least once). 0 and 1 both mean no retry.
	MaxNumRetries int
	// RetryAfter is how long an errored job waits before it is dequeued again.
	RetryAfter time.Duration
	// WorkerHostname identifies this store's worker in the worker_hostname column, and
	// guards every mark. Defaults to the host name plus a random suffix, unique per Store,
	// so two workers in one process never mark each other's jobs.
	WorkerHostname string
}

// Store is the SQL of one queue table. Its methods that change a job in processing are
// guarded by state = 'processing' and worker_hostname, and return ErrNotOwned when the
// job is no longer this worker's. It must not be used inside a transaction: a dequeue must
// commit at once so that other workers skip only the rows it really took.
type Store[T Record] struct {
	db       database.DB
	opts     StoreOptions[T]
	table    string // unqualified table name, the NOTIFY payload
	hostname string
	sql      storeSQL
}

type storeSQL struct {
	dequeue, heartbeat, completeOne, completeMany, errored, failed, canceled, requeue,
	release, addLog, updateLog, readLogs, resetStalled, queuedCount, countsByState,
	queueStats string
}

var (
	identPattern     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	qualIdentPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
	defaultOrderBy   = "queued_at, id"
)

// Recovery after a worker died: its jobs stay 'processing' until a resetter sees that
// their heartbeat is older than the stalled age, which takes at most
// DefaultStalledMaxAge + DefaultResetInterval (20 s; it was 1 minute plus 1 minute).
//
// The stalled age is three heartbeat intervals (DefaultHeartbeatInterval), so a live
// worker must miss three heartbeats in a row, one database restart of about ten seconds
// included, before its job is taken from it; and if that happens anyway, its next
// heartbeat finds the job gone and abandons it, so the job still runs to one outcome.
// Shorter ages would make a slow database or a paused process cost duplicate work (a
// handler runs again while the first run still goes on); longer ones only delay
// recovery. Heartbeats and resets are one small statement each per queue, and the reset
// scans only processing rows (a partial index), so the shorter intervals cost little.
const (
	DefaultStalledMaxAge     = 15 * time.Second
	DefaultHeartbeatInterval = DefaultStalledMaxAge / 3
	DefaultResetInterval     = 5 * time.Second
)

// NewStore checks opts and prepares the queue's SQL.
func NewStore[T Record](db database.DB, opts StoreOptions[T]) (*Store[T], error) {
	if db == nil {
		return nil, errors.New("workerutil: NewStore needs a database")
	}
	if !qualIdentPattern.MatchString(opts.TableName) {
		return nil, fmt.Errorf("workerutil: invalid table name %q", opts.TableName)
	}
	if opts.ViewName != "" && !qualIdentPattern.MatchString(opts.ViewName) {
		return nil, fmt.Errorf("workerutil: invalid view name %q", opts.ViewName)
	}
	parts := strings.Split(opts.TableName, ".")
	table := parts[len(parts)-1]
	if opts.Alias == "" {
		opts.Alias = table
	}
	if !identPattern.MatchString(opts.Alias) {
		return nil, fmt.Errorf("workerutil: invalid alias %q", opts.Alias)
	}
	if len(opts.Columns) == 0 || opts.Scan == nil {
		return nil, fmt.Errorf("workerutil: queue %s needs Columns and a Scan function", opts.TableName)
	}
	if opts.Name == "" {
		opts.Name = table
	}
	if opts.OrderBy == "" {
		opts.OrderBy = defaultOrderBy
	}
	if opts.StalledMaxAge <= 0 {
		opts.StalledMaxAge = DefaultStalledMaxAge
	}
	if opts.MaxNumResets < 0 || opts.MaxNumRetries < 0 || opts.RetryAfter < 0 {
		return nil, fmt.Errorf("workerutil: queue %s has negative retry options", opts.Name)
	}
	if opts.WorkerHostname == "" {
		opts.WorkerHostname = defaultHostname()
	}
	s := &Store[T]{db: db, opts: opts, table: table, hostname: opts.WorkerHostname}
	s.sql = buildSQL(
		pgx.Identifier(parts).Sanitize(),
		viewIdent(opts.ViewName),
		pgx.Identifier{opts.Alias}.Sanitize(),
		strings.Join(opts.Columns, ", "),
		opts.OrderBy,
	)
	return s, nil
}

func viewIdent(name string) string {
	if name == "" {
		return ""
	}
	return pgx.Identifier(strings.Split(name, ".")).Sanitize()
}

func defaultHostname() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// micros is how durations travel to SQL: $n::bigint * interval '1 microsecond'.
func micros(d time.Duration) int64 { return d.Microseconds() }

func buildSQL(table, view, alias, columns, orderBy string) storeSQL {
	// Owned rows of a batch are locked in id order before they are updated, so a heartbeat
	// and a batched completion of overlapping ids cannot deadlock.
	lockOwned := `SELECT id FROM ` + table + `
		WHERE id = ANY($1) AND state = 'processing' AND worker_hostname = $2
		ORDER BY id FOR UPDATE`
	candidates := `candidates AS (
		SELECT ` + alias + `.id AS candidate_id FROM ` + table + ` AS ` + alias + `
		WHERE ` + alias + `.state IN ('queued', 'errored')
		  AND (` + alias + `.process_after IS NULL OR ` + alias + `.process_after <= now())
		ORDER BY ` + orderBy + `
		LIMIT $1
		FOR UPDATE SKIP LOCKED
	)`
	take := `UPDATE ` + table + ` AS ` + alias + `
		SET state = 'processing', started_at = now(), last_heartbeat_at = now(),
		    finished_at = NULL, worker_hostname = $2
		WHERE ` + alias + `.id = ANY (ARRAY(SELECT candidate_id FROM candidates))`
	var dequeue string
	if view == "" {
		dequeue = `WITH ` + candidates + `
		` + take + `
		RETURNING ` + columns
	} else {
		dequeue = `WITH ` + candidates + `, taken AS (
		` + take + `
		RETURNING ` + alias + `.id
	)
	SELECT ` + columns + ` FROM ` + view + ` AS ` + alias + `
	WHERE ` + alias + `.id = ANY (ARRAY(SELECT id FROM taken))`
	}
	owned := `id = $1 AND state = 'processing' AND worker_hostname = $2`
	return storeSQL{
		dequeue: dequeue,
		heartbeat: `WITH owned AS (` + lockOwned + `)
			UPDATE ` + table + ` AS t SET last_heartbeat_at = now()
			WHERE t.id = ANY (ARRAY(SELECT id FROM owned))
			RETURNING t.id, t.cancel`,
		completeOne: `UPDATE ` + table + ` SET state = 'completed', finished_at = now() WHERE ` + owned,
		completeMany: `WITH owned AS (` + lockOwned + `)
			UPDATE ` + table + ` AS t SET state = 'completed', finished_at = now()
			WHERE t.id = ANY (ARRAY(SELECT id FROM owned))
			RETURNING t.id`,
		// $3 max failures, $4 message, $5 retry delay in microseconds.
		errored: `UPDATE ` + table + ` SET
			state = CASE WHEN num_failures + 1 >= $3 THEN 'failed' ELSE 'errored' END,
			num_failures = num_failures + 1,
			failure_message = $4,
			finished_at = now(),
			process_after = CASE WHEN num_failures + 1 >= $3 THEN process_after
				ELSE now() + $5::bigint * interval '1 microsecond' END
			WHERE ` + owned + `
			RETURNING state`,
		failed: `UPDATE ` + table + ` SET state = 'failed', num_failures = num_failures + 1,
			failure_message = $3, finished_at = now() WHERE ` + owned,
		canceled: `UPDATE ` + table + ` SET state = 'canceled', finished_at = now() WHERE ` + owned,
		requeue: `UPDATE ` + table + ` SET state = 'queued',
			process_after = now() + $3::bigint * interval '1 microsecond' WHERE ` + owned,
		release: `WITH owned AS (` + lockOwned + `)
			UPDATE ` + table + ` AS t SET
				state = CASE WHEN t.cancel THEN 'canceled' ELSE 'queued' END,
				finished_at = CASE WHEN t.cancel THEN now() END,
				process_after = NULL
			WHERE t.id = ANY (ARRAY(SELECT id FROM owned))
			RETURNING t.id, t.state`,
		addLog: `UPDATE ` + table + ` SET execution_logs = array_append(execution_logs, $3::jsonb)
			WHERE ` + owned + `
			RETURNING array_length(execution_logs, 1)`,
		updateLog: `UPDATE ` + table + ` SET execution_logs[$3] = $4::jsonb
			WHERE ` + owned + ` AND $3 BETWEEN 1 AND coalesce(array_length(execution_logs, 1), 0)`,
		readLogs: `SELECT coalesce(to_jsonb(execution_logs), '[]'::jsonb) FROM ` + table + ` WHERE id = $1`,
		// $1 stalled age in microseconds, $2 max resets.
		resetStalled: `WITH stalled AS (
				SELECT id FROM ` + table + `
				WHERE state = 'processing'
				  AND (last_heartbeat_at IS NULL OR last_heartbeat_at < now() - $1::bigint * interval '1 microsecond')
				FOR UPDATE SKIP LOCKED
			)
			UPDATE ` + table + ` AS t SET
				state = CASE WHEN t.cancel THEN 'canceled' WHEN t.num_resets >= $2 THEN 'failed' ELSE 'queued' END,
				num_resets = CASE WHEN t.cancel OR t.num_resets >= $2 THEN t.num_resets ELSE t.num_resets + 1 END,
				finished_at = CASE WHEN t.cancel OR t.num_resets >= $2 THEN now() END,
				failure_message = CASE WHEN NOT t.cancel AND t.num_resets >= $2 THEN $3 ELSE t.failure_message END
			WHERE t.id = ANY (ARRAY(SELECT id FROM stalled))
			RETURNING t.id, t.state`,
		queuedCount:   `SELECT count(*) FROM ` + table + ` WHERE state IN ('queued', 'errored')`,
		countsByState: `SELECT state, count(*) FROM ` + table + ` GROUP BY state`,
		queueStats: `SELECT count(*),
				count(*) FILTER (WHERE process_after IS NULL OR process_after <= now()),
				coalesce(extract(epoch FROM now() - min(queued_at) FILTER (WHERE process_after IS NULL OR process_after <= now())), 0)
			FROM ` + table + ` WHERE state IN ('queued', 'errored')`,
	}
}

// Name is the queue's name in logs and metrics.
func (s *Store[T]) Name() string { return s.opts.Name }

// TableName is the queue table without schema, as lookout_queue_notify() sends it.
func (s *Store[T]) TableName() string { return s.table }

// WorkerHostname is the identity this store writes into worker_hostname.
func (s *Store[T]) WorkerHostname() string { return s.hostname }

// Options returns the store's options with defaults filled in.
func (s *Store[T]) Options() StoreOptions[T] { return s.opts }

// Dequeue takes up to n ready jobs in one statement: queued ones whose process_after has
// passed and errored ones whose retry delay is over, in OrderBy order, skipping rows other
// workers hold. They become 'processing' under this store's worker identity.
func (s *Store[T]) Dequeue(ctx context.Context, n int) ([]T, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, s.sql.dequeue, n, s.hostname)
	if err != nil {
		return nil, fmt.Errorf("dequeueing from %s: %w", s.opts.Name, err)
	}
	recs, err := pgx.CollectRows(rows, s.opts.Scan)
	if err != nil {
		return nil, fmt.Errorf("dequeueing from %s: %w", s.opts.Name, err)
	}
	return recs, nil
}

// Heartbeat records that this worker still runs the jobs ids. It returns the ids that are
// still this worker's (a missing id was reset or taken by another worker and must be
// abandoned) and, among them, the ids whose cancel was requested.
func (s *Store[T]) Heartbeat(ctx context.Context, ids []int64) (known, cancel []int64, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	rows, err := s.db.Query(ctx, s.sql.heartbeat, ids, s.hostname)
	if err != nil {
		return nil, nil, fmt.Errorf("heartbeat on %s: %w", s.opts.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c bool
		if err := rows.Scan(&id, &c); err != nil {
			return nil, nil, fmt.Errorf("heartbeat on %s: %w", s.opts.Name, err)
		}
		known = append(known, id)
		if c {
			cancel = append(cancel, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("heartbeat on %s: %w", s.opts.Name, err)
	}
	return known, cancel, nil
}

func (s *Store[T]) execOwned(ctx context.Context, op string, id int64, sql string, args ...any) error {
	tag, err := s.db.Exec(ctx, sql, append([]any{id, s.hostname}, args...)...)
	if err != nil {
		return fmt.Errorf("%s job %d of %s: %w", op, id, s.opts.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s job %d of %s: %w", op, id, s.opts.Name, ErrNotOwned)
	}
	return nil
}

// MarkComplete marks one job completed.
func (s *Store[T]) MarkComplete(ctx context.Context, id int64) error {
	return s.execOwned(ctx, "completing", id, s.sql.completeOne)
}

// MarkCompleteMany marks a batch of jobs completed in one statement and returns the ids it
// marked; ids no longer owned are left alone.
func (s *Store[T]) MarkCompleteMany(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, s.sql.completeMany, ids, s.hostname)
	if err != nil {
		return nil, fmt.Errorf("completing %d jobs of %s: %w", len(ids), s.opts.Name, err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("completing %d jobs of %s: %w", len(ids), s.opts.Name, err)
	}
	return done, nil
}

// MarkErrored records a failed attempt. The job is retried after RetryAfter, unless this
// failure brings num_failures to MaxNumRetries: then it fails for good. It returns the
// job's new state, StateErrored or StateFailed.
func (s *Store[T]) MarkErrored(ctx context.Context, id int64, failureMessage string) (State, error) {
	var state State
	err := s.db.QueryRow(ctx, s.sql.errored, id, s.hostname, s.opts.MaxNumRetries,
		cleanText(failureMessage), micros(s.opts.RetryAfter)).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("marking job %d of %s errored: %w", id, s.opts.Name, ErrNotOwned)
	}
	if err != nil {
		return "", fmt.Errorf("marking job %d of %s errored: %w", id, s.opts.Name, err)
	}
	return state, nil
}

// MarkFailed fails a job for good, without retry.
func (s *Store[T]) MarkFailed(ctx context.Context, id int64, failureMessage string) error {
	return s.execOwned(ctx, "failing", id, s.sql.failed, cleanText(failureMessage))
}

// MarkCanceled records that a job stopped because its cancel was requested.
func (s *Store[T]) MarkCanceled(ctx context.Context, id int64) error {
	return s.execOwned(ctx, "canceling", id, s.sql.canceled)
}

// Requeue puts a job back in the queue to be dequeued again after the given delay, without
// counting a failure.
func (s *Store[T]) Requeue(ctx context.Context, id int64, after time.Duration) error {
	if after < 0 {
		after = 0
	}
	return s.execOwned(ctx, "requeueing", id, s.sql.requeue, micros(after))
}

// Release returns jobs this worker gave up (on shutdown) to the queue at once, without
// counting a failure or a reset, and wakes other workers. A job whose cancel was requested
// is canceled instead. It returns the ids it released.
func (s *Store[T]) Release(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, s.sql.release, ids, s.hostname)
	if err != nil {
		return nil, fmt.Errorf("releasing %d jobs of %s: %w", len(ids), s.opts.Name, err)
	}
	var released []int64
	requeued := false
	for rows.Next() {
		var id int64
		var state State
		if err := rows.Scan(&id, &state); err != nil {
			rows.Close()
			return nil, fmt.Errorf("releasing jobs of %s: %w", s.opts.Name, err)
		}
		released = append(released, id)
		requeued = requeued || state == StateQueued
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("releasing jobs of %s: %w", s.opts.Name, err)
	}
	if requeued {
		s.notify(ctx)
	}
	return released, nil
}

// notify wakes the queue's workers; a lost notification only costs a poll interval.
func (s *Store[T]) notify(ctx context.Context) {
	_, _ = s.db.Exec(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, s.table)
}

// ExecutionLogEntry is one step of a job's execution log (the execution_logs column), in
// the shape the API shows.
type ExecutionLogEntry struct {
	Key        string    `json:"key"`
	Command    []string  `json:"command"`
	StartTime  time.Time `json:"startTime"`
	ExitCode   *int      `json:"exitCode,omitempty"`
	Out        string    `json:"out,omitempty"`
	DurationMs *int      `json:"durationMs,omitempty"`
}

func encodeEntry(e ExecutionLogEntry) (string, error) {
	// jsonb rejects \u0000; encoding/json already replaces invalid UTF-8.
	e.Key = strings.ReplaceAll(e.Key, "\x00", "")
	e.Out = strings.ReplaceAll(e.Out, "\x00", "")
	if e.Command != nil {
		cmd := make([]string, len(e.Command))
		for i, c := range e.Command {
			cmd[i] = strings.ReplaceAll(c, "\x00", "")
		}
		e.Command = cmd
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encoding execution log entry: %w", err)
	}
	return string(b), nil
}

// AddExecutionLogEntry appends an entry to a running job's execution log and returns its
// 1-based index for UpdateExecutionLogEntry.
func (s *Store[T]) AddExecutionLogEntry(ctx context.Context, id int64, entry ExecutionLogEntry) (int, error) {
	body, err := encodeEntry(entry)
	if err != nil {
		return 0, err
	}
	var idx int
	err = s.db.QueryRow(ctx, s.sql.addLog, id, s.hostname, body).Scan(&idx)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("adding log entry to job %d of %s: %w", id, s.opts.Name, ErrNotOwned)
	}
	if err != nil {
		return 0, fmt.Errorf("adding log entry to job %d of %s: %w", id, s.opts.Name, err)
	}
	return idx, nil
}

// UpdateExecutionLogEntry replaces entry entryID of a running job's log, so a long step's
// output can be read while it runs.
func (s *Store[T]) UpdateExecutionLogEntry(ctx context.Context, id int64, entryID int, entry ExecutionLogEntry) error {
	body, err := encodeEntry(entry)
	if err != nil {
		return err
	}
	return s.execOwned(ctx, fmt.Sprintf("updating log entry %d of", entryID), id, s.sql.updateLog, entryID, body)
}

// ExecutionLogs reads a job's execution log.
func (s *Store[T]) ExecutionLogs(ctx context.Context, id int64) ([]ExecutionLogEntry, error) {
	var raw []byte
	if err := s.db.QueryRow(ctx, s.sql.readLogs, id).Scan(&raw); err != nil {
		return nil, fmt.Errorf("reading execution logs of job %d of %s: %w", id, s.opts.Name, err)
	}
	var entries []ExecutionLogEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("decoding execution logs of job %d of %s: %w", id, s.opts.Name, err)
	}
	return entries, nil
}

// ResetResult lists the jobs one ResetStalled call changed.
type ResetResult struct {
	Reset    []int64 // back to queued
	Failed   []int64 // reset too many times
	Canceled []int64 // cancel had been requested
}

// ResetStalled returns processing jobs whose heartbeat is older than StalledMaxAge to the
// queue (num_resets + 1), or fails them once they have been reset MaxNumResets times.
func (s *Store[T]) ResetStalled(ctx context.Context) (ResetResult, error) {
	var res ResetResult
	rows, err := s.db.Query(ctx, s.sql.resetStalled, micros(s.opts.StalledMaxAge), s.opts.MaxNumResets, ResetFailureMessage)
	if err != nil {
		return res, fmt.Errorf("resetting stalled jobs of %s: %w", s.opts.Name, err)
	}
	for rows.Next() {
		var id int64
		var state State
		if err := rows.Scan(&id, &state); err != nil {
			rows.Close()
			return res, fmt.Errorf("resetting stalled jobs of %s: %w", s.opts.Name, err)
		}
		switch state {
		case StateQueued:
			res.Reset = append(res.Reset, id)
		case StateFailed:
			res.Failed = append(res.Failed, id)
		default:
			res.Canceled = append(res.Canceled, id)
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("resetting stalled jobs of %s: %w", s.opts.Name, err)
	}
	if len(res.Reset) > 0 {
		s.notify(ctx)
	}
	return res, nil
}

// RequestCancel asks for a job to stop: a queued or errored job is canceled at once, a
// processing one is flagged and its worker cancels the handler at its next heartbeat.
// It reports whether the job was in a state that can be canceled.
func (s *Store[T]) RequestCancel(ctx context.Context, id int64) (bool, error) {
	return requestCancel(ctx, s.db, pgx.Identifier(strings.Split(s.opts.TableName, ".")).Sanitize(), id)
}

// RequestCancel is Store.RequestCancel for code that has no Store, such as a domain store
// behind an API mutation. table is the queue table's name.
func RequestCancel(ctx context.Context, db database.DB, table string, id int64) (bool, error) {
	if !qualIdentPattern.MatchString(table) {
		return false, fmt.Errorf("workerutil: invalid table name %q", table)
	}
	return requestCancel(ctx, db, pgx.Identifier(strings.Split(table, ".")).Sanitize(), id)
}

func requestCancel(ctx context.Context, db database.DB, table string, id int64) (bool, error) {
	tag, err := db.Exec(ctx, `UPDATE `+table+` SET
			cancel = true,
			state = CASE WHEN state IN ('queued', 'errored') THEN 'canceled' ELSE state END,
			finished_at = CASE WHEN state IN ('queued', 'errored') THEN now() ELSE finished_at END
		WHERE id = $1 AND state IN ('queued', 'errored', 'processing')`, id)
	if err != nil {
		return false, fmt.Errorf("requesting cancel of job %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// QueuedCount counts jobs waiting to run (queued, or errored and due for a retry).
func (s *Store[T]) QueuedCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, s.sql.queuedCount).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting queued jobs of %s: %w", s.opts.Name, err)
	}
	return n, nil
}

// CountsByState counts the table's jobs per state. It reads the whole table.
func (s *Store[T]) CountsByState(ctx context.Context) (map[State]int, error) {
	rows, err := s.db.Query(ctx, s.sql.countsByState)
	if err != nil {
		return nil, fmt.Errorf("counting jobs of %s: %w", s.opts.Name, err)
	}
	defer rows.Close()
	counts := map[State]int{}
	for rows.Next() {
		var state State
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("counting jobs of %s: %w", s.opts.Name, err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting jobs of %s: %w", s.opts.Name, err)
	}
	return counts, nil
}

// QueueStats describe the backlog of a queue.
type QueueStats struct {
	Waiting     int           // queued or errored, including jobs scheduled for later
	Ready       int           // of those, jobs that may run now
	OldestReady time.Duration // how long the oldest ready job has been queued
}

// QueueStats reads the backlog from the partial dequeue index.
func (s *Store[T]) QueueStats(ctx context.Context) (QueueStats, error) {
	var st QueueStats
	var age float64
	if err := s.db.QueryRow(ctx, s.sql.queueStats).Scan(&st.Waiting, &st.Ready, &age); err != nil {
		return st, fmt.Errorf("reading queue stats of %s: %w", s.opts.Name, err)
	}
	st.OldestReady = time.Duration(age * float64(time.Second))
	return st, nil
}

// cleanText makes a message storable in a text column: valid UTF-8, no NUL bytes, and
// bounded so a handler that returns a whole log as its error does not bloat the row.
func cleanText(s string) string {
	const maxLen = 64 << 10
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) > maxLen {
		cut := maxLen
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "… (truncated)"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
