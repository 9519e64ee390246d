package issuemonitors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/codemonitors"
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
	return codemonitors.PrefixedDeliveryID("im-action", jobID, recipient)
}

// Handle sends the job's message, skipping what an earlier attempt sent.
func (h *ActionHandler) Handle(ctx context.Context, logger log.Logger, job *store.IssueActionJob) error {
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
	kind, id := codemonitors.ActionOf(job.Email, job.Webhook, job.SlackWebhook)
	s := codemonitors.Sender{Store: h.opts.Store, Notifier: h.opts.Notifier, Log: ims, DeliveryID: DeliveryID}
	return s.Send(ctx, job.ID, kind, id, msg, func(msg *notify.Notification) error { return h.addIssues(ctx, msg) })
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
