package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"

	"github.com/lookout/lookout/internal/database"
)

// User is a row of users.
type User struct {
	ID            int64
	Username      string
	DisplayName   string
	Email         string
	EmailVerified bool
	SiteAdmin     bool
	PasswordHash  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// UserStore reads and writes users.
type UserStore struct{ s *Store }

func (s *Store) Users() *UserStore { return &UserStore{s} }

var validName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|[-.][A-Za-z0-9])*-?$`)

// ValidateName checks a user or organisation name: letters, digits, single hyphens or
// dots between them, at most 255 characters (the same rule the database enforces).
func ValidateName(name string) error {
	if name == "" {
		return errors.New("name must not be empty")
	}
	if len(name) > 255 {
		return errors.New("name must be at most 255 characters")
	}
	if !validName.MatchString(name) {
		return fmt.Errorf("name %q may contain only letters, digits, and single hyphens or dots between them", name)
	}
	return nil
}

// ErrNameTaken is returned when a user or organisation name is in use.
var ErrNameTaken = errors.New("name is already taken")

// ErrEmailTaken is returned when another user has the email address.
var ErrEmailTaken = errors.New("email address is already in use")

const userColumns = "id, username, display_name, coalesce(email, ''), email_verified, site_admin, coalesce(password_hash, ''), created_at, updated_at"

func scanUser(row pgx.Row) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.EmailVerified, &u.SiteAdmin, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	return &u, err
}

// NewUser is what Create needs.
type NewUser struct {
	Username      string
	DisplayName   string
	Email         string
	EmailVerified bool
	SiteAdmin     bool
	PasswordHash  string
}

// Create inserts a user and reserves its name.
func (us *UserStore) Create(ctx context.Context, nu NewUser) (*User, error) {
	if err := ValidateName(nu.Username); err != nil {
		return nil, err
	}
	var user *User
	err := us.s.Transact(ctx, func(tx *Store) error {
		var email any
		if nu.Email != "" {
			email = strings.TrimSpace(nu.Email)
		}
		var pw any
		if nu.PasswordHash != "" {
			pw = nu.PasswordHash
		}
		u, err := scanUser(tx.queryRow(ctx, sqlf.Sprintf(
			"INSERT INTO users (username, display_name, email, email_verified, site_admin, password_hash) VALUES (%s, %s, %s, %s, %s, %s) RETURNING "+userColumns,
			nu.Username, nu.DisplayName, email, nu.EmailVerified, nu.SiteAdmin, pw)))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("INSERT INTO names (name, user_id) VALUES (%s, %s)", u.Username, u.ID)); err != nil {
			return err
		}
		user = u
		return nil
	})
	switch {
	case database.IsUniqueViolation(err, "users_email"):
		return nil, ErrEmailTaken
	case database.IsUniqueViolation(err, "users_username"), database.IsUniqueViolation(err, "names_pkey"):
		return nil, ErrNameTaken
	case err != nil:
		return nil, fmt.Errorf("creating user: %w", err)
	}
	return user, nil
}

// GetByID returns a live user.
func (us *UserStore) GetByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(us.s.queryRow(ctx, sqlf.Sprintf("SELECT "+userColumns+" FROM users WHERE id = %s AND deleted_at IS NULL", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user %d", id)
	}
	return u, err
}

// GetByUsername returns a live user by name (case-insensitive).
func (us *UserStore) GetByUsername(ctx context.Context, username string) (*User, error) {
	u, err := scanUser(us.s.queryRow(ctx, sqlf.Sprintf("SELECT "+userColumns+" FROM users WHERE username = %s AND deleted_at IS NULL", username)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user %q", username)
	}
	return u, err
}

// GetByIDs returns the live users among ids, in id order.
func (us *UserStore) GetByIDs(ctx context.Context, ids []int64) ([]*User, error) {
	return collect(ctx, us.s, sqlf.Sprintf("SELECT "+userColumns+" FROM users WHERE id = ANY(%s) AND deleted_at IS NULL ORDER BY id", ids), scanUser)
}

// UserListOptions filter List.
type UserListOptions struct {
	Query string // substring of username, display name or email
	Page
}

func (o UserListOptions) where() squirrel.And {
	conds := squirrel.And{squirrel.Expr("deleted_at IS NULL")}
	if o.Query != "" {
		like := "%" + escapeLike(o.Query) + "%"
		conds = append(conds, squirrel.Or{squirrel.ILike{"username": like}, squirrel.ILike{"display_name": like}, squirrel.ILike{"email": like}})
	}
	return conds
}

// List returns users ordered by id.
func (us *UserStore) List(ctx context.Context, opts UserListOptions) ([]*User, error) {
	q := opts.Page.on(psql.Select(userColumns).From("users").Where(opts.where()), "id")
	return collectBuilt(ctx, us.s, q, scanUser)
}

// Count counts users matching opts (ignoring its page).
func (us *UserStore) Count(ctx context.Context, opts UserListOptions) (int, error) {
	return us.s.countBuilt(ctx, psql.Select("count(*)").From("users").Where(opts.where()))
}

// LastActive returns when the user last used an access token or signed in, as far as
// the rows kept say (expired sessions are deleted); nil when never.
func (us *UserStore) LastActive(ctx context.Context, id int64) (*time.Time, error) {
	var at *time.Time
	err := us.s.queryRow(ctx, sqlf.Sprintf(`SELECT greatest(
  (SELECT max(last_used_at) FROM access_tokens WHERE user_id = %s),
  (SELECT max(created_at) FROM sessions WHERE user_id = %s))`, id, id)).Scan(&at)
	return at, err
}

// CountSiteAdmins counts live site admins.
func (us *UserStore) CountSiteAdmins(ctx context.Context) (int, error) {
	return us.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM users WHERE site_admin AND deleted_at IS NULL"))
}

// SetPasswordHash replaces a user's password hash.
func (us *UserStore) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	tag, err := us.s.exec(ctx, sqlf.Sprintf("UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s AND deleted_at IS NULL", hash, id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("user %d", id)
	}
	return err
}

// SetSiteAdmin grants or revokes site admin.
func (us *UserStore) SetSiteAdmin(ctx context.Context, id int64, admin bool) error {
	tag, err := us.s.exec(ctx, sqlf.Sprintf("UPDATE users SET site_admin = %s, updated_at = now() WHERE id = %s AND deleted_at IS NULL", admin, id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("user %d", id)
	}
	return err
}

// Delete soft-deletes a user, frees its name and revokes its sessions and tokens.
func (us *UserStore) Delete(ctx context.Context, id int64) error {
	return us.s.Transact(ctx, func(tx *Store) error {
		tag, err := tx.exec(ctx, sqlf.Sprintf("UPDATE users SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL", id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("user %d", id)
		}
		for _, q := range []*sqlf.Query{
			sqlf.Sprintf("DELETE FROM names WHERE user_id = %s", id),
			sqlf.Sprintf("DELETE FROM sessions WHERE user_id = %s", id),
			sqlf.Sprintf("UPDATE access_tokens SET deleted_at = now() WHERE user_id = %s AND deleted_at IS NULL", id),
		} {
			if _, err := tx.exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetByEmail returns the live user with this email address (case-insensitive).
func (us *UserStore) GetByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(us.s.queryRow(ctx, sqlf.Sprintf("SELECT "+userColumns+" FROM users WHERE email = %s AND deleted_at IS NULL", email)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user with email %q", email)
	}
	return u, err
}
