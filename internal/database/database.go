// Package database opens Lookout's Postgres pools and runs its migrations. Everything that
// talks SQL goes through the pools opened here; the SQL itself lives in internal/store.
package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"
)

// DB is what store code needs from a pool or a transaction, so the same store function runs
// inside or outside a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

var (
	_ DB = (*pgxpool.Pool)(nil)
	_ DB = (pgx.Tx)(nil)
)

// Options tune a pool. Zero values take pgxpool's defaults.
type Options struct {
	// MaxConns is the size the process chose for the pool (0: pgx's default, the larger
	// of 4 and the number of CPUs). A pool_max_conns parameter in the URL wins over it.
	MaxConns        int32
	MinConns        int32
	ApplicationName string
	// Name names the pool in logs and errors ("main", "insights").
	Name string
	// SizedFrom says what MaxConns was computed from, for the log line at open.
	SizedFrom string
	// Logger, when set, is told the pool's size at open and every acquire that waits
	// longer than SlowAcquire (default DefaultSlowAcquire).
	Logger      log.Logger
	SlowAcquire time.Duration
}

// Open connects to url and checks the connection, retrying for up to 30 seconds so a
// process that starts together with its database does not die on the first attempt.
func Open(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	if url == "" {
		return nil, errors.New("database URL is empty")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing database URL: %w", err)
	}
	sizedFrom := opts.SizedFrom
	switch {
	case URLSetsMaxConns(url):
		sizedFrom = "pool_max_conns in the URL"
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	default:
		sizedFrom = "pgx's default"
	}
	cfg.ConnConfig.Tracer = newAcquireWatch(opts.Name, opts.Logger, opts.SlowAcquire)
	if opts.MinConns > 0 {
		cfg.MinConns = opts.MinConns
	}
	if opts.ApplicationName != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = opts.ApplicationName
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening database pool: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = pool.Ping(pingCtx)
		cancel()
		if err == nil {
			if opts.Logger != nil {
				opts.Logger.Info("database pool", log.String("pool", opts.Name), log.String("database", cfg.ConnConfig.Database),
					log.Int32("maxConns", cfg.MaxConns), log.String("sizedFrom", sizedFrom))
			}
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("connecting to database %s: %w", cfg.ConnConfig.Database, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// InTx runs fn in a transaction on db, committing when fn returns nil and rolling back
// otherwise (also on panic, which is re-raised).
func InTx(ctx context.Context, db DB, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return
		}
		err = tx.Commit(ctx)
	}()
	return fn(tx)
}

// IsUniqueViolation reports whether err is a unique constraint violation, optionally on the
// named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// IsForeignKeyViolation reports whether err is a foreign key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
