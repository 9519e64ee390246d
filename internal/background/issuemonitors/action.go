package issuemonitors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// ActionHandler sends one message: an event to one action, with the code monitor senders.
type ActionHandler struct {
	opts Options
}

// NewActionHandler returns the message queue's handler.
func NewActionHandler(opts Options) *ActionHandler {
	opts.defaults()
	return &ActionHandler{opts: opts}
}

// DeliveryID is the delivery ID of a message job's webhook or Slack post, or (with a
// recipient address) of its email to that address, stable across retries.
func DeliveryID(jobID int64, recipient string) string {
	if recipient == "" {
		return fmt.Sprintf("im-action-%d", jobID)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(recipient)))
	return fmt.Sprintf("im-action-%d.%s", jobID, hex.EncodeToString(sum[:8]))
}

// Handle sends the job's message, skipping what an earlier attempt sent.
func (h *ActionHandler) Handle(ctx context.Context, logger log.Logger, job *store.IssueActionJob) error {
	if h.opts.Notifier == nil {
		return workerutil.NonRetryable(errors.New("notifications are not configured in this worker"))
	}
	ims := h.opts.Store.IssueMonitors()
	ev, err := ims.GetEvent(ctx, job.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return workerutil.NonRetryable(err)
	}
	if err != nil {
		return err
	}
	msg, err := h.message(ctx, ev)
	if err != nil {
		return err
	}
	cs := h.opts.Store.CodeMonitors()
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
		if err := h.addIssues(ctx, &msg); err != nil {
			return err
		}
		rcpts, err := cs.Recipients(ctx, e.ID)
		if err != nil {
			return err
		}
		return h.sendEmails(ctx, job.ID, rcpts, msg)
	case job.Webhook != 0:
		w, err := cs.GetWebhook(ctx, job.Webhook)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return nil
		}
		msg.IncludeResults = w.IncludeResults
		if err := h.addIssues(ctx, &msg); err != nil {
			return err
		}
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
		if err := h.addIssues(ctx, &msg); err != nil {
			return err
		}
		return h.once(ctx, job.ID, "", "slack", func(id string) error {
			return h.opts.Notifier.SendSlack(ctx, w.URL, id, msg)
		})
	}
	return workerutil.NonRetryable(fmt.Errorf("message job %d has no action", job.ID))
}

// message builds the notification of an event: the stored payload fields, and the alert
// it concerns as the event saw it (alert events) or as it is now (other events).
func (h *ActionHandler) message(ctx context.Context, ev *store.IssueEvent) (notify.Notification, error) {
	cs := h.opts.Store.CodeMonitors()
	m, err := cs.GetMonitor(ctx, ev.MonitorID)
	if err != nil {
		return notify.Notification{}, err
	}
	queryText := ""
	if cfg, err := h.opts.Store.IssueMonitors().Config(ctx, m.ID); err == nil {
		queryText = cfg.Query
	}
	owner := ""
	if m.NamespaceUserID != 0 {
		if u, err := h.opts.Store.Users().GetByID(ctx, m.NamespaceUserID); err == nil {
			owner = u.Username
		}
	}
	base := strings.TrimRight(h.opts.ExternalURL, "/")
	monitorURL := base + "/code-monitoring/" + MonitorID(m.ID)
	n := notify.Notification{
		Kind:               notify.IssueMonitorEvent,
		MonitorDescription: m.Description,
		MonitorURL:         monitorURL,
		SearchURL:          base + "/search?q=" + url.QueryEscape(queryText),
		Query:              queryText,
		Owner:              owner,
		Event: &notify.Event{
			Name: ev.Name, Source: ev.Source, SourceID: ev.SourceID, MonitorID: ev.MonitorID,
			Data: json.RawMessage(ev.Data), Extra: json.RawMessage(ev.Extra),
		},
	}
	if ev.AlertID == 0 {
		return n, nil
	}
	alert := &notify.Alert{ID: ev.AlertID, URL: monitorURL + "/alerts/" + AlertID(ev.AlertID)}
	if ev.Source == store.EventSourceAlert {
		var d domain.AlertData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return n, workerutil.NonRetryable(fmt.Errorf("decoding the data of event %d: %w", ev.ID, err))
		}
		alert.State, alert.Acknowledged, alert.Locked, alert.ActiveIssues = d.State, d.Acknowledged, d.Locked, d.ActiveIssues
		alert.OldestIssueAge = time.Duration(d.OldestIssueAgeSeconds) * time.Second
		if d.Priority != nil {
			alert.Priority = *d.Priority
		}
	} else {
		a, err := h.opts.Store.IssueMonitors().GetAlert(ctx, ev.AlertID)
		if err != nil {
			return n, err
		}
		count, oldest, err := h.opts.Store.IssueMonitors().AlertIssueStats(ctx, a.ID)
		if err != nil {
			return n, err
		}
		alert.State, alert.Acknowledged, alert.Locked, alert.ActiveIssues = a.State, a.Acknowledged, a.Locked, count
		alert.Priority = domain.Priority(a.Priority).String()
		if oldest != nil {
			alert.OldestIssueAge = time.Since(*oldest)
		}
	}
	var extra struct {
		PreviousPriority *string `json:"previousPriority"`
	}
	if json.Unmarshal(ev.Extra, &extra) == nil && extra.PreviousPriority != nil {
		alert.PreviousPriority = *extra.PreviousPriority
	}
	n.Event.Alert = alert
	return n, nil
}

// maxMessageIssues bounds the issues a message lists (with include-results).
const maxMessageIssues = 20

// addIssues lists the alert's active issues in a message whose action includes results.
func (h *ActionHandler) addIssues(ctx context.Context, msg *notify.Notification) error {
	a := msg.Event.Alert
	if !msg.IncludeResults || a == nil {
		return nil
	}
	issues, err := h.opts.Store.IssueMonitors().ListIssues(ctx, store.IssueListOptions{AlertID: a.ID, State: store.IssueActive, Page: store.Page{Limit: maxMessageIssues}})
	if err != nil {
		return err
	}
	base := strings.TrimRight(h.opts.ExternalURL, "/")
	for _, is := range issues {
		u := ""
		if is.RepoName != "" {
			u = base + "/" + is.RepoName
			if is.Path != "" {
				u += "/-/blob/" + strings.TrimSuffix(is.Path, "/")
			} else if is.Commit != "" {
				u += "/-/commit/" + is.Commit
			}
		}
		a.Issues = append(a.Issues, notify.Issue{Key: is.Key, Repository: is.RepoName, Path: is.Path, Commit: is.Commit, URL: u, State: is.State, CreatedAt: is.CreatedAt})
	}
	return nil
}

// sendEmails sends one message per recipient address. Addresses already sent to are
// skipped; temporary failures retry the job (for the addresses not reached yet).
func (h *ActionHandler) sendEmails(ctx context.Context, jobID int64, rcpts []*store.MonitorRecipient, msg notify.Notification) error {
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
	ims := h.opts.Store.IssueMonitors()
	id := DeliveryID(jobID, recipient)
	sent, err := ims.DeliverySent(ctx, id)
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
	return ims.RecordDelivery(context.WithoutCancel(ctx), id, jobID, label)
}
