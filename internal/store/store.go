// Package store holds all of Lookout's SQL. Each area has its own file and its own small
// store type reached from Store (s.Users(), s.Orgs(), ...). Every store runs on a
// database.DB, so the same code works on a pool or inside a transaction (Store.Transact).
//
// Two ways of writing SQL, chosen by the shape of the statement:
//
//   - A fixed statement (an insert, an update, a lookup by key, a queue operation) is
//     written out with keegancsmith/sqlf: the SQL reads as it runs, with %s for values.
//   - A list assembled from optional parts (the filters of a list or connection field,
//     a search over many columns, a keyset cursor, an order and a limit) is built with
//     Masterminds/squirrel through psql, so each part is added only when asked for and
//     the count of a list reuses its filters (see RepoListOptions, UserListOptions,
//     OrgListOptions, SearchContextListOptions). A sqlf condition shared with fixed
//     statements, such as VisibleRepoCond, joins such a list through sqlfCond.
//
// Fixed statements are not rewritten with squirrel for the sake of it.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/Masterminds/squirrel"
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
	return scanAll(rows, err, scan)
}

// scanAll scans every row of a query's result with scan.
func scanAll[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
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

// psql builds the statements assembled from optional parts, with Postgres placeholders.
var psql = squirrel.StatementBuilder.PlaceholderFormat(squirrel.Dollar)

// sqlfCond makes a sqlf condition a part of a squirrel statement.
func sqlfCond(q *sqlf.Query) squirrel.Sqlizer {
	return squirrel.Expr(q.Query(sqlf.SimpleBindVar), q.Args()...)
}

// collectBuilt is collect for a squirrel statement.
func collectBuilt[T any](ctx context.Context, s *Store, b squirrel.Sqlizer, scan func(pgx.Row) (T, error)) ([]T, error) {
	text, args, err := b.ToSql()
	if err != nil {
		return nil, fmt.Errorf("building SQL: %w", err)
	}
	rows, err := s.db.Query(ctx, text, args...)
	return scanAll(rows, err, scan)
}

// countBuilt is count for a squirrel statement.
func (s *Store) countBuilt(ctx context.Context, b squirrel.Sqlizer) (int, error) {
	text, args, err := b.ToSql()
	if err != nil {
		return 0, fmt.Errorf("building SQL: %w", err)
	}
	var n int
	err = s.db.QueryRow(ctx, text, args...).Scan(&n)
	return n, err
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

// on adds the page to a list ordered by idColumn.
func (p Page) on(q squirrel.SelectBuilder, idColumn string) squirrel.SelectBuilder {
	q = q.Where(idColumn+" > ?", p.After).OrderBy(idColumn)
	if p.Limit > 0 {
		q = q.Limit(uint64(p.Limit))
	}
	return q
}

func (p Page) limitSQL() *sqlf.Query {
	if p.Limit <= 0 {
		return sqlf.Sprintf("")
	}
	return sqlf.Sprintf("LIMIT %d", p.Limit)
}
