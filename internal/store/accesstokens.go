package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// AccessToken is a row of access_tokens. The token value itself is never stored.
type AccessToken struct {
	ID            int64
	UserID        int64
	CreatorUserID int64
	Note          string
	Scopes        []string
	CreatedAt     time.Time
	LastUsedAt    *time.Time
}

// AccessTokenStore reads and writes access tokens.
type AccessTokenStore struct{ s *Store }

func (s *Store) AccessTokens() *AccessTokenStore { return &AccessTokenStore{s} }

const accessTokenColumns = "id, user_id, creator_user_id, note, scopes, created_at, last_used_at"

func scanAccessToken(row pgx.Row) (*AccessToken, error) {
	var t AccessToken
	err := row.Scan(&t.ID, &t.UserID, &t.CreatorUserID, &t.Note, &t.Scopes, &t.CreatedAt, &t.LastUsedAt)
	return &t, err
}

// HashToken is how a token is kept: its SHA-256. Tokens are long random strings, so a slow
// hash adds nothing.
func HashToken(value string) []byte {
	sum := sha256.Sum256([]byte(value))
	return sum[:]
}

// Create stores the hash of value for userID.
func (ts *AccessTokenStore) Create(ctx context.Context, userID, creatorID int64, value, note string, scopes []string) (*AccessToken, error) {
	return scanAccessToken(ts.s.queryRow(ctx, sqlf.Sprintf(
		"INSERT INTO access_tokens (user_id, creator_user_id, note, scopes, value_sha256) VALUES (%s, %s, %s, %s, %s) RETURNING "+accessTokenColumns,
		userID, creatorID, note, scopes, HashToken(value))))
}

// Lookup finds the live token with this value whose user is live, and records its use.
// last_used_at is written at most once a minute per token to keep API calls read-only in
// the common case.
func (ts *AccessTokenStore) Lookup(ctx context.Context, value string) (*AccessToken, error) {
	t, err := scanAccessToken(ts.s.queryRow(ctx, sqlf.Sprintf(`SELECT t.id, t.user_id, t.creator_user_id, t.note, t.scopes, t.created_at, t.last_used_at
FROM access_tokens t JOIN users u ON u.id = t.user_id
WHERE t.value_sha256 = %s AND t.deleted_at IS NULL AND u.deleted_at IS NULL`, HashToken(value))))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("access token")
	}
	if err != nil {
		return nil, err
	}
	if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
		_, _ = ts.s.exec(ctx, sqlf.Sprintf("UPDATE access_tokens SET last_used_at = now() WHERE id = %s", t.ID))
	}
	return t, nil
}

// GetByID returns a live token.
func (ts *AccessTokenStore) GetByID(ctx context.Context, id int64) (*AccessToken, error) {
	t, err := scanAccessToken(ts.s.queryRow(ctx, sqlf.Sprintf("SELECT "+accessTokenColumns+" FROM access_tokens WHERE id = %s AND deleted_at IS NULL", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("access token %d", id)
	}
	return t, err
}

// ListForUser returns the live tokens of userID, newest last.
func (ts *AccessTokenStore) ListForUser(ctx context.Context, userID int64, page Page) ([]*AccessToken, error) {
	return collect(ctx, ts.s, sqlf.Sprintf("SELECT "+accessTokenColumns+" FROM access_tokens WHERE user_id = %s AND deleted_at IS NULL AND id > %s ORDER BY id %s", userID, page.After, page.limitSQL()), scanAccessToken)
}

// CountForUser counts the live tokens of userID.
func (ts *AccessTokenStore) CountForUser(ctx context.Context, userID int64) (int, error) {
	return ts.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM access_tokens WHERE user_id = %s AND deleted_at IS NULL", userID))
}

// Delete revokes a token.
func (ts *AccessTokenStore) Delete(ctx context.Context, id int64) error {
	tag, err := ts.s.exec(ctx, sqlf.Sprintf("UPDATE access_tokens SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL", id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("access token %d", id)
	}
	return err
}
