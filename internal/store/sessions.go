package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Session is a web app login: a cookie token (kept hashed) and the CSRF token that must
// accompany state-changing requests made with the cookie.
type Session struct {
	ID        int64
	UserID    int64
	CSRFToken string
	ExpiresAt time.Time
}

// SessionStore reads and writes sessions.
type SessionStore struct{ s *Store }

func (s *Store) Sessions() *SessionStore { return &SessionStore{s} }

// Create stores a session for userID whose cookie value is token.
func (ss *SessionStore) Create(ctx context.Context, userID int64, token, csrf string, ttl time.Duration) (*Session, error) {
	var sess Session
	err := ss.s.queryRow(ctx, sqlf.Sprintf(
		"INSERT INTO sessions (user_id, token_sha256, csrf_token, expires_at) VALUES (%s, %s, %s, now() + %s::interval) RETURNING id, user_id, csrf_token, expires_at",
		userID, HashToken(token), csrf, ttl.String())).Scan(&sess.ID, &sess.UserID, &sess.CSRFToken, &sess.ExpiresAt)
	return &sess, err
}

// Lookup returns the unexpired session of a live user with this cookie value.
func (ss *SessionStore) Lookup(ctx context.Context, token string) (*Session, error) {
	var sess Session
	err := ss.s.queryRow(ctx, sqlf.Sprintf(`SELECT s.id, s.user_id, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_sha256 = %s AND s.expires_at > now() AND u.deleted_at IS NULL`, HashToken(token))).Scan(&sess.ID, &sess.UserID, &sess.CSRFToken, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("session")
	}
	return &sess, err
}

// Delete ends the session with this cookie value.
func (ss *SessionStore) Delete(ctx context.Context, token string) error {
	_, err := ss.s.exec(ctx, sqlf.Sprintf("DELETE FROM sessions WHERE token_sha256 = %s", HashToken(token)))
	return err
}

// DeleteExpired removes sessions past their expiry and returns how many.
func (ss *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	tag, err := ss.s.exec(ctx, sqlf.Sprintf("DELETE FROM sessions WHERE expires_at <= now()"))
	return tag.RowsAffected(), err
}
