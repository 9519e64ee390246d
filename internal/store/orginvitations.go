package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// OrgInvitation is a row of org_invitations: a member's invitation of a user to an
// organization, pending until the recipient accepts or rejects it or a member revokes it.
type OrgInvitation struct {
	ID              int64
	OrgID           int64
	SenderUserID    int64
	RecipientUserID int64
	CreatedAt       time.Time
	NotifiedAt      *time.Time
	RespondedAt     *time.Time
	Accepted        *bool // set with RespondedAt
	RevokedAt       *time.Time
}

// Pending reports whether the invitation awaits a response.
func (i *OrgInvitation) Pending() bool { return i.RespondedAt == nil && i.RevokedAt == nil }

// ErrAlreadyMember is returned when a member of an organization is invited to it.
var ErrAlreadyMember = errors.New("the user is already a member of the organization")

const orgInvitationColumns = "i.id, i.org_id, i.sender_user_id, i.recipient_user_id, i.created_at, i.notified_at, i.responded_at, i.accepted, i.revoked_at"

func scanOrgInvitation(row pgx.Row) (*OrgInvitation, error) {
	var i OrgInvitation
	err := row.Scan(&i.ID, &i.OrgID, &i.SenderUserID, &i.RecipientUserID, &i.CreatedAt, &i.NotifiedAt, &i.RespondedAt, &i.Accepted, &i.RevokedAt)
	return &i, err
}

// pendingInvitation is the condition of a pending invitation of a live user to a live
// organization, on alias i.
const pendingInvitation = `i.responded_at IS NULL AND i.revoked_at IS NULL
AND EXISTS (SELECT 1 FROM orgs o WHERE o.id = i.org_id AND o.deleted_at IS NULL)
AND EXISTS (SELECT 1 FROM users u WHERE u.id = i.recipient_user_id AND u.deleted_at IS NULL)`

// Invite records senderID's invitation of recipientID to orgID, or returns the pending
// one that already exists (created is then false). A member cannot be invited.
func (os *OrgStore) Invite(ctx context.Context, orgID, senderID, recipientID int64) (inv *OrgInvitation, created bool, err error) {
	err = os.s.Transact(ctx, func(tx *Store) error {
		member, err := tx.Orgs().IsMember(ctx, orgID, recipientID)
		if err != nil {
			return err
		}
		if member {
			return ErrAlreadyMember
		}
		inv, err = scanOrgInvitation(tx.queryRow(ctx, sqlf.Sprintf(`INSERT INTO org_invitations AS i (org_id, sender_user_id, recipient_user_id) VALUES (%s, %s, %s)
ON CONFLICT (org_id, recipient_user_id) WHERE responded_at IS NULL AND revoked_at IS NULL DO NOTHING RETURNING `+orgInvitationColumns, orgID, senderID, recipientID)))
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		inv, err = scanOrgInvitation(tx.queryRow(ctx, sqlf.Sprintf("SELECT "+orgInvitationColumns+" FROM org_invitations i WHERE i.org_id = %s AND i.recipient_user_id = %s AND i.responded_at IS NULL AND i.revoked_at IS NULL",
			orgID, recipientID)))
		return err
	})
	return inv, created, err
}

// GetInvitation returns an invitation by id, pending or not.
func (os *OrgStore) GetInvitation(ctx context.Context, id int64) (*OrgInvitation, error) {
	inv, err := scanOrgInvitation(os.s.queryRow(ctx, sqlf.Sprintf("SELECT "+orgInvitationColumns+" FROM org_invitations i WHERE i.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("organization invitation %d", id)
	}
	return inv, err
}

// PendingInvitation returns userID's pending invitation to orgID, nil when there is none.
func (os *OrgStore) PendingInvitation(ctx context.Context, orgID, userID int64) (*OrgInvitation, error) {
	inv, err := scanOrgInvitation(os.s.queryRow(ctx, sqlf.Sprintf("SELECT "+orgInvitationColumns+" FROM org_invitations i WHERE i.org_id = %s AND i.recipient_user_id = %s AND "+pendingInvitation,
		orgID, userID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return inv, err
}

// PendingInvitationsForUser returns the invitations userID has not answered, oldest first.
func (os *OrgStore) PendingInvitationsForUser(ctx context.Context, userID int64) ([]*OrgInvitation, error) {
	return collect(ctx, os.s, sqlf.Sprintf("SELECT "+orgInvitationColumns+" FROM org_invitations i WHERE i.recipient_user_id = %s AND "+pendingInvitation+" ORDER BY i.id", userID), scanOrgInvitation)
}

// PendingInvitationsForOrg returns the invitations to orgID awaiting an answer, oldest first.
func (os *OrgStore) PendingInvitationsForOrg(ctx context.Context, orgID int64) ([]*OrgInvitation, error) {
	return collect(ctx, os.s, sqlf.Sprintf("SELECT "+orgInvitationColumns+" FROM org_invitations i WHERE i.org_id = %s AND "+pendingInvitation+" ORDER BY i.id", orgID), scanOrgInvitation)
}

// MarkInvitationNotified records that the recipient was sent an email about it.
func (os *OrgStore) MarkInvitationNotified(ctx context.Context, id int64) error {
	_, err := os.s.exec(ctx, sqlf.Sprintf("UPDATE org_invitations SET notified_at = now() WHERE id = %s", id))
	return err
}

// RespondToInvitation records recipientID's answer to a pending invitation and, on accept,
// makes them a member, in one transaction. An invitation that is not recipientID's, or
// not pending, is not found: only the recipient can answer, and only once.
func (os *OrgStore) RespondToInvitation(ctx context.Context, id, recipientID int64, accept bool) (*OrgInvitation, error) {
	var inv *OrgInvitation
	err := os.s.Transact(ctx, func(tx *Store) error {
		var err error
		inv, err = scanOrgInvitation(tx.queryRow(ctx, sqlf.Sprintf(`UPDATE org_invitations AS i SET responded_at = now(), accepted = %s
WHERE i.id = %s AND i.recipient_user_id = %s AND `+pendingInvitation+` RETURNING `+orgInvitationColumns, accept, id, recipientID)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("pending organization invitation %d for you", id)
		}
		if err != nil || !accept {
			return err
		}
		_, err = tx.exec(ctx, sqlf.Sprintf("INSERT INTO org_members (org_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", inv.OrgID, recipientID))
		return err
	})
	return inv, err
}

// RevokeInvitation withdraws a pending invitation; one already answered or revoked is
// not found.
func (os *OrgStore) RevokeInvitation(ctx context.Context, id int64) error {
	tag, err := os.s.exec(ctx, sqlf.Sprintf("UPDATE org_invitations AS i SET revoked_at = now() WHERE i.id = %s AND i.responded_at IS NULL AND i.revoked_at IS NULL", id))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("pending organization invitation %d", id)
	}
	return nil
}
