package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// IssueMonitorConfig is the issue-tracking configuration of a monitor (im_configs). A
// monitor with one is an issue monitor: its query's results are tracked as issues.
type IssueMonitorConfig struct {
	MonitorID int64
	Query     string
	// Identity is DEFAULT, REPOSITORY, FILE, LINE or COMMIT.
	Identity         string
	SearchSchedule   string
	UpdateSchedule   string
	MaxIssuesPerRun  int
	ExecutionTimeout time.Duration
	Solvable         bool
	Unique           bool
	// RuleKind is COUNT, AGE or VALUE; ValueField and ValueOperation (GREATER_THAN or
	// LESSER_THAN) are the value rule's.
	RuleKind       string
	ValueField     string
	ValueOperation string
	Levels         IssueLevels
	// DismissAcknowledgeOnNewIssues dismisses an alert's acknowledgement when new issues
	// are linked to it.
	DismissAcknowledgeOnNewIssues bool
	NextSearchAt                  time.Time
	NextUpdateAt                  time.Time
	CreatedAt                     time.Time
	ChangedAt                     time.Time
}

// IssueLevels are a rule's thresholds by priority: [0] is P1 (critical), [1] P2 (high),
// [2] P3 (moderate), [3] P4 (low), [4] P5 (informational). nil never triggers.
type IssueLevels [5]*float64

// Alert states, issue states and event sources as stored.
const (
	AlertActive  = "active"
	AlertSolved  = "solved"
	IssueActive  = "active"
	IssueSolved  = "solved"
	IssueDropped = "dropped"

	EventSourceMonitor      = "monitor"
	EventSourceAlert        = "alert"
	EventSourceIssue        = "issue"
	EventSourceNotification = "notification"
)

// MonitorAlert is a row of im_alerts. Priority and AcknowledgedPriority are 1 (P1) .. 5 (P5),
// 0 for none; Acknowledged says whether AcknowledgedPriority is set.
type MonitorAlert struct {
	ID                   int64
	MonitorID            int64
	State                string
	Priority             int
	Acknowledged         bool
	AcknowledgedPriority int
	Locked               bool
	CreatedAt            time.Time
	UpdatedAt            time.Time
	SolvedAt             *time.Time
}

// MonitorIssue is a row of im_issues. AlertID is 0 when the issue is not linked to an alert.
type MonitorIssue struct {
	ID        int64
	MonitorID int64
	AlertID   int64
	Key       string
	State     string
	Data      []byte // JSON object
	RepoID    int64
	RepoName  string
	Path      string
	Commit    string
	CreatedAt time.Time
	UpdatedAt time.Time
	SolvedAt  *time.Time
}

// IssueNotification is a row of im_notifications: an alert followed by one action.
type IssueNotification struct {
	ID         int64
	MonitorID  int64
	AlertID    int64
	ActionKind string // ActionEmail, ActionWebhook or ActionSlackWebhook
	ActionID   int64
	State      string // active or closed
	CreatedAt  time.Time
	ClosedAt   *time.Time
}

// IssueEvent is a row of im_events.
type IssueEvent struct {
	ID          int64
	MonitorID   int64
	Source      string
	SourceID    int64
	Name        string
	Data        []byte // event_data, a JSON object
	Extra       []byte // extra_payload, a JSON object
	AlertID     int64
	IssueID     int64
	RunID       int64
	ActorUserID int64
	CreatedAt   time.Time
}

// IssueAction is an action of an issue monitor with what it is sent: the events it
// subscribes to (lower-case names) and the minimum alert priority (0: any).
type IssueAction struct {
	Kind           string
	ID             int64
	Enabled        bool
	IncludeResults bool
	Events         []string
	MinPriority    int
}

// IssueActionSpec is an action of an issue monitor as the API gives it: exactly one of
// Email, Webhook and SlackWebhook, with its subscription. An ID of 0 creates the action.
type IssueActionSpec struct {
	Email        *EmailSpec
	Webhook      *WebhookSpec
	SlackWebhook *SlackWebhookSpec
	Events       []string
	MinPriority  int
}

// IssueMonitorSpec is a whole issue monitor as the create and update mutations give it.
type IssueMonitorSpec struct {
	Description     string
	Enabled         bool
	NamespaceUserID int64
	Config          IssueMonitorConfig
	Actions         []IssueActionSpec
}

// IssueMonitorStore reads and writes issue monitors: their configuration, issues,
// alerts, events, notifications, runs and message queue.
type IssueMonitorStore struct{ s *Store }

func (s *Store) IssueMonitors() *IssueMonitorStore { return &IssueMonitorStore{s} }

const imConfigColumns = `c.monitor_id, c.query, c.identity, c.search_schedule, c.update_schedule, c.max_issues_per_run, c.execution_timeout_ms,
c.solvable, c.unique_issues, c.rule_kind, c.value_field, c.value_operation, c.level_critical, c.level_high, c.level_moderate, c.level_low, c.level_informational,
c.dismiss_acknowledge_on_new_issues, c.next_search_at, c.next_update_at, c.created_at, c.changed_at`

func scanIMConfig(row pgx.Row) (*IssueMonitorConfig, error) {
	var c IssueMonitorConfig
	var timeoutMS int64
	err := row.Scan(&c.MonitorID, &c.Query, &c.Identity, &c.SearchSchedule, &c.UpdateSchedule, &c.MaxIssuesPerRun, &timeoutMS,
		&c.Solvable, &c.Unique, &c.RuleKind, &c.ValueField, &c.ValueOperation, &c.Levels[0], &c.Levels[1], &c.Levels[2], &c.Levels[3], &c.Levels[4],
		&c.DismissAcknowledgeOnNewIssues, &c.NextSearchAt, &c.NextUpdateAt, &c.CreatedAt, &c.ChangedAt)
	c.ExecutionTimeout = time.Duration(timeoutMS) * time.Millisecond
	return &c, err
}

// CreateIssueMonitor inserts a monitor with its issue-tracking configuration and actions,
// acting as uid. The configuration's NextSearchAt and NextUpdateAt are stored as given.
func (ims *IssueMonitorStore) CreateIssueMonitor(ctx context.Context, uid int64, spec IssueMonitorSpec) (*Monitor, error) {
	var m *Monitor
	err := ims.s.Transact(ctx, func(tx *Store) error {
		var err error
		m, err = scanMonitor(tx.queryRow(ctx, sqlf.Sprintf(`INSERT INTO cm_monitors AS m (created_by, description, changed_by, enabled, namespace_user_id)
VALUES (%s, %s, %s, %s, %s) RETURNING `+monitorColumns, uid, spec.Description, uid, spec.Enabled, nullID(spec.NamespaceUserID))))
		if err != nil {
			return err
		}
		c := spec.Config
		if _, err := tx.exec(ctx, sqlf.Sprintf(`INSERT INTO im_configs (monitor_id, query, identity, search_schedule, update_schedule, max_issues_per_run, execution_timeout_ms,
solvable, unique_issues, rule_kind, value_field, value_operation, level_critical, level_high, level_moderate, level_low, level_informational,
dismiss_acknowledge_on_new_issues, next_search_at, next_update_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)`,
			m.ID, c.Query, c.Identity, c.SearchSchedule, c.UpdateSchedule, c.MaxIssuesPerRun, c.ExecutionTimeout.Milliseconds(),
			c.Solvable, c.Unique, c.RuleKind, c.ValueField, c.ValueOperation, c.Levels[0], c.Levels[1], c.Levels[2], c.Levels[3], c.Levels[4],
			c.DismissAcknowledgeOnNewIssues, c.NextSearchAt, c.NextUpdateAt)); err != nil {
			return err
		}
		return tx.IssueMonitors().saveActions(ctx, uid, m.ID, spec.Actions)
	})
	if err != nil {
		return nil, fmt.Errorf("creating issue monitor: %w", err)
	}
	return m, nil
}

// UpdateIssueMonitor replaces an issue monitor with spec, acting as uid: stored actions
// absent from spec are deleted, actions with ID 0 are created. A new query or schedule
// takes the configuration's NextSearchAt and NextUpdateAt; otherwise they are kept.
func (ims *IssueMonitorStore) UpdateIssueMonitor(ctx context.Context, uid, id int64, spec IssueMonitorSpec) (*Monitor, error) {
	var m *Monitor
	err := ims.s.Transact(ctx, func(tx *Store) error {
		if _, err := tx.IssueMonitors().lockConfig(ctx, id); err != nil {
			return err
		}
		var err error
		m, err = scanMonitor(tx.queryRow(ctx, sqlf.Sprintf(`UPDATE cm_monitors AS m SET description = %s, enabled = %s, namespace_user_id = %s,
changed_by = %s, changed_at = now() WHERE m.id = %s RETURNING `+monitorColumns, spec.Description, spec.Enabled, nullID(spec.NamespaceUserID), uid, id)))
		if err != nil {
			return err
		}
		c := spec.Config
		if _, err := tx.exec(ctx, sqlf.Sprintf(`UPDATE im_configs SET
next_search_at = CASE WHEN query IS DISTINCT FROM %s OR search_schedule IS DISTINCT FROM %s THEN %s ELSE next_search_at END,
next_update_at = CASE WHEN query IS DISTINCT FROM %s OR update_schedule IS DISTINCT FROM %s THEN %s ELSE next_update_at END,
query = %s, identity = %s, search_schedule = %s, update_schedule = %s, max_issues_per_run = %s, execution_timeout_ms = %s,
solvable = %s, unique_issues = %s, rule_kind = %s, value_field = %s, value_operation = %s,
level_critical = %s, level_high = %s, level_moderate = %s, level_low = %s, level_informational = %s,
dismiss_acknowledge_on_new_issues = %s, changed_at = now()
WHERE monitor_id = %s`,
			c.Query, c.SearchSchedule, c.NextSearchAt, c.Query, c.UpdateSchedule, c.NextUpdateAt,
			c.Query, c.Identity, c.SearchSchedule, c.UpdateSchedule, c.MaxIssuesPerRun, c.ExecutionTimeout.Milliseconds(),
			c.Solvable, c.Unique, c.RuleKind, c.ValueField, c.ValueOperation, c.Levels[0], c.Levels[1], c.Levels[2], c.Levels[3], c.Levels[4],
			c.DismissAcknowledgeOnNewIssues, id)); err != nil {
			return err
		}
		var keep MonitorSpec
		for _, a := range spec.Actions {
			switch {
			case a.Email != nil:
				keep.Emails = append(keep.Emails, EmailSpec{ID: a.Email.ID})
			case a.Webhook != nil:
				keep.Webhooks = append(keep.Webhooks, WebhookSpec{ID: a.Webhook.ID})
			case a.SlackWebhook != nil:
				keep.SlackWebhooks = append(keep.SlackWebhooks, SlackWebhookSpec{ID: a.SlackWebhook.ID})
			}
		}
		if err := tx.CodeMonitors().deleteMissingActions(ctx, id, keep); err != nil {
			return err
		}
		return tx.IssueMonitors().saveActions(ctx, uid, id, spec.Actions)
	})
	if err != nil {
		return nil, fmt.Errorf("updating issue monitor %d: %w", id, err)
	}
	return m, nil
}

// lockConfig locks a monitor's configuration row for the transaction: every change to an
// issue monitor's issues and alerts takes it first, so runs and mutations of one monitor
// apply one after the other.
func (ims *IssueMonitorStore) lockConfig(ctx context.Context, monitorID int64) (*IssueMonitorConfig, error) {
	c, err := scanIMConfig(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+imConfigColumns+" FROM im_configs c WHERE c.monitor_id = %s FOR UPDATE", monitorID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("issue monitor %d", monitorID)
	}
	return c, err
}

// saveActions inserts new actions and updates existing ones (which must belong to the
// monitor), with their subscriptions.
func (ims *IssueMonitorStore) saveActions(ctx context.Context, uid, monitorID int64, actions []IssueActionSpec) error {
	s := ims.s
	updated := func(tag int64, kind string, id int64) error {
		if tag == 0 {
			return notFound("%s action %d of issue monitor %d", kind, id, monitorID)
		}
		return nil
	}
	for _, a := range actions {
		events := a.Events
		if events == nil {
			events = []string{}
		}
		minPrio := nullID(int64(a.MinPriority))
		switch {
		case a.Email != nil:
			e := a.Email
			emailID := e.ID
			if emailID == 0 {
				if err := s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO cm_emails (monitor, enabled, priority, header, include_results, created_by, changed_by, issue_events, issue_min_priority)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id`, monitorID, e.Enabled, e.Priority, e.Header, e.IncludeResults, uid, uid, events, minPrio)).Scan(&emailID); err != nil {
					return err
				}
			} else {
				tag, err := s.exec(ctx, sqlf.Sprintf(`UPDATE cm_emails SET enabled = %s, priority = %s, header = %s, include_results = %s, changed_by = %s, changed_at = now(),
issue_events = %s, issue_min_priority = %s WHERE id = %s AND monitor = %s`, e.Enabled, e.Priority, e.Header, e.IncludeResults, uid, events, minPrio, emailID, monitorID))
				if err != nil {
					return err
				}
				if err := updated(tag.RowsAffected(), "email", emailID); err != nil {
					return err
				}
				if _, err := s.exec(ctx, sqlf.Sprintf("DELETE FROM cm_recipients WHERE email = %s", emailID)); err != nil {
					return err
				}
			}
			for _, r := range e.Recipients {
				if _, err := s.exec(ctx, sqlf.Sprintf("INSERT INTO cm_recipients (email, namespace_user_id, namespace_org_id) VALUES (%s, %s, %s)",
					emailID, nullID(r.NamespaceUserID), nullID(r.NamespaceOrgID))); err != nil {
					return err
				}
			}
		case a.Webhook != nil:
			w := a.Webhook
			if w.ID == 0 {
				secret, err := s.key.Encrypt(w.Secret)
				if err != nil {
					return err
				}
				if _, err := s.exec(ctx, sqlf.Sprintf(`INSERT INTO cm_webhooks (monitor, url, enabled, include_results, secret, created_by, changed_by, issue_events, issue_min_priority)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)`, monitorID, w.URL, w.Enabled, w.IncludeResults, secret, uid, uid, events, minPrio)); err != nil {
					return err
				}
				continue
			}
			tag, err := s.exec(ctx, sqlf.Sprintf(`UPDATE cm_webhooks SET url = %s, enabled = %s, include_results = %s, changed_by = %s, changed_at = now(),
issue_events = %s, issue_min_priority = %s WHERE id = %s AND monitor = %s`, w.URL, w.Enabled, w.IncludeResults, uid, events, minPrio, w.ID, monitorID))
			if err != nil {
				return err
			}
			if err := updated(tag.RowsAffected(), "webhook", w.ID); err != nil {
				return err
			}
		case a.SlackWebhook != nil:
			w := a.SlackWebhook
			url, err := s.key.Encrypt(w.URL)
			if err != nil {
				return err
			}
			if w.ID == 0 {
				if _, err := s.exec(ctx, sqlf.Sprintf(`INSERT INTO cm_slack_webhooks (monitor, url, enabled, include_results, created_by, changed_by, issue_events, issue_min_priority)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)`, monitorID, url, w.Enabled, w.IncludeResults, uid, uid, events, minPrio)); err != nil {
					return err
				}
				continue
			}
			tag, err := s.exec(ctx, sqlf.Sprintf(`UPDATE cm_slack_webhooks SET url = %s, enabled = %s, include_results = %s, changed_by = %s, changed_at = now(),
issue_events = %s, issue_min_priority = %s WHERE id = %s AND monitor = %s`, url, w.Enabled, w.IncludeResults, uid, events, minPrio, w.ID, monitorID))
			if err != nil {
				return err
			}
			if err := updated(tag.RowsAffected(), "Slack webhook", w.ID); err != nil {
				return err
			}
		default:
			return errors.New("an issue monitor action needs an email, webhook or Slack webhook")
		}
	}
	return nil
}

// Config returns a monitor's issue-tracking configuration; a not-found error means the
// monitor is not an issue monitor (or does not exist).
func (ims *IssueMonitorStore) Config(ctx context.Context, monitorID int64) (*IssueMonitorConfig, error) {
	c, err := scanIMConfig(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+imConfigColumns+" FROM im_configs c WHERE c.monitor_id = %s", monitorID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("issue monitor %d", monitorID)
	}
	return c, err
}

// Actions returns the actions of a monitor with their subscriptions: emails, webhooks,
// then Slack webhooks, each in id order.
func (ims *IssueMonitorStore) Actions(ctx context.Context, monitorID int64) ([]IssueAction, error) {
	var out []IssueAction
	for _, t := range []struct{ kind, table string }{{ActionEmail, "cm_emails"}, {ActionWebhook, "cm_webhooks"}, {ActionSlackWebhook, "cm_slack_webhooks"}} {
		as, err := collect(ctx, ims.s, sqlf.Sprintf("SELECT id, enabled, include_results, coalesce(issue_events, '{}'), coalesce(issue_min_priority, 0) FROM "+t.table+" WHERE monitor = %s ORDER BY id", monitorID),
			func(row pgx.Row) (IssueAction, error) {
				a := IssueAction{Kind: t.kind}
				err := row.Scan(&a.ID, &a.Enabled, &a.IncludeResults, &a.Events, &a.MinPriority)
				return a, err
			})
		if err != nil {
			return nil, fmt.Errorf("reading the actions of monitor %d: %w", monitorID, err)
		}
		out = append(out, as...)
	}
	return out, nil
}

// ActionSubscription returns the subscription of one action (ActionEmail, ActionWebhook
// or ActionSlackWebhook); ok is false for a code monitor's action.
func (ims *IssueMonitorStore) ActionSubscription(ctx context.Context, kind string, id int64) (events []string, minPriority int, ok bool, err error) {
	col, err := actionColumn(kind)
	if err != nil {
		return nil, 0, false, err
	}
	table := map[string]string{ActionEmail: "cm_emails", ActionWebhook: "cm_webhooks", ActionSlackWebhook: "cm_slack_webhooks"}[col]
	err = ims.s.queryRow(ctx, sqlf.Sprintf("SELECT issue_events, coalesce(issue_min_priority, 0) FROM "+table+" WHERE id = %s", id)).Scan(&events, &minPriority)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, false, notFound("%s action %d", kind, id)
	}
	if err != nil {
		return nil, 0, false, err
	}
	return events, minPriority, events != nil, nil
}

// IssueVariable is a variable a monitor keeps between runs.
type IssueVariable struct {
	Name      string
	Value     string
	UpdatedAt time.Time
}

// Variables returns a monitor's variables by name.
func (ims *IssueMonitorStore) Variables(ctx context.Context, monitorID int64) ([]IssueVariable, error) {
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT name, value, updated_at FROM im_variables WHERE monitor_id = %s ORDER BY name", monitorID),
		func(row pgx.Row) (IssueVariable, error) {
			var v IssueVariable
			err := row.Scan(&v.Name, &v.Value, &v.UpdatedAt)
			return v, err
		})
}

// SetVariables sets a monitor's variables (creating the ones that do not exist).
func (ims *IssueMonitorStore) SetVariables(ctx context.Context, monitorID int64, vars map[string]string) error {
	if len(vars) == 0 {
		return nil
	}
	var names, values []string
	for k, v := range vars {
		names, values = append(names, k), append(values, v)
	}
	_, err := ims.s.exec(ctx, sqlf.Sprintf(`INSERT INTO im_variables (monitor_id, name, value)
SELECT %s, n, v FROM unnest(%s::text[], %s::text[]) AS u(n, v) ORDER BY n
ON CONFLICT (monitor_id, name) DO UPDATE SET value = excluded.value, updated_at = now()`, monitorID, names, values))
	if err != nil {
		return fmt.Errorf("setting the variables of monitor %d: %w", monitorID, err)
	}
	return nil
}
