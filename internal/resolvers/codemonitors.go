package resolvers

import (
	"context"
	"errors"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/store"
)

// Relay ID kinds of the code monitor types.
const (
	monitorKind             = "CodeMonitor"
	monitorQueryKind        = "CodeMonitorQuery"
	monitorTriggerEventKind = "CodeMonitorTriggerEvent"
	monitorEmailKind        = "CodeMonitorActionEmail"
	monitorWebhookKind      = "CodeMonitorActionWebhook"
	monitorSlackKind        = "CodeMonitorActionSlackWebhook"
	monitorActionEventKind  = "CodeMonitorActionEvent"
)

// InvalidQuery is the code of a rejected monitor query; the message is the parser's.
const InvalidQuery = "InvalidQuery"

func defaultNotifier() *notify.Notifier {
	n, err := notify.New(notify.Config{})
	if err != nil {
		panic("notify.New with an empty config cannot fail: " + err.Error())
	}
	return n
}

// checkCanAccessMonitor: a monitor is its owner's (and every member's, for an
// organization), and site admins'; nobody else may read or change it.
func (r *Resolver) checkCanAccessMonitor(ctx context.Context, m *store.Monitor) error {
	return r.checkCanAdministerNamespace(ctx, Namespace{UserID: m.NamespaceUserID, OrgID: m.NamespaceOrgID})
}

// monitorByID loads a monitor the viewer may access; one it may not is not found, so
// the API never reveals that it exists.
func (r *Resolver) monitorByID(ctx context.Context, id graphql.ID) (*store.Monitor, error) {
	n, err := unmarshalID(id, monitorKind)
	if err != nil {
		return nil, err
	}
	m, err := r.Store.CodeMonitors().GetMonitor(ctx, n)
	if err != nil {
		return nil, storeErr(err)
	}
	if err := r.checkCanAccessMonitor(ctx, m); err != nil {
		if errors.Is(err, auth.ErrNotAuthenticated) {
			return nil, err
		}
		return nil, storeErr(store.ErrNotFound)
	}
	return m, nil
}

func (r *Resolver) loadMonitorNode(ctx context.Context, id int64) (node, error) {
	m, err := r.Store.CodeMonitors().GetMonitor(ctx, id)
	if err != nil {
		return nilIfNotFound[*MonitorResolver](nil, err)
	}
	if r.checkCanAccessMonitor(ctx, m) != nil {
		return nil, nil
	}
	return &MonitorResolver{r: r, m: m}, nil
}

// Monitors lists every monitor (site admins).
func (r *Resolver) Monitors(ctx context.Context, args MonitorListArgs) (*connection[*MonitorResolver], error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	return r.monitorConnection(ctx, args.ConnectionArgs, store.MonitorListOptions{Issue: args.issue()})
}

// MonitorListArgs are the arguments of the monitor lists.
type MonitorListArgs struct {
	ConnectionArgs
	Kind *string
}

func (a MonitorListArgs) issue() *bool {
	if a.Kind == nil {
		return nil
	}
	issue := *a.Kind == "ISSUE"
	return &issue
}

// Monitors lists the user's monitors (the user and site admins).
func (u *UserResolver) Monitors(ctx context.Context, args MonitorListArgs) (*connection[*MonitorResolver], error) {
	if err := auth.CheckSameUserOrSiteAdmin(ctx, u.user.ID); err != nil {
		return nil, err
	}
	return u.r.monitorConnection(ctx, args.ConnectionArgs, store.MonitorListOptions{UserID: u.user.ID, Issue: args.issue()})
}

func (r *Resolver) monitorConnection(ctx context.Context, args ConnectionArgs, opts store.MonitorListOptions) (*connection[*MonitorResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts.Page = page
	ms, err := r.Store.CodeMonitors().ListMonitors(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(ms, page, func(m *store.Monitor) int64 { return m.ID }, func(m *store.Monitor) *MonitorResolver { return &MonitorResolver{r: r, m: m} },
		func(ctx context.Context) (int, error) { return r.Store.CodeMonitors().CountMonitors(ctx, opts) }), nil
}

// MonitorResolver resolves Monitor.
type MonitorResolver struct {
	r *Resolver
	m *store.Monitor
	// fresh holds the webhook secrets made by the mutation that returns this monitor:
	// the only time they are shown.
	fresh map[string]bool
}

func (m *MonitorResolver) ID() graphql.ID      { return marshalID(monitorKind, m.m.ID) }
func (m *MonitorResolver) CreatedAt() DateTime { return newDateTime(m.m.CreatedAt) }
func (m *MonitorResolver) Description() string { return m.m.Description }
func (m *MonitorResolver) Enabled() bool       { return m.m.Enabled }

func (m *MonitorResolver) CreatedBy(ctx context.Context) (*UserResolver, error) {
	u, err := m.r.Store.Users().GetByID(ctx, m.m.CreatedBy)
	if err != nil {
		return nil, storeErr(err)
	}
	return m.r.newUser(u), nil
}

func (m *MonitorResolver) Owner(ctx context.Context) (*NamespaceResolver, error) {
	return m.r.namespaceResolver(ctx, Namespace{UserID: m.m.NamespaceUserID, OrgID: m.m.NamespaceOrgID})
}

func (m *MonitorResolver) Trigger(ctx context.Context) (*MonitorTriggerResolver, error) {
	q, err := m.r.Store.CodeMonitors().QueryByMonitor(ctx, m.m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return m.issueTrigger(ctx) // an issue monitor: its query (issuemonitors.go)
	}
	if err != nil {
		return nil, err
	}
	return &MonitorTriggerResolver{&MonitorQueryResolver{r: m.r, q: q}}, nil
}

func (m *MonitorResolver) Actions(ctx context.Context, args ConnectionArgs) (*connection[*MonitorActionResolver], error) {
	return m.r.monitorActions(ctx, m.m.ID, 0, m.fresh, args)
}

// positioned is a row of a list paginated in memory; pos is its 1-based position.
type positioned[T any] struct {
	pos int
	v   T
}

// pageInMemory paginates a short list held in memory: the cursor is a position.
func pageInMemory[T any, R any](all []T, args ConnectionArgs, resolve func(T) R) (*connection[R], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	start := min(int(page.After), len(all))
	end := min(start+page.Limit, len(all))
	rows := make([]positioned[T], 0, end-start)
	for i := start; i < end; i++ {
		rows = append(rows, positioned[T]{pos: i + 1, v: all[i]})
	}
	return newConnection(rows, page, func(p positioned[T]) int64 { return int64(p.pos) }, func(p positioned[T]) R { return resolve(p.v) },
		func(context.Context) (int, error) { return len(all), nil }), nil
}

// monitorActions lists a monitor's actions: emails, then webhooks, then Slack, each in
// creation order. With triggerEvent set, each action's events are that run's only.
func (r *Resolver) monitorActions(ctx context.Context, monitorID, triggerEvent int64, fresh map[string]bool, args ConnectionArgs) (*connection[*MonitorActionResolver], error) {
	cs := r.Store.CodeMonitors()
	emails, err := cs.Emails(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	hooks, err := cs.Webhooks(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	slacks, err := cs.SlackWebhooks(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	var all []*MonitorActionResolver
	for _, e := range emails {
		all = append(all, &MonitorActionResolver{email: &MonitorEmailResolver{r: r, e: e, triggerEvent: triggerEvent}})
	}
	for _, w := range hooks {
		all = append(all, &MonitorActionResolver{webhook: &MonitorWebhookResolver{r: r, w: w, triggerEvent: triggerEvent, showSecret: fresh[w.Secret]}})
	}
	for _, w := range slacks {
		all = append(all, &MonitorActionResolver{slack: &MonitorSlackWebhookResolver{r: r, w: w, triggerEvent: triggerEvent}})
	}
	return pageInMemory(all, args, func(a *MonitorActionResolver) *MonitorActionResolver { return a })
}

// MonitorTriggerResolver resolves the MonitorTrigger union.
type MonitorTriggerResolver struct{ q *MonitorQueryResolver }

func (t *MonitorTriggerResolver) ToMonitorQuery() (*MonitorQueryResolver, bool) {
	return t.q, t.q != nil
}

// MonitorQueryResolver resolves MonitorQuery.
type MonitorQueryResolver struct {
	r *Resolver
	q *store.MonitorQuery
	// issueMonitor is set for an issue monitor's query, which has no trigger events.
	issueMonitor bool
}

func (q *MonitorQueryResolver) ID() graphql.ID {
	if q.issueMonitor {
		return marshalID(issueMonitorQueryKind, q.q.MonitorID)
	}
	return marshalID(monitorQueryKind, q.q.ID)
}
func (q *MonitorQueryResolver) Query() string { return q.q.Query }

func (q *MonitorQueryResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*MonitorTriggerEventResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	if q.issueMonitor {
		return newConnection([]*MonitorTriggerEventResolver(nil), page, func(*MonitorTriggerEventResolver) int64 { return 0 },
			func(e *MonitorTriggerEventResolver) *MonitorTriggerEventResolver { return e }, func(context.Context) (int, error) { return 0, nil }), nil
	}
	cs := q.r.Store.CodeMonitors()
	jobs, err := cs.ListTriggerEvents(ctx, q.q.ID, page)
	if err != nil {
		return nil, err
	}
	return newConnection(jobs, page, func(j *store.TriggerJob) int64 { return j.ID },
		func(j *store.TriggerJob) *MonitorTriggerEventResolver {
			return &MonitorTriggerEventResolver{r: q.r, j: j, monitorID: q.q.MonitorID}
		},
		func(ctx context.Context) (int, error) { return cs.CountTriggerEvents(ctx, q.q.ID) }), nil
}

// eventStatus maps a job state to EventStatus.
func eventStatus(state string) string {
	switch state {
	case "queued", "processing":
		return "PENDING"
	case "completed":
		return "SUCCESS"
	}
	return "ERROR"
}

// eventMessage is a job's failure as the viewer may see it (see shown).
func eventMessage(ctx context.Context, state, failure string) *string {
	if failure == "" && state == "canceled" {
		failure = "canceled"
	}
	return shownNonEmpty(ctx, failure)
}

func eventTime(queued time.Time, started, finished *time.Time) DateTime {
	switch {
	case finished != nil:
		return newDateTime(*finished)
	case started != nil:
		return newDateTime(*started)
	}
	return newDateTime(queued)
}

// MonitorTriggerEventResolver resolves MonitorTriggerEvent.
type MonitorTriggerEventResolver struct {
	r         *Resolver
	j         *store.TriggerJob
	monitorID int64
}

func (e *MonitorTriggerEventResolver) ID() graphql.ID {
	return marshalID(monitorTriggerEventKind, e.j.ID)
}
func (e *MonitorTriggerEventResolver) Status() string { return eventStatus(e.j.State) }
func (e *MonitorTriggerEventResolver) Message(ctx context.Context) *string {
	return eventMessage(ctx, e.j.State, e.j.FailureMessage)
}
func (e *MonitorTriggerEventResolver) Timestamp() DateTime {
	return eventTime(e.j.QueuedAt, e.j.StartedAt, e.j.FinishedAt)
}
func (e *MonitorTriggerEventResolver) ResultCount() int32 { return int32(e.j.NumResults) }

func (e *MonitorTriggerEventResolver) Query() *string {
	if e.j.QueryString == "" {
		return nil
	}
	return &e.j.QueryString
}

func (e *MonitorTriggerEventResolver) Actions(ctx context.Context, args ConnectionArgs) (*connection[*MonitorActionResolver], error) {
	return e.r.monitorActions(ctx, e.monitorID, e.j.ID, nil, args)
}

// MonitorActionResolver resolves the MonitorAction union.
type MonitorActionResolver struct {
	email   *MonitorEmailResolver
	webhook *MonitorWebhookResolver
	slack   *MonitorSlackWebhookResolver
}

func (a *MonitorActionResolver) ToMonitorEmail() (*MonitorEmailResolver, bool) {
	return a.email, a.email != nil
}
func (a *MonitorActionResolver) ToMonitorWebhook() (*MonitorWebhookResolver, bool) {
	return a.webhook, a.webhook != nil
}
func (a *MonitorActionResolver) ToMonitorSlackWebhook() (*MonitorSlackWebhookResolver, bool) {
	return a.slack, a.slack != nil
}

// actionEvents lists an action's notifications; an issue monitor's action lists its
// messages (one per event sent).
func (r *Resolver) actionEvents(ctx context.Context, monitorID int64, opts store.ActionEventOptions, args ConnectionArgs) (*connection[*MonitorActionEventResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	c, err := r.issueConfig(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	opts.Issue = c != nil
	cs := r.Store.CodeMonitors()
	jobs, err := cs.ListActionEvents(ctx, opts, page)
	if err != nil {
		return nil, err
	}
	return newConnection(jobs, page, func(j *store.ActionJob) int64 { return j.ID },
		func(j *store.ActionJob) *MonitorActionEventResolver {
			return &MonitorActionEventResolver{j: j, issue: opts.Issue}
		},
		func(ctx context.Context) (int, error) { return cs.CountActionEvents(ctx, opts) }), nil
}

// MonitorEmailResolver resolves MonitorEmail.
type MonitorEmailResolver struct {
	r            *Resolver
	e            *store.MonitorEmail
	triggerEvent int64
}

func (e *MonitorEmailResolver) ID() graphql.ID       { return marshalID(monitorEmailKind, e.e.ID) }
func (e *MonitorEmailResolver) Enabled() bool        { return e.e.Enabled }
func (e *MonitorEmailResolver) IncludeResults() bool { return e.e.IncludeResults }
func (e *MonitorEmailResolver) Priority() string     { return e.e.Priority }
func (e *MonitorEmailResolver) Header() string       { return e.e.Header }

func (e *MonitorEmailResolver) Recipients(ctx context.Context, args ConnectionArgs) (*connection[*NamespaceResolver], error) {
	rcpts, err := e.r.Store.CodeMonitors().Recipients(ctx, e.e.ID)
	if err != nil {
		return nil, err
	}
	var all []*NamespaceResolver
	for _, rc := range rcpts {
		ns, err := e.r.namespaceResolver(ctx, Namespace{UserID: rc.NamespaceUserID, OrgID: rc.NamespaceOrgID})
		if errors.Is(err, store.ErrNotFound) || errcode.Is(err, errcode.NotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		all = append(all, ns)
	}
	return pageInMemory(all, args, func(n *NamespaceResolver) *NamespaceResolver { return n })
}

func (e *MonitorEmailResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*MonitorActionEventResolver], error) {
	return e.r.actionEvents(ctx, e.e.MonitorID, store.ActionEventOptions{Kind: store.ActionEmail, ActionID: e.e.ID, TriggerEvent: e.triggerEvent}, args)
}

// MonitorWebhookResolver resolves MonitorWebhook.
type MonitorWebhookResolver struct {
	r            *Resolver
	w            *store.MonitorWebhook
	triggerEvent int64
	showSecret   bool
}

func (w *MonitorWebhookResolver) ID() graphql.ID       { return marshalID(monitorWebhookKind, w.w.ID) }
func (w *MonitorWebhookResolver) Enabled() bool        { return w.w.Enabled }
func (w *MonitorWebhookResolver) IncludeResults() bool { return w.w.IncludeResults }
func (w *MonitorWebhookResolver) URL() string          { return w.w.URL }

// Secret is shown only in the response of the mutation that created the action.
func (w *MonitorWebhookResolver) Secret() *string {
	if !w.showSecret {
		return nil
	}
	return &w.w.Secret
}

func (w *MonitorWebhookResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*MonitorActionEventResolver], error) {
	return w.r.actionEvents(ctx, w.w.MonitorID, store.ActionEventOptions{Kind: store.ActionWebhook, ActionID: w.w.ID, TriggerEvent: w.triggerEvent}, args)
}

// MonitorSlackWebhookResolver resolves MonitorSlackWebhook.
type MonitorSlackWebhookResolver struct {
	r            *Resolver
	w            *store.MonitorSlackWebhook
	triggerEvent int64
}

func (w *MonitorSlackWebhookResolver) ID() graphql.ID       { return marshalID(monitorSlackKind, w.w.ID) }
func (w *MonitorSlackWebhookResolver) Enabled() bool        { return w.w.Enabled }
func (w *MonitorSlackWebhookResolver) IncludeResults() bool { return w.w.IncludeResults }
func (w *MonitorSlackWebhookResolver) URL() string          { return notify.RedactSlackURL(w.w.URL) }

func (w *MonitorSlackWebhookResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*MonitorActionEventResolver], error) {
	return w.r.actionEvents(ctx, w.w.MonitorID, store.ActionEventOptions{Kind: store.ActionSlackWebhook, ActionID: w.w.ID, TriggerEvent: w.triggerEvent}, args)
}

// MonitorActionEventResolver resolves MonitorActionEvent: a code monitor notification,
// or (issue) an issue monitor message.
type MonitorActionEventResolver struct {
	j     *store.ActionJob
	issue bool
}

func (e *MonitorActionEventResolver) ID() graphql.ID {
	if e.issue {
		return marshalID(issueActionEventKind, e.j.ID)
	}
	return marshalID(monitorActionEventKind, e.j.ID)
}
func (e *MonitorActionEventResolver) Status() string { return eventStatus(e.j.State) }
func (e *MonitorActionEventResolver) Message(ctx context.Context) *string {
	return eventMessage(ctx, e.j.State, e.j.FailureMessage)
}
func (e *MonitorActionEventResolver) Timestamp() DateTime {
	return eventTime(e.j.QueuedAt, e.j.StartedAt, e.j.FinishedAt)
}
