package webapp_test

import (
	"net/url"
	"strings"
	"testing"
)

// Organization membership by invitation: a site admin adds a member directly on the
// site admin's page; on the organization's page a member invites a user, sees the
// invitation pending and can revoke one; the invitee signs in through the invitation
// link, accepts, and is a member.
func TestOrganizationInvitation(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	e.user(t, "root", true)
	e.user(t, "bea", false)
	e.user(t, "cid", false)
	e.user(t, "dan", false)

	admin := e.signIn(t, "root", "/site-admin/organizations")
	admin.WaitText("main h1", "Organizations")
	admin.Fill("New organization name", "acme")
	admin.Click("Create organization")
	admin.WaitText("main ul.list", "acme")
	admin.WaitText("main ul.list", "1 member")
	admin.Click("Add a member to acme")
	admin.Fill("Username", "dan")
	admin.Click("Add now")
	admin.WaitText("main ul.list", "2 members")
	admin.WaitText("main ul.list [role=status]", "Added dan")
	admin.CheckA11y()

	admin.Go(e.url + "/organizations/acme")
	admin.WaitText("main ul[aria-label=Members]", "dan")
	admin.Fill("Invite a user by username", "bea")
	admin.Click("Send invitation")
	admin.WaitText("main [role=status]", "Invited bea. No email was sent")
	link := admin.Text("main [role=status] code")
	u, err := url.Parse(link)
	if err != nil || u.Path != "/organizations/acme/invitation" {
		t.Fatalf("the invitation link shown is %q", link)
	}
	admin.WaitText("main ul[aria-label='Pending invitations']", "bea")
	admin.Fill("Invite a user by username", "cid")
	admin.Click("Send invitation")
	admin.WaitText("main ul[aria-label='Pending invitations']", "cid")
	admin.Click("Revoke the invitation of cid")
	waitGone(t, admin, "main ul[aria-label='Pending invitations']", "cid")
	admin.WaitText("main ul[aria-label='Pending invitations']", "bea")
	admin.Fill("Invite a user by username", "nobody-here")
	admin.Click("Send invitation")
	admin.WaitText("main [role=alert]", "Could not invite")
	admin.CheckA11y()
	admin.CheckPhoneWidth()

	// Bea follows the link signed out, signs in, and comes back to answer.
	bea := e.signIn(t, "bea", u.Path)
	bea.WaitText("main h1", "Join acme")
	bea.WaitText("main", "root invited you to join the organization acme")
	bea.WaitText("header", "1 invitation")
	bea.CheckA11y()
	bea.Click("Accept and join acme")
	bea.WaitText("main h1", "acme")
	bea.WaitText("main", "you are a member")
	bea.WaitText("main ul[aria-label=Members]", "bea")
	waitGone(t, bea, "header", "invitation")
	// A member invites too (members and site admins may).
	bea.WaitText("main form[aria-label='Invite a member']", "Invite a user by username")

	// The link again, now answered; and as someone it does not address.
	bea.Go(e.url + u.Path)
	bea.WaitText("main", "You are a member of acme")
	cid := e.signIn(t, "cid", u.Path)
	cid.WaitText("main", "You have no pending invitation to acme")
	if got := cid.Text("main"); strings.Contains(got, "Invite a user") {
		t.Errorf("a non-member is offered to invite: %q", got)
	}
}
