package codemonitors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/store"
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
	return PrefixedDeliveryID("cm-action", jobID, recipient)
}

// PrefixedDeliveryID is a delivery ID in a queue's namespace: prefix-job, and for an email
// prefix-job.<hash of the lower-cased address>.
func PrefixedDeliveryID(prefix string, jobID int64, recipient string) string {
	if recipient == "" {
		return fmt.Sprintf("%s-%d", prefix, jobID)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(recipient)))
	return fmt.Sprintf("%s-%d.%s", prefix, jobID, hex.EncodeToString(sum[:8]))
}

// Handle sends the job's notification, skipping what an earlier attempt sent.
func (h *ActionHandler) Handle(ctx context.Context, logger log.Logger, job *store.ActionJob) error {
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
	kind, id := ActionOf(job.Email, job.Webhook, job.SlackWebhook)
	s := Sender{Store: h.opts.Store, Notifier: h.opts.Notifier, Log: cs, DeliveryID: DeliveryID}
	return s.Send(ctx, job.ID, kind, id, msg, nil)
}
