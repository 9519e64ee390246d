package resolvers

import (
	"context"
	"errors"
	"fmt"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/store"
)

// Organization membership is by invitation: a member invites, the invitee accepts (or
// rejects), and only site admins add members directly. Membership makes an
// organization's dashboards and code monitor email reach a user, so it needs their
// consent. The API shape is Sourcegraph's.

const orgInvitationKind = "OrganizationInvitation"

// OrgInvitationResolver resolves OrganizationInvitation.
type OrgInvitationResolver struct {
	r   *Resolver
	inv *store.OrgInvitation
}

func (i *OrgInvitationResolver) ID() graphql.ID         { return marshalID(orgInvitationKind, i.inv.ID) }
func (i *OrgInvitationResolver) CreatedAt() DateTime    { return newDateTime(i.inv.CreatedAt) }
func (i *OrgInvitationResolver) NotifiedAt() *DateTime  { return newDateTimePtr(i.inv.NotifiedAt) }
func (i *OrgInvitationResolver) RespondedAt() *DateTime { return newDateTimePtr(i.inv.RespondedAt) }
func (i *OrgInvitationResolver) RevokedAt() *DateTime   { return newDateTimePtr(i.inv.RevokedAt) }

func (i *OrgInvitationResolver) Organization(ctx context.Context) (*OrgResolver, error) {
	return i.r.orgByID(ctx, i.inv.OrgID)
}
func (i *OrgInvitationResolver) Sender(ctx context.Context) (*UserResolver, error) {
	return i.r.userByID(ctx, i.inv.SenderUserID)
}
func (i *OrgInvitationResolver) Recipient(ctx context.Context) (*UserResolver, error) {
	return i.r.userByID(ctx, i.inv.RecipientUserID)
}

func (i *OrgInvitationResolver) ResponseType() *string {
	if i.inv.Accepted == nil {
		return nil
	}
	t := map[bool]string{true: "ACCEPT", false: "REJECT"}[*i.inv.Accepted]
	return &t
}

// RespondURL is the recipient's page for a pending invitation.
func (i *OrgInvitationResolver) RespondURL(ctx context.Context) (*string, error) {
	if !i.inv.Pending() {
		return nil, nil
	}
	org, err := i.r.Store.Orgs().GetByID(ctx, i.inv.OrgID)
	if err != nil {
		return nil, storeErr(err)
	}
	u := i.r.orgInvitationURL(org)
	return &u, nil
}

// orgInvitationURL is the web app's page where an invitee answers.
func (r *Resolver) orgInvitationURL(org *store.Org) string {
	return r.url("/organizations/" + org.Name + "/invitation")
}

// checkCanSeeInvitation allows the recipient, the organization's members and site admins.
func (r *Resolver) checkCanSeeInvitation(ctx context.Context, inv *store.OrgInvitation) error {
	if auth.FromContext(ctx).IsUser(inv.RecipientUserID) {
		return nil
	}
	return auth.CheckOrgMemberOrSiteAdmin(ctx, r.Store, inv.OrgID)
}

func (r *Resolver) orgInvitationNode(ctx context.Context, id int64) (*OrgInvitationResolver, error) {
	inv, err := r.Store.Orgs().GetInvitation(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	if r.checkCanSeeInvitation(ctx, inv) != nil {
		return nil, storeErr(store.ErrNotFound) // as if it did not exist
	}
	return &OrgInvitationResolver{r: r, inv: inv}, nil
}

// ViewerPendingInvitation is the viewer's pending invitation to the organization.
func (o *OrgResolver) ViewerPendingInvitation(ctx context.Context) (*OrgInvitationResolver, error) {
	a := auth.FromContext(ctx)
	if a.UID == 0 {
		return nil, nil
	}
	inv, err := o.r.Store.Orgs().PendingInvitation(ctx, o.org.ID, a.UID)
	if err != nil || inv == nil {
		return nil, err
	}
	return &OrgInvitationResolver{r: o.r, inv: inv}, nil
}

// OrganizationInvitations are the user's unanswered invitations; the user and site
// admins only.
func (u *UserResolver) OrganizationInvitations(ctx context.Context) ([]*OrgInvitationResolver, error) {
	if err := auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID); err != nil {
		return nil, err
	}
	invs, err := u.r.Store.Orgs().PendingInvitationsForUser(ctx, u.user.ID)
	return u.r.orgInvitations(invs), err
}

func (r *Resolver) orgInvitations(invs []*store.OrgInvitation) []*OrgInvitationResolver {
	out := make([]*OrgInvitationResolver, len(invs))
	for i, inv := range invs {
		out[i] = &OrgInvitationResolver{r: r, inv: inv}
	}
	return out
}

// PendingInvitations lists the organization's unanswered invitations; members and site
// admins only.
func (r *Resolver) PendingInvitations(ctx context.Context, args struct{ Organization graphql.ID }) ([]*OrgInvitationResolver, error) {
	org, err := r.orgForMember(ctx, args.Organization)
	if err != nil {
		return nil, err
	}
	invs, err := r.Store.Orgs().PendingInvitationsForOrg(ctx, org.ID)
	return r.orgInvitations(invs), err
}

// orgForMember decodes an organization ID the viewer must be a member of (or a site
// admin), and loads it.
func (r *Resolver) orgForMember(ctx context.Context, id graphql.ID) (*store.Org, error) {
	orgID, err := unmarshalID(id, "Org")
	if err != nil {
		return nil, err
	}
	if err := auth.CheckOrgMemberOrSiteAdmin(ctx, r.Store, orgID); err != nil {
		return nil, err
	}
	org, err := r.Store.Orgs().GetByID(ctx, orgID)
	return org, storeErr(err)
}

// InviteUserToOrganizationResult resolves the type of the same name.
type InviteUserToOrganizationResult struct {
	sent bool
	url  string
}

func (r *InviteUserToOrganizationResult) SentInvitationEmail() bool { return r.sent }
func (r *InviteUserToOrganizationResult) InvitationURL() string     { return r.url }

func (r *Resolver) InviteUserToOrganization(ctx context.Context, args struct {
	Organization graphql.ID
	Username     string
}) (*InviteUserToOrganizationResult, error) {
	org, err := r.orgForMember(ctx, args.Organization)
	if err != nil {
		return nil, err
	}
	recipient, err := r.Store.Users().GetByUsername(ctx, args.Username)
	if err != nil {
		return nil, storeErr(err)
	}
	sender, err := r.Store.Users().GetByID(ctx, auth.FromContext(ctx).UID)
	if err != nil {
		return nil, storeErr(err)
	}
	inv, created, err := r.Store.Orgs().Invite(ctx, org.ID, sender.ID, recipient.ID)
	if errors.Is(err, store.ErrAlreadyMember) {
		return nil, errcode.New(errcode.AlreadyExists, "%s is already a member of %s", recipient.Username, org.Name)
	}
	if err != nil {
		return nil, err
	}
	res := &InviteUserToOrganizationResult{url: r.orgInvitationURL(org)}
	// One email per invitation: inviting again answers with the pending invitation and
	// sends nothing, so members cannot flood a user's inbox.
	if created && r.Notifier.EmailEnabled() && recipient.Email != "" && recipient.EmailVerified {
		res.sent = r.sendInvitation(ctx, inv, org, sender, recipient.Email, res.url)
	}
	return res, nil
}

// sendInvitation emails the recipient; a failure is logged, not returned: the invitation
// stands, and the inviter gets its URL to pass on.
func (r *Resolver) sendInvitation(ctx context.Context, inv *store.OrgInvitation, org *store.Org, sender *store.User, to, url string) bool {
	from := sender.DisplayName
	if from == "" {
		from = sender.Username
	}
	orgName := org.DisplayName
	if orgName == "" {
		orgName = org.Name
	}
	if err := r.Notifier.SendInvitation(ctx, to, fmt.Sprintf("org-invitation-%d", inv.ID), notify.Invitation{From: from, Organization: orgName, URL: url}); err != nil {
		r.Logger.Warn("sending an organization invitation email failed", log.Int64("invitation", inv.ID), log.Error(err))
		return false
	}
	if err := r.Store.Orgs().MarkInvitationNotified(ctx, inv.ID); err != nil {
		r.Logger.Warn("recording an invitation email", log.Int64("invitation", inv.ID), log.Error(err))
	}
	return true
}

func (r *Resolver) RespondToOrganizationInvitation(ctx context.Context, args struct {
	OrganizationInvitation graphql.ID
	ResponseType           string
}) (*EmptyResponse, error) {
	a := auth.FromContext(ctx)
	if a.UID == 0 {
		return nil, auth.ErrNotAuthenticated
	}
	id, err := unmarshalID(args.OrganizationInvitation, orgInvitationKind)
	if err != nil {
		return nil, err
	}
	// Only the recipient's pending invitation matches: anyone else's is not found.
	_, err = r.Store.Orgs().RespondToInvitation(ctx, id, a.UID, args.ResponseType == "ACCEPT")
	return empty(storeErr(err))
}

func (r *Resolver) RevokeOrganizationInvitation(ctx context.Context, args struct{ OrganizationInvitation graphql.ID }) (*EmptyResponse, error) {
	id, err := unmarshalID(args.OrganizationInvitation, orgInvitationKind)
	if err != nil {
		return nil, err
	}
	inv, err := r.Store.Orgs().GetInvitation(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	if err := auth.CheckOrgMemberOrSiteAdmin(ctx, r.Store, inv.OrgID); err != nil {
		return nil, err
	}
	return empty(storeErr(r.Store.Orgs().RevokeInvitation(ctx, id)))
}
