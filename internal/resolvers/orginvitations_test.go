package resolvers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/notify/notifytest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
)

// TestOrganizationMembershipByInvitation: members invite, only the invitee can accept or
// reject, only site admins add directly, and an invitation email goes out once.
func TestOrganizationMembershipByInvitation(t *testing.T) {
	ctx := context.Background()
	mb := notifytest.StartSMTP(t)
	n, err := notify.New(notify.Config{SMTP: mb.SMTPConfig()})
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }})
	_, aliceToken := e.CreateUser(t, "alice", false)
	bob, bobToken := e.CreateUser(t, "bob", false)
	carol, carolToken := e.CreateUser(t, "carol", false)
	mallory, malloryToken := e.CreateUser(t, "mallory", false)

	var org struct{ CreateOrganization struct{ ID string } }
	e.MustDo(t, aliceToken, `mutation { createOrganization(name: "acme", displayName: "Acme Corp") { id } }`, nil, &org)
	orgID := org.CreateOrganization.ID
	acme, err := e.Store.Orgs().GetByName(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}

	invite := `mutation($o: ID!, $u: String!) { inviteUserToOrganization(organization: $o, username: $u) { sentInvitationEmail invitationURL } }`
	type inviteResult struct {
		InviteUserToOrganization struct {
			SentInvitationEmail bool
			InvitationURL       string
		}
	}
	respond := `mutation($i: ID!, $r: OrganizationInvitationResponseType!) { respondToOrganizationInvitation(organizationInvitation: $i, responseType: $r) { alwaysNil } }`
	code := func(token, q string, vars map[string]any) string {
		t.Helper()
		return e.Do(t, token, q, vars).Code()
	}

	// Adding directly is for site admins; inviting is for members.
	for _, tc := range []struct{ who, token, q, user string }{
		{"a member adding bob", aliceToken, `mutation($o: ID!, $u: String!) { addUserToOrganization(organization: $o, username: $u) { alwaysNil } }`, "bob"},
		{"a member adding the site admin", aliceToken, `mutation($o: ID!, $u: String!) { addUserToOrganization(organization: $o, username: $u) { alwaysNil } }`, "admin"},
		{"a non-member inviting", malloryToken, invite, "bob"},
	} {
		if c := code(tc.token, tc.q, map[string]any{"o": orgID, "u": tc.user}); c != "FORBIDDEN" {
			t.Errorf("%s: %q, want FORBIDDEN", tc.who, c)
		}
	}
	if c := code(aliceToken, invite, map[string]any{"o": orgID, "u": "nobody"}); c != "NOT_FOUND" {
		t.Errorf("inviting an unknown user: %q", c)
	}

	var res inviteResult
	e.MustDo(t, aliceToken, invite, map[string]any{"o": orgID, "u": "bob"}, &res)
	if !res.InviteUserToOrganization.SentInvitationEmail || res.InviteUserToOrganization.InvitationURL != "http://lookout.test/organizations/acme/invitation" {
		t.Fatalf("invite result: %+v", res)
	}
	mails := mb.All()
	if len(mails) != 1 || mails[0].To != "bob@example.com" || !strings.Contains(mails[0].Data, "alice invited you to join Acme Corp on Lookout") ||
		!strings.Contains(mails[0].Data, "http://lookout.test/organizations/acme/invitation") || !strings.Contains(mails[0].Data, "X-Lookout-Delivery: org-invitation-") {
		t.Fatalf("invitation email: %+v", mails)
	}
	// Inviting again returns the same invitation, without a second email.
	e.MustDo(t, aliceToken, invite, map[string]any{"o": orgID, "u": "bob"}, &res)
	if res.InviteUserToOrganization.SentInvitationEmail || len(mb.All()) != 1 {
		t.Fatalf("a repeated invitation sent email again: %+v, %d emails", res, len(mb.All()))
	}

	// Bob is not a member until he answers; he sees the invitation, others do not.
	var view struct {
		Organization struct {
			ViewerIsMember          bool
			ViewerPendingInvitation *struct {
				ID           string
				Sender       struct{ Username string }
				Recipient    struct{ Username string }
				Organization struct{ Name string }
				RespondURL   *string
				NotifiedAt   *string
			}
		}
		CurrentUser struct {
			OrganizationInvitations []struct{ ID string }
		}
	}
	orgView := `{ organization(name: "acme") { viewerIsMember viewerPendingInvitation { id sender { username } recipient { username } organization { name } respondURL notifiedAt } }
		currentUser { organizationInvitations { id } } }`
	e.MustDo(t, bobToken, orgView, nil, &view)
	inv := view.Organization.ViewerPendingInvitation
	if view.Organization.ViewerIsMember || inv == nil || inv.Sender.Username != "alice" || inv.Recipient.Username != "bob" || inv.Organization.Name != "acme" ||
		inv.RespondURL == nil || inv.NotifiedAt == nil || len(view.CurrentUser.OrganizationInvitations) != 1 || view.CurrentUser.OrganizationInvitations[0].ID != inv.ID {
		t.Fatalf("bob's view before answering: %+v", view)
	}
	invID := inv.ID
	var pending struct{ PendingInvitations []struct{ ID string } }
	e.MustDo(t, aliceToken, `query($o: ID!) { pendingInvitations(organization: $o) { id } }`, map[string]any{"o": orgID}, &pending)
	if len(pending.PendingInvitations) != 1 || pending.PendingInvitations[0].ID != invID {
		t.Fatalf("the organization's pending invitations: %+v", pending)
	}
	if c := code(malloryToken, `query($o: ID!) { pendingInvitations(organization: $o) { id } }`, map[string]any{"o": orgID}); c != "FORBIDDEN" {
		t.Errorf("a non-member listing invitations: %q", c)
	}
	if c := code(malloryToken, `query($u: ID!) { node(id: $u) { ... on User { organizationInvitations { id } } } }`, map[string]any{"u": userID(bob.ID)}); c != "FORBIDDEN" {
		t.Errorf("mallory reading bob's invitations: %q", c)
	}
	var node struct{ Node *struct{ ID string } }
	e.MustDo(t, malloryToken, `query($i: ID!) { node(id: $i) { id } }`, map[string]any{"i": invID}, &node)
	if node.Node != nil {
		t.Error("a non-member reads the invitation by ID")
	}

	// Only the recipient answers.
	for who, token := range map[string]string{"mallory": malloryToken, "alice (the sender)": aliceToken, "the site admin": e.AdminToken} {
		if c := code(token, respond, map[string]any{"i": invID, "r": "ACCEPT"}); c != "NOT_FOUND" {
			t.Errorf("%s accepting bob's invitation: %q", who, c)
		}
	}
	if member, _ := e.Store.Orgs().IsMember(ctx, acme.ID, mallory.ID); member {
		t.Fatal("mallory became a member")
	}
	e.MustDo(t, bobToken, respond, map[string]any{"i": invID, "r": "ACCEPT"}, nil)
	e.MustDo(t, bobToken, orgView, nil, &view)
	if !view.Organization.ViewerIsMember || view.Organization.ViewerPendingInvitation != nil || len(view.CurrentUser.OrganizationInvitations) != 0 {
		t.Fatalf("bob after accepting: %+v", view)
	}
	if c := code(bobToken, respond, map[string]any{"i": invID, "r": "REJECT"}); c != "NOT_FOUND" {
		t.Errorf("answering twice: %q", c)
	}
	var answered struct {
		Node struct {
			ResponseType *string
			RespondURL   *string
			RespondedAt  *string
		}
	}
	e.MustDo(t, aliceToken, `query($i: ID!) { node(id: $i) { ... on OrganizationInvitation { responseType respondURL respondedAt } } }`, map[string]any{"i": invID}, &answered)
	if answered.Node.ResponseType == nil || *answered.Node.ResponseType != "ACCEPT" || answered.Node.RespondURL != nil || answered.Node.RespondedAt == nil {
		t.Fatalf("the answered invitation: %+v", answered)
	}
	if c := code(aliceToken, invite, map[string]any{"o": orgID, "u": "bob"}); c != "ALREADY_EXISTS" {
		t.Errorf("inviting a member: %q", c)
	}

	// Bob, now a member, invites carol; carol rejects and stays out.
	e.MustDo(t, bobToken, invite, map[string]any{"o": orgID, "u": "carol"}, nil)
	var carolView struct {
		CurrentUser struct{ OrganizationInvitations []struct{ ID string } }
	}
	e.MustDo(t, carolToken, `{ currentUser { organizationInvitations { id } } }`, nil, &carolView)
	if len(carolView.CurrentUser.OrganizationInvitations) != 1 {
		t.Fatalf("carol's invitations: %+v", carolView)
	}
	e.MustDo(t, carolToken, respond, map[string]any{"i": carolView.CurrentUser.OrganizationInvitations[0].ID, "r": "REJECT"}, nil)
	if member, _ := e.Store.Orgs().IsMember(ctx, acme.ID, carol.ID); member {
		t.Fatal("carol is a member after rejecting")
	}

	// A revoked invitation cannot be accepted; only members revoke.
	e.MustDo(t, aliceToken, invite, map[string]any{"o": orgID, "u": "carol"}, nil)
	e.MustDo(t, carolToken, `{ currentUser { organizationInvitations { id } } }`, nil, &carolView)
	again := carolView.CurrentUser.OrganizationInvitations[0].ID
	revoke := `mutation($i: ID!) { revokeOrganizationInvitation(organizationInvitation: $i) { alwaysNil } }`
	if c := code(malloryToken, revoke, map[string]any{"i": again}); c != "FORBIDDEN" {
		t.Errorf("a non-member revoking: %q", c)
	}
	e.MustDo(t, aliceToken, revoke, map[string]any{"i": again}, nil)
	if c := code(carolToken, respond, map[string]any{"i": again, "r": "ACCEPT"}); c != "NOT_FOUND" {
		t.Errorf("accepting a revoked invitation: %q", c)
	}
	if c := code(aliceToken, revoke, map[string]any{"i": again}); c != "NOT_FOUND" {
		t.Errorf("revoking twice: %q", c)
	}

	// No verified address, no email: the URL is there to pass on.
	if _, err := e.Store.Users().Create(ctx, store.NewUser{Username: "dave", Email: "dave@example.com"}); err != nil {
		t.Fatal(err)
	}
	e.MustDo(t, aliceToken, invite, map[string]any{"o": orgID, "u": "dave"}, &res)
	if res.InviteUserToOrganization.SentInvitationEmail || res.InviteUserToOrganization.InvitationURL == "" || len(mb.All()) != 3 {
		t.Fatalf("invitation of a user without a verified address: %+v, %d emails (want the ones to bob and carol)", res, len(mb.All()))
	}

	// A site admin's direct add withdraws the pending invitation.
	e.MustDo(t, aliceToken, invite, map[string]any{"o": orgID, "u": "mallory"}, nil)
	e.MustDo(t, e.AdminToken, `mutation($o: ID!) { addUserToOrganization(organization: $o, username: "mallory") { alwaysNil } }`, map[string]any{"o": orgID}, nil)
	var mv struct {
		Organization struct {
			ViewerIsMember          bool
			ViewerPendingInvitation *struct{ ID string }
		}
	}
	e.MustDo(t, malloryToken, `{ organization(name: "acme") { viewerIsMember viewerPendingInvitation { id } } }`, nil, &mv)
	if !mv.Organization.ViewerIsMember || mv.Organization.ViewerPendingInvitation != nil {
		t.Fatalf("mallory after the admin's add: %+v", mv)
	}
}
