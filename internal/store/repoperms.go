package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Permission sources.
const (
	PermissionSourceAPI  = "api"
	PermissionSourceSync = "sync"
)

// SetRepoPermissions makes userIDs exactly the users granted repoID by source; grants of
// the other source are kept, so a code host sync never removes what an admin granted.
func (rs *RepoStore) SetRepoPermissions(ctx context.Context, repoID int64, userIDs []int64, source string) error {
	if userIDs == nil {
		userIDs = []int64{}
	}
	return rs.s.Transact(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM repo_permissions WHERE repo_id = %s AND source = %s AND NOT (user_id = ANY(%s))", repoID, source, userIDs)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, sqlf.Sprintf(`INSERT INTO repo_permissions (repo_id, user_id, source)
SELECT %s, u.id, %s FROM users u WHERE u.id = ANY(%s) AND u.deleted_at IS NULL
ON CONFLICT (repo_id, user_id) DO UPDATE SET updated_at = now()`, repoID, source, userIDs))
		return err
	})
}

// RepoPermissionUsers returns the live users granted access to repoID, in id order.
func (rs *RepoStore) RepoPermissionUsers(ctx context.Context, repoID int64) ([]*User, error) {
	return collect(ctx, rs.s, sqlf.Sprintf(`SELECT u.id, u.username, u.display_name, coalesce(u.email, ''), u.email_verified, u.site_admin, coalesce(u.password_hash, ''), u.created_at, u.updated_at
FROM users u JOIN repo_permissions p ON p.user_id = u.id WHERE p.repo_id = %s AND u.deleted_at IS NULL ORDER BY u.id`, repoID), scanUser)
}

// ExternalAccount links a user to a code host login.
type ExternalAccount struct {
	ID          int64
	UserID      int64
	ServiceKind string
	ServiceURL  string
	Login       string
}

// AddExternalAccount links userID to login on a code host (idempotent).
func (s *Store) AddExternalAccount(ctx context.Context, userID int64, kind, serviceURL, login string) error {
	_, err := s.exec(ctx, sqlf.Sprintf(`INSERT INTO user_external_accounts (user_id, service_kind, service_url, login) VALUES (%s, %s, %s, %s)
ON CONFLICT (service_kind, service_url, login) DO UPDATE SET user_id = EXCLUDED.user_id`, userID, kind, serviceURL, login))
	return err
}

// UserIDsForCodeHostIdentities maps code host logins (via linked external accounts) and
// email addresses (via verified user emails) to live users.
func (s *Store) UserIDsForCodeHostIdentities(ctx context.Context, kind, serviceURL string, logins, emails []string) ([]int64, error) {
	if logins == nil {
		logins = []string{}
	}
	if emails == nil {
		emails = []string{}
	}
	return collect(ctx, s, sqlf.Sprintf(`SELECT DISTINCT u.id FROM users u WHERE u.deleted_at IS NULL AND (
  EXISTS (SELECT 1 FROM user_external_accounts a WHERE a.user_id = u.id AND a.service_kind = %s AND a.service_url = %s AND a.login = ANY(%s::citext[]))
  OR (u.email_verified AND u.email = ANY(%s::citext[])))
ORDER BY u.id`, kind, serviceURL, logins, emails), func(row pgx.Row) (int64, error) {
		var id int64
		err := row.Scan(&id)
		return id, err
	})
}
