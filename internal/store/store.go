// Package store holds all of Lookout's SQL. Each area has its own file and its own small
// store type reached from Store (s.Users(), s.Orgs(), ...). Every store runs on a
// database.DB, so the same code works on a pool or inside a transaction (Store.Transact).
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/keegancsmith/sqlf"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/encryption"
)

// ErrNotFound is returned (wrapped) when a row asked for by identity does not exist or is
// deleted.
var ErrNotFound = errors.New("not found")

// NotFoundError names what was not found, and matches ErrNotFound with errors.Is.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string        { return e.What + " not found" }
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(format string, args ...any) error {
	return &NotFoundError{What: fmt.Sprintf(format, args...)}
}

// Store is the entry point to every area's store.
type Store struct {
	db  database.DB
	key *encryption.Key
}

// New returns a Store on db (a pool or a transaction).
func New(db database.DB) *Store { return &Store{db: db} }

// EncryptsSecrets reports whether secrets written through this store are encrypted.
func (s *Store) EncryptsSecrets() bool { return s.key != nil }

// WithEncryptionKey returns a Store that encrypts secrets at rest with key (nil: none).
func (s *Store) WithEncryptionKey(key *encryption.Key) *Store { return &Store{db: s.db, key: key} }

// DB returns the handle the store runs on.
func (s *Store) DB() database.DB { return s.db }

// Transact runs fn with a Store bound to a new transaction (or a savepoint when s is
// already in one), committing when fn returns nil.
func (s *Store) Transact(ctx context.Context, fn func(tx *Store) error) error {
	return database.InTx(ctx, s.db, func(tx pgx.Tx) error { return fn(&Store{db: tx, key: s.key}) })
}

func (s *Store) exec(ctx context.Context, q *sqlf.Query) (pgconn.CommandTag, error) {
	return s.db.Exec(ctx, q.Query(sqlf.PostgresBindVar), q.Args()...)
}

func (s *Store) query(ctx context.Context, q *sqlf.Query) (pgx.Rows, error) {
	return s.db.Query(ctx, q.Query(sqlf.PostgresBindVar), q.Args()...)
}

func (s *Store) queryRow(ctx context.Context, q *sqlf.Query) pgx.Row {
	return s.db.QueryRow(ctx, q.Query(sqlf.PostgresBindVar), q.Args()...)
}

// collect runs q and scans every row with scan.
func collect[T any](ctx context.Context, s *Store, q *sqlf.Query, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := s.query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// count runs a query returning a single integer.
func (s *Store) count(ctx context.Context, q *sqlf.Query) (int, error) {
	var n int
	err := s.queryRow(ctx, q).Scan(&n)
	return n, err
}

// Page is keyset pagination: rows with id greater than After, at most Limit of them
// (0 means no limit).
type Page struct {
	After int64
	Limit int
}

func (p Page) limitSQL() *sqlf.Query {
	if p.Limit <= 0 {
		return sqlf.Sprintf("")
	}
	return sqlf.Sprintf("LIMIT %d", p.Limit)
}
