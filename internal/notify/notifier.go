package notify

import (
	"context"
)

// Notifier bundles the senders a binary builds from Config: the action worker sends with
// it, the mutation layer validates URLs with it.
type Notifier struct {
	mailer  *Mailer // nil when email is not configured
	client  *SafeClient
	webhook *WebhookSender
	slack   *SlackSender
}

// New builds a Notifier. Email is optional: without SMTP_HOST, SendEmail returns
// ErrEmailNotConfigured.
func New(cfg Config) (*Notifier, error) {
	client, err := NewSafeClient(cfg.Outgoing)
	if err != nil {
		return nil, err
	}
	n := &Notifier{client: client, webhook: NewWebhookSender(client), slack: NewSlackSender(client)}
	if cfg.SMTP.Enabled() {
		if n.mailer, err = NewMailer(cfg.SMTP); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// EmailEnabled reports whether SMTP is configured.
func (n *Notifier) EmailEnabled() bool { return n.mailer != nil }

// SendEmail renders msg and sends it to one recipient address (see Mailer.Send).
func (n *Notifier) SendEmail(ctx context.Context, to, deliveryID string, msg Notification) error {
	if n.mailer == nil {
		return ErrEmailNotConfigured
	}
	return n.mailer.SendNotification(ctx, to, deliveryID, msg)
}

// SendWebhook posts msg, signed, to hook (see WebhookSender.Send).
func (n *Notifier) SendWebhook(ctx context.Context, hook Webhook, deliveryID string, msg Notification) error {
	return n.webhook.Send(ctx, hook, deliveryID, msg)
}

// SendSlack posts msg to a Slack incoming webhook (see SlackSender.Send).
func (n *Notifier) SendSlack(ctx context.Context, url, deliveryID string, msg Notification) error {
	return n.slack.Send(ctx, url, deliveryID, msg)
}

// ValidateWebhookURL checks a webhook URL a user is saving, without sending anything.
func (n *Notifier) ValidateWebhookURL(ctx context.Context, url string) error {
	return n.client.ValidateURL(ctx, url)
}

// ValidateSlackURL checks a Slack webhook URL a user is saving: the Slack host rule
// (waived for hosts in WEBHOOK_ALLOWED_HOSTS), then the address rules.
func (n *Notifier) ValidateSlackURL(ctx context.Context, url string) error {
	if err := n.slack.check(url); err != nil {
		return err
	}
	return n.client.ValidateURL(ctx, url)
}

// Client returns the SafeClient used for webhooks and Slack.
func (n *Notifier) Client() *SafeClient { return n.client }
