package store

import (
	"context"
	"errors"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/keegancsmith/sqlf"
)

// RoutineRun is the last run of a singleton periodic routine.
type RoutineRun struct {
	Name           string
	LastStartedAt  time.Time
	LastFinishedAt *time.Time
	LastError      string
	WorkerHostname string
}

// AdvisoryLockKey derives a stable advisory lock key from a name.
func AdvisoryLockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("lookout:" + name))
	return int64(h.Sum64())
}

// ClaimRoutineRun claims this interval's run of routine name for worker host: it holds
// the routine's advisory lock on one connection, and succeeds only when no run started
// within the last interval. The returned release function records the outcome and drops
// the lock; it must be called exactly once. ok=false means another worker has it.
func ClaimRoutineRun(ctx context.Context, pool *pgxpool.Pool, name, host string, interval time.Duration) (release func(runErr error), ok bool, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	key := AdvisoryLockKey("routine:" + name)
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&locked); err != nil || !locked {
		conn.Release()
		return nil, false, err
	}
	unlock := func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
		conn.Release()
	}
	// Leave a little slack so a run that started a hair more than one interval ago on a
	// slower ticker is not skipped.
	due := sqlf.Sprintf(`INSERT INTO routine_runs (name, last_started_at, worker_hostname) VALUES (%s, now(), %s)
ON CONFLICT (name) DO UPDATE SET last_started_at = now(), last_finished_at = NULL, last_error = NULL, worker_hostname = EXCLUDED.worker_hostname
WHERE routine_runs.last_started_at <= now() - %s::interval
RETURNING 1`, name, host, (interval * 9 / 10).String())
	var one int
	err = conn.QueryRow(ctx, due.Query(sqlf.PostgresBindVar), due.Args()...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		unlock()
		return nil, false, nil
	}
	if err != nil {
		unlock()
		return nil, false, err
	}
	return func(runErr error) {
		msg := ""
		if runErr != nil {
			msg = runErr.Error()
		}
		q := sqlf.Sprintf("UPDATE routine_runs SET last_finished_at = now(), last_error = nullif(%s, '') WHERE name = %s", msg, name)
		_, _ = conn.Exec(context.WithoutCancel(ctx), q.Query(sqlf.PostgresBindVar), q.Args()...)
		unlock()
	}, true, nil
}

// RoutineRuns lists the recorded runs.
func (s *Store) RoutineRuns(ctx context.Context) ([]*RoutineRun, error) {
	return collect(ctx, s, sqlf.Sprintf("SELECT name, last_started_at, last_finished_at, coalesce(last_error, ''), worker_hostname FROM routine_runs ORDER BY name"), func(row pgx.Row) (*RoutineRun, error) {
		var r RoutineRun
		err := row.Scan(&r.Name, &r.LastStartedAt, &r.LastFinishedAt, &r.LastError, &r.WorkerHostname)
		return &r, err
	})
}
