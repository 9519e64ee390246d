package store

import (
	"context"
	"time"

	"github.com/keegancsmith/sqlf"
)

// LoginFailureStore counts sign-in attempts that did not succeed, per key (a user name
// or a client address), in windows that start at a key's first failure.
type LoginFailureStore struct{ s *Store }

func (s *Store) LoginFailures() *LoginFailureStore { return &LoginFailureStore{s} }

// Attempt counts an attempt of key as a failure before its password is checked, and
// returns the failures in the key's window (this one included) and when the window
// ends; a window that has ended starts again. Counting first, in one statement, means
// concurrent attempts cannot all pass a check made before any of them is counted.
// Rows of windows long over are deleted on the way, so the table holds only keys
// that failed recently.
func (ls *LoginFailureStore) Attempt(ctx context.Context, key string, window time.Duration) (int, time.Time, error) {
	w := window.String()
	if _, err := ls.s.exec(ctx, sqlf.Sprintf("DELETE FROM login_failures WHERE window_start < now() - 2 * %s::interval", w)); err != nil {
		return 0, time.Time{}, err
	}
	var n int
	var end time.Time
	err := ls.s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO login_failures (key, failures) VALUES (%s, 1)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN login_failures.window_start + %s::interval <= now() THEN 1 ELSE login_failures.failures + 1 END,
    window_start = CASE WHEN login_failures.window_start + %s::interval <= now() THEN now() ELSE login_failures.window_start END
RETURNING failures, window_start + %s::interval`, key, w, w, w)).Scan(&n, &end)
	return n, end, err
}

// Forgive takes back one attempt of key (one that succeeded).
func (ls *LoginFailureStore) Forgive(ctx context.Context, key string) error {
	_, err := ls.s.exec(ctx, sqlf.Sprintf("UPDATE login_failures SET failures = failures - 1 WHERE key = %s AND failures > 0", key))
	return err
}

// Reset forgets key's failures.
func (ls *LoginFailureStore) Reset(ctx context.Context, key string) error {
	_, err := ls.s.exec(ctx, sqlf.Sprintf("DELETE FROM login_failures WHERE key = %s", key))
	return err
}
