package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"

	"github.com/lookout/lookout/internal/database"
)

// Org is a row of orgs: a namespace users share.
type Org struct {
	ID          int64
	Name        string
	DisplayName string
	CreatedAt   time.Time
}

// OrgStore reads and writes organisations and their members.
type OrgStore struct{ s *Store }

func (s *Store) Orgs() *OrgStore { return &OrgStore{s} }

const orgColumns = "id, name, display_name, created_at"

func scanOrg(row pgx.Row) (*Org, error) {
	var o Org
	err := row.Scan(&o.ID, &o.Name, &o.DisplayName, &o.CreatedAt)
	return &o, err
}

// Create inserts an organisation, reserves its name and makes creatorID (when non-zero) its
// first member.
func (os *OrgStore) Create(ctx context.Context, name, displayName string, creatorID int64) (*Org, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	var org *Org
	err := os.s.Transact(ctx, func(tx *Store) error {
		var creator any
		if creatorID != 0 {
			creator = creatorID
		}
		o, err := scanOrg(tx.queryRow(ctx, sqlf.Sprintf("INSERT INTO orgs (name, display_name, created_by) VALUES (%s, %s, %s) RETURNING "+orgColumns, name, displayName, creator)))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("INSERT INTO names (name, org_id) VALUES (%s, %s)", o.Name, o.ID)); err != nil {
			return err
		}
		if creatorID != 0 {
			if _, err := tx.exec(ctx, sqlf.Sprintf("INSERT INTO org_members (org_id, user_id) VALUES (%s, %s)", o.ID, creatorID)); err != nil {
				return err
			}
		}
		org = o
		return nil
	})
	if database.IsUniqueViolation(err, "") {
		return nil, ErrNameTaken
	}
	if err != nil {
		return nil, fmt.Errorf("creating organization: %w", err)
	}
	return org, nil
}

// GetByID returns a live organisation.
func (os *OrgStore) GetByID(ctx context.Context, id int64) (*Org, error) {
	o, err := scanOrg(os.s.queryRow(ctx, sqlf.Sprintf("SELECT "+orgColumns+" FROM orgs WHERE id = %s AND deleted_at IS NULL", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("organization %d", id)
	}
	return o, err
}

// GetByName returns a live organisation by name (case-insensitive).
func (os *OrgStore) GetByName(ctx context.Context, name string) (*Org, error) {
	o, err := scanOrg(os.s.queryRow(ctx, sqlf.Sprintf("SELECT "+orgColumns+" FROM orgs WHERE name = %s AND deleted_at IS NULL", name)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("organization %q", name)
	}
	return o, err
}

// ListForUser returns the organisations userID belongs to.
func (os *OrgStore) ListForUser(ctx context.Context, userID int64) ([]*Org, error) {
	return collect(ctx, os.s, sqlf.Sprintf(`SELECT o.id, o.name, o.display_name, o.created_at FROM orgs o
JOIN org_members m ON m.org_id = o.id WHERE m.user_id = %s AND o.deleted_at IS NULL ORDER BY o.id`, userID), scanOrg)
}

// AddMember adds userID to orgID (a site admin's direct add); adding an existing member is
// not an error. A pending invitation of the user to the organization is withdrawn: there
// is nothing left to answer.
func (os *OrgStore) AddMember(ctx context.Context, orgID, userID int64) error {
	err := os.s.Transact(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, sqlf.Sprintf("INSERT INTO org_members (org_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", orgID, userID)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, sqlf.Sprintf("UPDATE org_invitations SET revoked_at = now() WHERE org_id = %s AND recipient_user_id = %s AND responded_at IS NULL AND revoked_at IS NULL", orgID, userID))
		return err
	})
	if database.IsForeignKeyViolation(err) {
		return notFound("organization %d or user %d", orgID, userID)
	}
	return err
}

// RemoveMember removes userID from orgID.
func (os *OrgStore) RemoveMember(ctx context.Context, orgID, userID int64) error {
	_, err := os.s.exec(ctx, sqlf.Sprintf("DELETE FROM org_members WHERE org_id = %s AND user_id = %s", orgID, userID))
	return err
}

// IsMember reports whether userID belongs to orgID.
func (os *OrgStore) IsMember(ctx context.Context, orgID, userID int64) (bool, error) {
	var ok bool
	err := os.s.queryRow(ctx, sqlf.Sprintf("SELECT EXISTS (SELECT 1 FROM org_members WHERE org_id = %s AND user_id = %s)", orgID, userID)).Scan(&ok)
	return ok, err
}

// Members returns the live users of orgID in id order, paginated.
func (os *OrgStore) Members(ctx context.Context, orgID int64, page Page) ([]*User, error) {
	return collect(ctx, os.s, sqlf.Sprintf(`SELECT u.id, u.username, u.display_name, coalesce(u.email, ''), u.email_verified, u.site_admin, coalesce(u.password_hash, ''), u.created_at, u.updated_at
FROM users u JOIN org_members m ON m.user_id = u.id
WHERE m.org_id = %s AND u.deleted_at IS NULL AND u.id > %s ORDER BY u.id %s`, orgID, page.After, page.limitSQL()), scanUser)
}

// CountMembers counts the live users of orgID.
func (os *OrgStore) CountMembers(ctx context.Context, orgID int64) (int, error) {
	return os.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM users u JOIN org_members m ON m.user_id = u.id WHERE m.org_id = %s AND u.deleted_at IS NULL", orgID))
}

// List returns every organisation in id order, paginated (site admins' list).
func (os *OrgStore) List(ctx context.Context, page Page) ([]*Org, error) {
	return collect(ctx, os.s, sqlf.Sprintf("SELECT "+orgColumns+" FROM orgs WHERE deleted_at IS NULL AND id > %s ORDER BY id %s", page.After, page.limitSQL()), scanOrg)
}

// Count counts every organisation.
func (os *OrgStore) Count(ctx context.Context) (int, error) {
	return os.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM orgs WHERE deleted_at IS NULL"))
}
