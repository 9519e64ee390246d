package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// CampaignsCredential is a code host credential campaigns push and open pull requests
// with: a user's (UserID set) or site-wide (UserID 0). Secret is decrypted.
type CampaignsCredential struct {
	ID                  int64
	UserID              int64
	ExternalServiceKind string
	ExternalServiceURL  string
	Username            string
	Secret              string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

const credentialColumns = "id, coalesce(user_id, 0), external_service_kind, external_service_url, username, credential, created_at, updated_at"

func (cs *CampaignStore) scanCredential(row pgx.Row) (*CampaignsCredential, error) {
	var c CampaignsCredential
	if err := row.Scan(&c.ID, &c.UserID, &c.ExternalServiceKind, &c.ExternalServiceURL, &c.Username, &c.Secret, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	plain, err := cs.s.key.Decrypt(c.Secret)
	if err != nil {
		return nil, fmt.Errorf("reading campaigns credential %d: %w", c.ID, err)
	}
	c.Secret = plain
	return &c, nil
}

// PutCredential stores a credential for a code host (replacing the one the same user, or
// the site, had for it), encrypted at rest.
func (cs *CampaignStore) PutCredential(ctx context.Context, c CampaignsCredential) (*CampaignsCredential, error) {
	stored, err := cs.s.key.Encrypt(c.Secret)
	if err != nil {
		return nil, err
	}
	var out *CampaignsCredential
	err = cs.s.Transact(ctx, func(tx *Store) error {
		owner := sqlf.Sprintf("user_id IS NULL")
		if c.UserID != 0 {
			owner = sqlf.Sprintf("user_id = %s", c.UserID)
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM campaigns_credentials WHERE %s AND external_service_kind = %s AND external_service_url = %s",
			owner, c.ExternalServiceKind, c.ExternalServiceURL)); err != nil {
			return err
		}
		var err error
		out, err = tx.Campaigns().scanCredential(tx.queryRow(ctx, sqlf.Sprintf(`INSERT INTO campaigns_credentials (user_id, external_service_kind, external_service_url, username, credential)
VALUES (nullif(%s, 0), %s, %s, %s, %s) RETURNING `+credentialColumns, c.UserID, c.ExternalServiceKind, c.ExternalServiceURL, c.Username, stored)))
		return err
	})
	return out, err
}

// GetCredential returns a credential.
func (cs *CampaignStore) GetCredential(ctx context.Context, id int64) (*CampaignsCredential, error) {
	c, err := cs.scanCredential(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+credentialColumns+" FROM campaigns_credentials WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaigns credential %d", id)
	}
	return c, err
}

// DeleteCredential deletes a credential.
func (cs *CampaignStore) DeleteCredential(ctx context.Context, id int64) error {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM campaigns_credentials WHERE id = %s", id))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("campaigns credential %d", id)
	}
	return nil
}

// ListCredentials returns a user's credentials, or with userID 0 the site-wide ones.
func (cs *CampaignStore) ListCredentials(ctx context.Context, userID int64) ([]*CampaignsCredential, error) {
	owner := sqlf.Sprintf("user_id IS NULL")
	if userID != 0 {
		owner = sqlf.Sprintf("user_id = %s", userID)
	}
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+credentialColumns+" FROM campaigns_credentials WHERE %s ORDER BY external_service_kind, external_service_url", owner), cs.scanCredential)
}

// CredentialFor returns the credential to use for a code host on behalf of userID: the
// user's own, else the site-wide one. It returns (nil, nil) when there is neither.
func (cs *CampaignStore) CredentialFor(ctx context.Context, userID int64, kind, url string) (*CampaignsCredential, error) {
	c, err := cs.scanCredential(cs.s.queryRow(ctx, sqlf.Sprintf(`SELECT `+credentialColumns+` FROM campaigns_credentials
WHERE external_service_kind = %s AND external_service_url = %s AND (user_id = %s OR user_id IS NULL)
ORDER BY user_id NULLS LAST LIMIT 1`, kind, url, userID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return c, err
}
