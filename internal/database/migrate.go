package database

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one numbered schema change with its inverse.
type Migration struct {
	Version int
	Name    string
	Up      string
	Down    string
}

var migrationFile = regexp.MustCompile(`^(\d+)_([a-z0-9_]+)\.(up|down)\.sql$`)

// LoadMigrations reads NNNN_name.up.sql / NNNN_name.down.sql pairs from the root of fsys.
// Every version needs both halves and versions must be unique.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.(up|down).sql", e.Name())
		}
		version, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		mig := byVersion[version]
		if mig == nil {
			mig = &Migration{Version: version, Name: m[2]}
			byVersion[version] = mig
		} else if mig.Name != m[2] {
			return nil, fmt.Errorf("migration %d has two names: %q and %q", version, mig.Name, m[2])
		}
		if m[3] == "up" {
			mig.Up = string(body)
		} else {
			mig.Down = string(body)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("migration %d_%s needs both an up and a down file", m.Version, m.Name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrator applies one set of migrations to one database.
type Migrator struct {
	Pool       *pgxpool.Pool
	Migrations []Migration
	// Logf, when set, is told about each applied migration.
	Logf func(format string, args ...any)
}

// lockKey is the advisory lock that serialises migrators of one database. Derived from a
// constant string so every binary agrees on it.
var lockKey = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("lookout:schema_migrations"))
	return int64(h.Sum64())
}()

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// withLock runs fn on one connection holding the migration advisory lock, so concurrent
// frontends starting together apply each migration exactly once.
func (m *Migrator) withLock(ctx context.Context, fn func(conn *pgx.Conn) error) error {
	conn, err := m.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquiring connection for migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("taking migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
	}()
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	return fn(conn.Conn())
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]bool, error) {
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, err
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

// Up applies every migration not yet recorded, in order, each in its own transaction
// together with its schema_migrations row: a failing migration leaves the database at the
// version before it. It returns the versions it applied.
func (m *Migrator) Up(ctx context.Context) ([]int, error) {
	var done []int
	err := m.withLock(ctx, func(conn *pgx.Conn) error {
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return err
		}
		for _, mig := range m.Migrations {
			if applied[mig.Version] {
				continue
			}
			start := time.Now()
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, mig.Up); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", mig.Version, mig.Name)
				return err
			})
			if err != nil {
				return fmt.Errorf("migration %d_%s failed: %w", mig.Version, mig.Name, err)
			}
			done = append(done, mig.Version)
			if m.Logf != nil {
				m.Logf("applied migration %d_%s in %s", mig.Version, mig.Name, time.Since(start).Round(time.Millisecond))
			}
		}
		return nil
	})
	return done, err
}

// Down reverts applied migrations newer than target, newest first.
func (m *Migrator) Down(ctx context.Context, target int) ([]int, error) {
	var undone []int
	err := m.withLock(ctx, func(conn *pgx.Conn) error {
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return err
		}
		for i := len(m.Migrations) - 1; i >= 0; i-- {
			mig := m.Migrations[i]
			if mig.Version <= target || !applied[mig.Version] {
				continue
			}
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, mig.Down); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "DELETE FROM schema_migrations WHERE version = $1", mig.Version)
				return err
			})
			if err != nil {
				return fmt.Errorf("reverting migration %d_%s: %w", mig.Version, mig.Name, err)
			}
			undone = append(undone, mig.Version)
			if m.Logf != nil {
				m.Logf("reverted migration %d_%s", mig.Version, mig.Name)
			}
		}
		return nil
	})
	return undone, err
}

// Version returns the highest applied version, 0 for an empty database.
func (m *Migrator) Version(ctx context.Context) (int, error) {
	var v int
	err := m.Pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "42P01" { // undefined_table
			return 0, nil
		}
		return 0, err
	}
	return v, nil
}

// Pending reports whether migrations exist that are not applied yet.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	v, err := m.Version(ctx)
	if err != nil {
		return false, err
	}
	return len(m.Migrations) > 0 && m.Migrations[len(m.Migrations)-1].Version > v, nil
}

// MigrateFS applies every pending migration of fsys to pool.
func MigrateFS(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, logf func(string, ...any)) error {
	migs, err := LoadMigrations(fsys)
	if err != nil {
		return err
	}
	_, err = (&Migrator{Pool: pool, Migrations: migs, Logf: logf}).Up(ctx)
	return err
}

// WaitForSchema blocks until every migration of fsys is applied (by a frontend starting
// at the same time), so a worker never runs against an older schema than it was built for.
func WaitForSchema(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, logf func(string, ...any)) error {
	migs, err := LoadMigrations(fsys)
	if err != nil {
		return err
	}
	m := &Migrator{Pool: pool, Migrations: migs}
	for i := 0; ; i++ {
		pending, err := m.Pending(ctx)
		if err == nil && !pending {
			return nil
		}
		if i%10 == 0 && logf != nil {
			if err != nil {
				logf("waiting for the database schema: %v", err)
			} else {
				logf("waiting for the frontend to apply migrations (run `frontend migrate`)")
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
