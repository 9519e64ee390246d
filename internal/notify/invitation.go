package notify

import (
	"context"
	"fmt"
	"html"
)

// Invitation is an invitation to join an organization, as its email says it.
type Invitation struct {
	// From is who invited: their display name, or username.
	From string
	// Organization is the organization's display name or name.
	Organization string
	// URL is the Lookout page where the recipient accepts or declines.
	URL string
}

// InvitationEmail renders an invitation to join an organization. It asks the recipient
// to respond on Lookout; the link itself changes nothing (accepting is a mutation the
// signed-in recipient makes).
func InvitationEmail(inv Invitation) Email {
	from, org := oneLine(inv.From), oneLine(inv.Organization)
	subject := fmt.Sprintf("%s invited you to join %s on Lookout", from, org)
	text := fmt.Sprintf("%s invited you to join the organization %s on Lookout.\n\n"+
		"As a member you will see its dashboards and may receive its code monitors' email.\n"+
		"Accept or decline the invitation here:\n\n  %s\n", from, org, inv.URL)
	body := fmt.Sprintf(`<p><strong>%s</strong> invited you to join the organization <strong>%s</strong> on Lookout.</p>
<p>As a member you will see its dashboards and may receive its code monitors' email.</p>
<p><a href="%s">Accept or decline the invitation</a></p>
`, html.EscapeString(from), html.EscapeString(org), html.EscapeString(inv.URL))
	return Email{Subject: subject, Text: text, HTML: body}
}

// SendInvitation emails an invitation to one address; deliveryID names it (see
// Mailer.Send). ErrEmailNotConfigured without SMTP.
func (n *Notifier) SendInvitation(ctx context.Context, to, deliveryID string, inv Invitation) error {
	if n.mailer == nil {
		return ErrEmailNotConfigured
	}
	return n.mailer.Send(ctx, to, deliveryID, InvitationEmail(inv))
}
