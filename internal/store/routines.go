package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"

	"github.com/lookout/lookout/internal/database"
)

// RoutineRun is the last run of a singleton periodic routine.
type RoutineRun struct {
	Name           string
	LastStartedAt  time.Time
	LastFinishedAt *time.Time
	LastError      string
	WorkerHostname string
}

// RoutineLease is a claimed run of a singleton routine: its routine_runs row names this
// claim as the lease owner until the lease expires, is renewed or is released.
//
// Why a lease row and not an advisory lock: a session lock pins one pooled connection for
// the whole run while the run's own queries need more, so as many singletons as the pool
// has connections, due at once (a fresh database, a restart after an outage), each held
// one and waited for another forever. A lease is claimed, renewed and released by single
// statements, so no connection is held between them, and it survives what a session lock
// does not: a dropped connection (a Postgres restart) no longer frees the claim while the
// run goes on, and a dead worker's claim is taken over once its lease has expired.
type RoutineLease struct {
	db    database.DB
	name  string
	owner string
}

// ClaimRoutineRun claims this interval's run of routine name for worker host, in one
// statement: it succeeds only when no run started within the last interval and no other
// claim's lease is still live. ok=false means another worker has it, or it ran recently.
// The caller renews the lease while it runs (Renew) and releases it with the outcome
// (Release).
func ClaimRoutineRun(ctx context.Context, db database.DB, name, host string, interval, lease time.Duration) (l *RoutineLease, ok bool, err error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	owner := host + "/" + hex.EncodeToString(b)
	// Leave a little slack so a run that started a hair more than one interval ago on a
	// slower ticker is not skipped.
	q := sqlf.Sprintf(`INSERT INTO routine_runs (name, last_started_at, worker_hostname, lease_owner, lease_expires_at)
VALUES (%s, now(), %s, %s, now() + %s::interval)
ON CONFLICT (name) DO UPDATE SET last_started_at = now(), last_finished_at = NULL, last_error = NULL,
	worker_hostname = EXCLUDED.worker_hostname, lease_owner = EXCLUDED.lease_owner, lease_expires_at = EXCLUDED.lease_expires_at
WHERE routine_runs.last_started_at <= now() - %s::interval
  AND (routine_runs.lease_expires_at IS NULL OR routine_runs.lease_expires_at <= now())
RETURNING 1`, name, host, owner, lease.String(), (interval * 9 / 10).String())
	var one int
	err = db.QueryRow(ctx, q.Query(sqlf.PostgresBindVar), q.Args()...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("claiming a run of %s: %w", name, err)
	}
	return &RoutineLease{db: db, name: name, owner: owner}, true, nil
}

// Renew extends the lease to lease from now. held=false means the claim was lost (it
// expired and another worker took the routine over): the run must stop.
func (l *RoutineLease) Renew(ctx context.Context, lease time.Duration) (held bool, err error) {
	q := sqlf.Sprintf(`UPDATE routine_runs SET lease_expires_at = now() + %s::interval WHERE name = %s AND lease_owner = %s`,
		lease.String(), l.name, l.owner)
	tag, err := l.db.Exec(ctx, q.Query(sqlf.PostgresBindVar), q.Args()...)
	if err != nil {
		return false, fmt.Errorf("renewing the lease of %s: %w", l.name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Release records the run's outcome and ends the lease, unless the claim was lost.
func (l *RoutineLease) Release(ctx context.Context, runErr error) error {
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	q := sqlf.Sprintf(`UPDATE routine_runs SET last_finished_at = now(), last_error = nullif(%s, ''), lease_owner = NULL, lease_expires_at = NULL
WHERE name = %s AND lease_owner = %s`, msg, l.name, l.owner)
	if _, err := l.db.Exec(ctx, q.Query(sqlf.PostgresBindVar), q.Args()...); err != nil {
		return fmt.Errorf("releasing the lease of %s: %w", l.name, err)
	}
	return nil
}

// RoutineRuns lists the recorded runs.
func (s *Store) RoutineRuns(ctx context.Context) ([]*RoutineRun, error) {
	return collect(ctx, s, sqlf.Sprintf("SELECT name, last_started_at, last_finished_at, coalesce(last_error, ''), worker_hostname FROM routine_runs ORDER BY name"), func(row pgx.Row) (*RoutineRun, error) {
		var r RoutineRun
		err := row.Scan(&r.Name, &r.LastStartedAt, &r.LastFinishedAt, &r.LastError, &r.WorkerHostname)
		return &r, err
	})
}
