package codemonitors

import (
	"context"
	"errors"
	"fmt"

	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// DeliveryLog records what an action queue has sent, by delivery ID
// (cm_action_deliveries for code monitors, im_action_deliveries for issue monitors).
type DeliveryLog interface {
	DeliverySent(ctx context.Context, deliveryID string) (bool, error)
	RecordDelivery(ctx context.Context, deliveryID string, jobID int64, recipient string) error
}

// Sender sends one action job's notification through a monitor action (email, signed
// webhook or Slack), each delivery at most once across retries of the job. Code monitor
// and issue monitor action queues share it; they differ in their delivery log and IDs.
type Sender struct {
	Store    *store.Store
	Notifier *notify.Notifier
	Log      DeliveryLog
	// DeliveryID names the delivery of a job to a recipient address (or, with "", its
	// webhook or Slack post). It must be stable across retries.
	DeliveryID func(jobID int64, recipient string) string
}

// Send sends msg through the action (kind is store.ActionEmail, ActionWebhook or
// ActionSlackWebhook). A disabled action sends nothing. The action's settings are applied
// to msg (include-results; priority and header for email), then complete, when not nil,
// finishes it. Permanent failures are non-retryable; temporary ones retry the job, which
// then sends only what was not sent yet.
func (s Sender) Send(ctx context.Context, jobID int64, kind string, actionID int64, msg notify.Notification, complete func(*notify.Notification) error) error {
	if s.Notifier == nil {
		return workerutil.NonRetryable(errors.New("notifications are not configured in this worker"))
	}
	cs := s.Store.CodeMonitors()
	prepare := func(enabled, includeResults bool) (bool, error) {
		if !enabled {
			return false, nil
		}
		msg.IncludeResults = includeResults
		if complete != nil {
			if err := complete(&msg); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	switch kind {
	case store.ActionEmail:
		e, err := cs.GetEmail(ctx, actionID)
		if err != nil {
			return err
		}
		msg.Critical, msg.Header = e.Priority == "CRITICAL", e.Header
		if ok, err := prepare(e.Enabled, e.IncludeResults); !ok || err != nil {
			return err
		}
		rcpts, err := cs.Recipients(ctx, e.ID)
		if err != nil {
			return err
		}
		return s.sendEmails(ctx, jobID, rcpts, msg)
	case store.ActionWebhook:
		w, err := cs.GetWebhook(ctx, actionID)
		if err != nil {
			return err
		}
		if ok, err := prepare(w.Enabled, w.IncludeResults); !ok || err != nil {
			return err
		}
		return s.once(ctx, jobID, "", w.URL, func(id string) error {
			return s.Notifier.SendWebhook(ctx, notify.Webhook{URL: w.URL, Secret: w.Secret}, id, msg)
		})
	case store.ActionSlackWebhook:
		w, err := cs.GetSlackWebhook(ctx, actionID)
		if err != nil {
			return err
		}
		if ok, err := prepare(w.Enabled, w.IncludeResults); !ok || err != nil {
			return err
		}
		return s.once(ctx, jobID, "", "slack", func(id string) error {
			return s.Notifier.SendSlack(ctx, w.URL, id, msg)
		})
	}
	return workerutil.NonRetryable(fmt.Errorf("action job %d has no action", jobID))
}

// ActionOf returns the action an action job row names: its kind and id.
func ActionOf(email, webhook, slack int64) (kind string, id int64) {
	switch {
	case email != 0:
		return store.ActionEmail, email
	case webhook != 0:
		return store.ActionWebhook, webhook
	case slack != 0:
		return store.ActionSlackWebhook, slack
	}
	return "", 0
}

// sendEmails sends one message per recipient address. Addresses already sent to are
// skipped; temporary failures retry the job (for the addresses not reached yet).
func (s Sender) sendEmails(ctx context.Context, jobID int64, rcpts []*store.MonitorRecipient, msg notify.Notification) error {
	var users, orgs []int64
	for _, r := range rcpts {
		if r.NamespaceUserID != 0 {
			users = append(users, r.NamespaceUserID)
		} else {
			orgs = append(orgs, r.NamespaceOrgID)
		}
	}
	addrs, err := s.Store.CodeMonitors().RecipientAddresses(ctx, users, orgs)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return workerutil.NonRetryable(errors.New("no recipient has a verified email address"))
	}
	var temporary, permanent []error
	for _, addr := range addrs {
		err := s.once(ctx, jobID, addr, addr, func(id string) error {
			return s.Notifier.SendEmail(ctx, addr, id, msg)
		})
		switch {
		case err == nil:
		case workerutil.IsNonRetryable(err):
			permanent = append(permanent, err)
		default:
			temporary = append(temporary, err)
		}
	}
	if len(temporary) > 0 {
		return errors.Join(append(temporary, permanent...)...)
	}
	if len(permanent) > 0 {
		return workerutil.NonRetryable(errors.Join(permanent...))
	}
	return nil
}

// once sends a delivery unless it was recorded as sent, and records it right after.
func (s Sender) once(ctx context.Context, jobID int64, recipient, label string, send func(deliveryID string) error) error {
	id := s.DeliveryID(jobID, recipient)
	sent, err := s.Log.DeliverySent(ctx, id)
	if err != nil {
		return err
	}
	if sent {
		return nil
	}
	if err := send(id); err != nil {
		if recipient != "" {
			err = fmt.Errorf("%s: %w", recipient, err)
		}
		if notify.IsPermanent(err) {
			return workerutil.NonRetryable(err)
		}
		return err
	}
	// The send happened: record it even if the job's context ends now, or a retry would
	// send it again.
	return s.Log.RecordDelivery(context.WithoutCancel(ctx), id, jobID, label)
}
