package codemonitors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// ActionHandler sends one notification job.
type ActionHandler struct {
	opts Options
}

// NewActionHandler returns the action queue's handler.
func NewActionHandler(opts Options) *ActionHandler {
	opts.defaults()
	return &ActionHandler{opts: opts}
}

// DeliveryID is the delivery ID of a job's webhook or Slack post, or (with a recipient
// address) of its email to that address. It is stable across retries, so the delivery
// table and the receiver both recognise a repeat.
func DeliveryID(jobID int64, recipient string) string {
	if recipient == "" {
		return fmt.Sprintf("cm-action-%d", jobID)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(recipient)))
	return fmt.Sprintf("cm-action-%d.%s", jobID, hex.EncodeToString(sum[:8]))
}

// Handle sends the job's notification, skipping what an earlier attempt sent.
func (h *ActionHandler) Handle(ctx context.Context, logger log.Logger, job *store.ActionJob) error {
	if h.opts.Notifier == nil {
		return workerutil.NonRetryable(errors.New("notifications are not configured in this worker"))
	}
	cs := h.opts.Store.CodeMonitors()
	tj, err := cs.TriggerJob(ctx, job.TriggerEvent)
	if err != nil {
		return err
	}
	q, err := cs.QueryByID(ctx, tj.QueryID)
	if err != nil {
		return err
	}
	m, err := cs.GetMonitor(ctx, q.MonitorID)
	if err != nil {
		return err
	}
	msg, err := buildNotification(ctx, h.opts, m, tj)
	if err != nil {
		return err
	}
	switch {
	case job.Email != 0:
		e, err := cs.GetEmail(ctx, job.Email)
		if err != nil {
			return err
		}
		if !e.Enabled {
			return nil
		}
		msg.Critical, msg.Header, msg.IncludeResults = e.Priority == "CRITICAL", e.Header, e.IncludeResults
		rcpts, err := cs.Recipients(ctx, e.ID)
		if err != nil {
			return err
		}
		return h.sendEmails(ctx, logger, job.ID, rcpts, msg)
	case job.Webhook != 0:
		w, err := cs.GetWebhook(ctx, job.Webhook)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return nil
		}
		msg.IncludeResults = w.IncludeResults
		return h.once(ctx, job.ID, "", w.URL, func(id string) error {
			return h.opts.Notifier.SendWebhook(ctx, notify.Webhook{URL: w.URL, Secret: w.Secret}, id, msg)
		})
	case job.SlackWebhook != 0:
		w, err := cs.GetSlackWebhook(ctx, job.SlackWebhook)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return nil
		}
		msg.IncludeResults = w.IncludeResults
		return h.once(ctx, job.ID, "", "slack", func(id string) error {
			return h.opts.Notifier.SendSlack(ctx, w.URL, id, msg)
		})
	}
	return workerutil.NonRetryable(fmt.Errorf("action job %d has no action", job.ID))
}

// sendEmails sends one message per recipient address. Addresses already sent to are
// skipped; temporary failures retry the job (for the addresses not reached yet).
func (h *ActionHandler) sendEmails(ctx context.Context, logger log.Logger, jobID int64, rcpts []*store.MonitorRecipient, msg notify.Notification) error {
	var users, orgs []int64
	for _, r := range rcpts {
		if r.NamespaceUserID != 0 {
			users = append(users, r.NamespaceUserID)
		} else {
			orgs = append(orgs, r.NamespaceOrgID)
		}
	}
	addrs, err := h.opts.Store.CodeMonitors().RecipientAddresses(ctx, users, orgs)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return workerutil.NonRetryable(errors.New("no recipient has a verified email address"))
	}
	var temporary, permanent []error
	for _, addr := range addrs {
		err := h.once(ctx, jobID, addr, addr, func(id string) error {
			return h.opts.Notifier.SendEmail(ctx, addr, id, msg)
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
func (h *ActionHandler) once(ctx context.Context, jobID int64, recipient, label string, send func(deliveryID string) error) error {
	cs := h.opts.Store.CodeMonitors()
	id := DeliveryID(jobID, recipient)
	sent, err := cs.DeliverySent(ctx, id)
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
	return cs.RecordDelivery(context.WithoutCancel(ctx), id, jobID, label)
}
