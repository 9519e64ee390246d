package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Monitor is a row of cm_monitors. Exactly one of NamespaceUserID and NamespaceOrgID is
// set; Lookout creates user-owned monitors only (a monitor searches as its owner).
type Monitor struct {
	ID              int64
	CreatedBy       int64
	CreatedAt       time.Time
	Description     string
	ChangedBy       int64
	ChangedAt       time.Time
	Enabled         bool
	NamespaceUserID int64
	NamespaceOrgID  int64
}

// MonitorQuery is a monitor's trigger (cm_queries).
type MonitorQuery struct {
	ID           int64
	MonitorID    int64
	Query        string
	CreatedBy    int64
	CreatedAt    time.Time
	ChangedBy    int64
	ChangedAt    time.Time
	NextRun      time.Time
	LatestResult *time.Time
}

// MonitorEmail is an email action (cm_emails).
type MonitorEmail struct {
	ID             int64
	MonitorID      int64
	Enabled        bool
	Priority       string // NORMAL or CRITICAL
	Header         string
	IncludeResults bool
	CreatedAt      time.Time
}

// MonitorWebhook is a webhook action (cm_webhooks). Secret is the decrypted signing key.
type MonitorWebhook struct {
	ID             int64
	MonitorID      int64
	URL            string
	Enabled        bool
	IncludeResults bool
	Secret         string
	CreatedAt      time.Time
}

// MonitorSlackWebhook is a Slack action (cm_slack_webhooks). URL is decrypted: an incoming
// webhook URL is its own credential, so it is stored encrypted like webhook secrets (rows
// written before encryption, or without a key, are read as they are).
type MonitorSlackWebhook struct {
	ID             int64
	MonitorID      int64
	URL            string
	Enabled        bool
	IncludeResults bool
	CreatedAt      time.Time
}

// MonitorRecipient is a recipient of an email action: a user or an organization.
type MonitorRecipient struct {
	ID              int64
	EmailID         int64
	NamespaceUserID int64
	NamespaceOrgID  int64
}

// Action kinds, as cm_action_jobs names its action columns.
const (
	ActionEmail        = "email"
	ActionWebhook      = "webhook"
	ActionSlackWebhook = "slack_webhook"
)

// MonitorSpec is a whole monitor as the API's create and update mutations give it.
type MonitorSpec struct {
	Description     string
	Enabled         bool
	NamespaceUserID int64
	NamespaceOrgID  int64
	Query           string
	Emails          []EmailSpec
	Webhooks        []WebhookSpec
	SlackWebhooks   []SlackWebhookSpec
	// Snapshot, when not nil, replaces the monitor's cm_last_searched rows: the current
	// heads of the repositories its query covers, recorded without searching.
	Snapshot map[int64][]string
}

// EmailSpec is an email action; ID 0 creates one.
type EmailSpec struct {
	ID             int64
	Enabled        bool
	IncludeResults bool
	Priority       string
	Header         string
	Recipients     []MonitorRecipient // only the namespace fields are read
}

// WebhookSpec is a webhook action; ID 0 creates one with Secret.
type WebhookSpec struct {
	ID             int64
	Enabled        bool
	IncludeResults bool
	URL            string
	Secret         string
}

// SlackWebhookSpec is a Slack action; ID 0 creates one.
type SlackWebhookSpec struct {
	ID             int64
	Enabled        bool
	IncludeResults bool
	URL            string
}

// CodeMonitorStore reads and writes code monitors, their trigger and action queues, and
// what each monitor has searched.
type CodeMonitorStore struct{ s *Store }

func (s *Store) CodeMonitors() *CodeMonitorStore { return &CodeMonitorStore{s} }

const monitorColumns = "m.id, m.created_by, m.created_at, m.description, m.changed_by, m.changed_at, m.enabled, coalesce(m.namespace_user_id, 0), coalesce(m.namespace_org_id, 0)"

func scanMonitor(row pgx.Row) (*Monitor, error) {
	var m Monitor
	err := row.Scan(&m.ID, &m.CreatedBy, &m.CreatedAt, &m.Description, &m.ChangedBy, &m.ChangedAt, &m.Enabled, &m.NamespaceUserID, &m.NamespaceOrgID)
	return &m, err
}

const queryColumns = "q.id, q.monitor, q.query, q.created_by, q.created_at, q.changed_by, q.changed_at, q.next_run, q.latest_result"

func scanQuery(row pgx.Row) (*MonitorQuery, error) {
	var q MonitorQuery
	err := row.Scan(&q.ID, &q.MonitorID, &q.Query, &q.CreatedBy, &q.CreatedAt, &q.ChangedBy, &q.ChangedAt, &q.NextRun, &q.LatestResult)
	return &q, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateMonitor inserts a monitor with its trigger, actions and snapshot, acting as uid.
func (cs *CodeMonitorStore) CreateMonitor(ctx context.Context, uid int64, spec MonitorSpec) (*Monitor, error) {
	var m *Monitor
	err := cs.s.Transact(ctx, func(tx *Store) error {
		var err error
		m, err = scanMonitor(tx.queryRow(ctx, sqlf.Sprintf(`INSERT INTO cm_monitors AS m (created_by, description, changed_by, enabled, namespace_user_id, namespace_org_id)
VALUES (%s, %s, %s, %s, %s, %s) RETURNING `+monitorColumns, uid, spec.Description, uid, spec.Enabled, nullID(spec.NamespaceUserID), nullID(spec.NamespaceOrgID))))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("INSERT INTO cm_queries (monitor, query, created_by, changed_by) VALUES (%s, %s, %s, %s)", m.ID, spec.Query, uid, uid)); err != nil {
			return err
		}
		tcs := tx.CodeMonitors()
		if err := tcs.saveActions(ctx, uid, m.ID, spec); err != nil {
			return err
		}
		return tcs.replaceSnapshot(ctx, m.ID, spec.Snapshot)
	})
	if err != nil {
		return nil, fmt.Errorf("creating code monitor: %w", err)
	}
	return m, nil
}

// UpdateMonitor replaces a monitor with spec, acting as uid: stored actions absent from
// spec are deleted, actions with ID 0 are created, email recipients are replaced. An
// action ID of another monitor is a not-found error.
func (cs *CodeMonitorStore) UpdateMonitor(ctx context.Context, uid, id int64, spec MonitorSpec) (*Monitor, error) {
	var m *Monitor
	err := cs.s.Transact(ctx, func(tx *Store) error {
		var err error
		m, err = scanMonitor(tx.queryRow(ctx, sqlf.Sprintf(`UPDATE cm_monitors AS m SET description = %s, enabled = %s, namespace_user_id = %s, namespace_org_id = %s,
changed_by = %s, changed_at = now() WHERE m.id = %s RETURNING `+monitorColumns, spec.Description, spec.Enabled, nullID(spec.NamespaceUserID), nullID(spec.NamespaceOrgID), uid, id)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("code monitor %d", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf(`UPDATE cm_queries SET query = %s, changed_by = %s, changed_at = now() WHERE monitor = %s AND query IS DISTINCT FROM %s`,
			spec.Query, uid, id, spec.Query)); err != nil {
			return err
		}
		tcs := tx.CodeMonitors()
		if err := tcs.deleteMissingActions(ctx, id, spec); err != nil {
			return err
		}
		if err := tcs.saveActions(ctx, uid, id, spec); err != nil {
			return err
		}
		return tcs.replaceSnapshot(ctx, id, spec.Snapshot)
	})
	if err != nil {
		return nil, fmt.Errorf("updating code monitor %d: %w", id, err)
	}
	return m, nil
}

func (cs *CodeMonitorStore) deleteMissingActions(ctx context.Context, monitorID int64, spec MonitorSpec) error {
	keep := func(ids []int64) []int64 {
		out := []int64{}
		for _, id := range ids {
			if id != 0 {
				out = append(out, id)
			}
		}
		return out
	}
	var emails, hooks, slacks []int64
	for _, e := range spec.Emails {
		emails = append(emails, e.ID)
	}
	for _, w := range spec.Webhooks {
		hooks = append(hooks, w.ID)
	}
	for _, w := range spec.SlackWebhooks {
		slacks = append(slacks, w.ID)
	}
	for _, d := range []struct {
		table string
		ids   []int64
	}{{"cm_emails", keep(emails)}, {"cm_webhooks", keep(hooks)}, {"cm_slack_webhooks", keep(slacks)}} {
		if _, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM "+d.table+" WHERE monitor = %s AND NOT (id = ANY(%s))", monitorID, d.ids)); err != nil {
			return err
		}
	}
	return nil
}

// saveActions inserts new actions and updates existing ones (which must belong to the
// monitor).
func (cs *CodeMonitorStore) saveActions(ctx context.Context, uid, monitorID int64, spec MonitorSpec) error {
	checkUpdated := func(tag int64, kind string, id int64) error {
		if tag == 0 {
			return notFound("%s action %d of code monitor %d", kind, id, monitorID)
		}
		return nil
	}
	for _, e := range spec.Emails {
		emailID := e.ID
		if emailID == 0 {
			if err := cs.s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO cm_emails (monitor, enabled, priority, header, include_results, created_by, changed_by)
VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id`, monitorID, e.Enabled, e.Priority, e.Header, e.IncludeResults, uid, uid)).Scan(&emailID); err != nil {
				return err
			}
		} else {
			tag, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE cm_emails SET enabled = %s, priority = %s, header = %s, include_results = %s, changed_by = %s, changed_at = now()
WHERE id = %s AND monitor = %s`, e.Enabled, e.Priority, e.Header, e.IncludeResults, uid, emailID, monitorID))
			if err != nil {
				return err
			}
			if err := checkUpdated(tag.RowsAffected(), "email", emailID); err != nil {
				return err
			}
			if _, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM cm_recipients WHERE email = %s", emailID)); err != nil {
				return err
			}
		}
		for _, r := range e.Recipients {
			if _, err := cs.s.exec(ctx, sqlf.Sprintf("INSERT INTO cm_recipients (email, namespace_user_id, namespace_org_id) VALUES (%s, %s, %s)",
				emailID, nullID(r.NamespaceUserID), nullID(r.NamespaceOrgID))); err != nil {
				return err
			}
		}
	}
	for _, w := range spec.Webhooks {
		if w.ID == 0 {
			secret, err := cs.s.key.Encrypt(w.Secret)
			if err != nil {
				return err
			}
			if _, err := cs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO cm_webhooks (monitor, url, enabled, include_results, secret, created_by, changed_by)
VALUES (%s, %s, %s, %s, %s, %s, %s)`, monitorID, w.URL, w.Enabled, w.IncludeResults, secret, uid, uid)); err != nil {
				return err
			}
			continue
		}
		tag, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE cm_webhooks SET url = %s, enabled = %s, include_results = %s, changed_by = %s, changed_at = now()
WHERE id = %s AND monitor = %s`, w.URL, w.Enabled, w.IncludeResults, uid, w.ID, monitorID))
		if err != nil {
			return err
		}
		if err := checkUpdated(tag.RowsAffected(), "webhook", w.ID); err != nil {
			return err
		}
	}
	for _, w := range spec.SlackWebhooks {
		url, err := cs.s.key.Encrypt(w.URL)
		if err != nil {
			return err
		}
		if w.ID == 0 {
			if _, err := cs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO cm_slack_webhooks (monitor, url, enabled, include_results, created_by, changed_by)
VALUES (%s, %s, %s, %s, %s, %s)`, monitorID, url, w.Enabled, w.IncludeResults, uid, uid)); err != nil {
				return err
			}
			continue
		}
		tag, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE cm_slack_webhooks SET url = %s, enabled = %s, include_results = %s, changed_by = %s, changed_at = now()
WHERE id = %s AND monitor = %s`, url, w.Enabled, w.IncludeResults, uid, w.ID, monitorID))
		if err != nil {
			return err
		}
		if err := checkUpdated(tag.RowsAffected(), "Slack webhook", w.ID); err != nil {
			return err
		}
	}
	return nil
}

func (cs *CodeMonitorStore) replaceSnapshot(ctx context.Context, monitorID int64, snap map[int64][]string) error {
	if snap == nil {
		return nil
	}
	if _, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM cm_last_searched WHERE monitor_id = %s", monitorID)); err != nil {
		return err
	}
	var updates []LastSearchedUpdate
	for repoID, oids := range snap {
		updates = append(updates, LastSearchedUpdate{RepoID: repoID, New: oids})
	}
	_, err := cs.moveLastSearched(ctx, monitorID, updates)
	return err
}

func sortedOIDs(oids []string) []string {
	out := slices.Clone(oids)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// GetMonitor returns a monitor by id.
func (cs *CodeMonitorStore) GetMonitor(ctx context.Context, id int64) (*Monitor, error) {
	m, err := scanMonitor(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+monitorColumns+" FROM cm_monitors m WHERE m.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("code monitor %d", id)
	}
	return m, err
}

// MonitorListOptions filter ListMonitors; a zero UserID lists every monitor.
type MonitorListOptions struct {
	UserID int64 // monitors owned by this user
	// Issue, when set, keeps only issue monitors (true) or only code monitors (false):
	// an issue monitor is a monitor with an im_configs row.
	Issue *bool
	Page
}

func (o MonitorListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if o.UserID != 0 {
		conds = append(conds, sqlf.Sprintf("m.namespace_user_id = %s", o.UserID))
	}
	if o.Issue != nil {
		exists := sqlf.Sprintf("EXISTS (SELECT 1 FROM im_configs c WHERE c.monitor_id = m.id)")
		if !*o.Issue {
			exists = sqlf.Sprintf("NOT %s", exists)
		}
		conds = append(conds, exists)
	}
	return sqlf.Join(conds, " AND ")
}

// ListMonitors lists monitors in id order.
func (cs *CodeMonitorStore) ListMonitors(ctx context.Context, opts MonitorListOptions) ([]*Monitor, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+monitorColumns+" FROM cm_monitors m WHERE %s AND m.id > %s ORDER BY m.id %s",
		opts.where(), opts.After, opts.limitSQL()), scanMonitor)
}

// CountMonitors counts the monitors ListMonitors would list without a page.
func (cs *CodeMonitorStore) CountMonitors(ctx context.Context, opts MonitorListOptions) (int, error) {
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM cm_monitors m WHERE %s", opts.where()))
}

// ToggleMonitor enables or disables a monitor; a non-nil snapshot replaces what it has
// searched (a monitor enabled again starts from the current heads).
func (cs *CodeMonitorStore) ToggleMonitor(ctx context.Context, uid, id int64, enabled bool, snapshot map[int64][]string) (*Monitor, error) {
	var m *Monitor
	err := cs.s.Transact(ctx, func(tx *Store) error {
		var err error
		m, err = scanMonitor(tx.queryRow(ctx, sqlf.Sprintf("UPDATE cm_monitors AS m SET enabled = %s, changed_by = %s, changed_at = now() WHERE m.id = %s RETURNING "+monitorColumns, enabled, uid, id)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("code monitor %d", id)
		}
		if err != nil {
			return err
		}
		return tx.CodeMonitors().replaceSnapshot(ctx, id, snapshot)
	})
	return m, err
}

// DeleteMonitor deletes a monitor with everything that belongs to it.
func (cs *CodeMonitorStore) DeleteMonitor(ctx context.Context, id int64) error {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM cm_monitors WHERE id = %s", id))
	if err != nil {
		return fmt.Errorf("deleting code monitor %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("code monitor %d", id)
	}
	return nil
}

// QueryByMonitor returns a monitor's trigger query.
func (cs *CodeMonitorStore) QueryByMonitor(ctx context.Context, monitorID int64) (*MonitorQuery, error) {
	q, err := scanQuery(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+queryColumns+" FROM cm_queries q WHERE q.monitor = %s", monitorID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("trigger of code monitor %d", monitorID)
	}
	return q, err
}

// QueryByID returns a trigger query by its id.
func (cs *CodeMonitorStore) QueryByID(ctx context.Context, id int64) (*MonitorQuery, error) {
	q, err := scanQuery(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+queryColumns+" FROM cm_queries q WHERE q.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("code monitor trigger %d", id)
	}
	return q, err
}

// ResetQueryTimestamps makes a monitor's trigger due at once and forgets when it last
// found results.
func (cs *CodeMonitorStore) ResetQueryTimestamps(ctx context.Context, monitorID int64) error {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE cm_queries SET next_run = now(), latest_result = NULL WHERE monitor = %s", monitorID))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("code monitor %d", monitorID)
	}
	return nil
}

// Emails returns a monitor's email actions in id order.
func (cs *CodeMonitorStore) Emails(ctx context.Context, monitorID int64) ([]*MonitorEmail, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT id, monitor, enabled, priority, header, include_results, created_at FROM cm_emails WHERE monitor = %s ORDER BY id", monitorID), scanEmail)
}

func scanEmail(row pgx.Row) (*MonitorEmail, error) {
	var e MonitorEmail
	err := row.Scan(&e.ID, &e.MonitorID, &e.Enabled, &e.Priority, &e.Header, &e.IncludeResults, &e.CreatedAt)
	return &e, err
}

// GetEmail returns an email action.
func (cs *CodeMonitorStore) GetEmail(ctx context.Context, id int64) (*MonitorEmail, error) {
	e, err := scanEmail(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT id, monitor, enabled, priority, header, include_results, created_at FROM cm_emails WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("email action %d", id)
	}
	return e, err
}

// Webhooks returns a monitor's webhook actions in id order.
func (cs *CodeMonitorStore) Webhooks(ctx context.Context, monitorID int64) ([]*MonitorWebhook, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT id, monitor, url, enabled, include_results, secret, created_at FROM cm_webhooks WHERE monitor = %s ORDER BY id", monitorID), cs.scanWebhook)
}

func (cs *CodeMonitorStore) scanWebhook(row pgx.Row) (*MonitorWebhook, error) {
	var w MonitorWebhook
	if err := row.Scan(&w.ID, &w.MonitorID, &w.URL, &w.Enabled, &w.IncludeResults, &w.Secret, &w.CreatedAt); err != nil {
		return nil, err
	}
	secret, err := cs.s.key.Decrypt(w.Secret)
	if err != nil {
		return nil, fmt.Errorf("webhook action %d secret: %w", w.ID, err)
	}
	w.Secret = secret
	return &w, nil
}

// GetWebhook returns a webhook action.
func (cs *CodeMonitorStore) GetWebhook(ctx context.Context, id int64) (*MonitorWebhook, error) {
	w, err := cs.scanWebhook(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT id, monitor, url, enabled, include_results, secret, created_at FROM cm_webhooks WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("webhook action %d", id)
	}
	return w, err
}

// SlackWebhooks returns a monitor's Slack actions in id order.
func (cs *CodeMonitorStore) SlackWebhooks(ctx context.Context, monitorID int64) ([]*MonitorSlackWebhook, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT id, monitor, url, enabled, include_results, created_at FROM cm_slack_webhooks WHERE monitor = %s ORDER BY id", monitorID), cs.scanSlack)
}

func (cs *CodeMonitorStore) scanSlack(row pgx.Row) (*MonitorSlackWebhook, error) {
	var w MonitorSlackWebhook
	if err := row.Scan(&w.ID, &w.MonitorID, &w.URL, &w.Enabled, &w.IncludeResults, &w.CreatedAt); err != nil {
		return nil, err
	}
	url, err := cs.s.key.Decrypt(w.URL)
	if err != nil {
		return nil, fmt.Errorf("Slack action %d URL: %w", w.ID, err)
	}
	w.URL = url
	return &w, nil
}

// GetSlackWebhook returns a Slack action.
func (cs *CodeMonitorStore) GetSlackWebhook(ctx context.Context, id int64) (*MonitorSlackWebhook, error) {
	w, err := cs.scanSlack(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT id, monitor, url, enabled, include_results, created_at FROM cm_slack_webhooks WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Slack action %d", id)
	}
	return w, err
}

// Recipients returns an email action's recipients in id order.
func (cs *CodeMonitorStore) Recipients(ctx context.Context, emailID int64) ([]*MonitorRecipient, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT id, email, coalesce(namespace_user_id, 0), coalesce(namespace_org_id, 0) FROM cm_recipients WHERE email = %s ORDER BY id", emailID),
		func(row pgx.Row) (*MonitorRecipient, error) {
			var r MonitorRecipient
			err := row.Scan(&r.ID, &r.EmailID, &r.NamespaceUserID, &r.NamespaceOrgID)
			return &r, err
		})
}

// RecipientAddresses returns the verified addresses of the given users and of the
// members of the given organizations (live users only), without duplicates, sorted.
func (cs *CodeMonitorStore) RecipientAddresses(ctx context.Context, userIDs, orgIDs []int64) ([]string, error) {
	if userIDs == nil {
		userIDs = []int64{}
	}
	if orgIDs == nil {
		orgIDs = []int64{}
	}
	return collect(ctx, cs.s, sqlf.Sprintf(`SELECT DISTINCT u.email::text FROM users u
WHERE u.deleted_at IS NULL AND u.email IS NOT NULL AND u.email_verified
  AND (u.id = ANY(%s) OR u.id IN (SELECT om.user_id FROM org_members om JOIN orgs o ON o.id = om.org_id WHERE o.deleted_at IS NULL AND om.org_id = ANY(%s)))
ORDER BY 1`, userIDs, orgIDs), func(row pgx.Row) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	})
}
