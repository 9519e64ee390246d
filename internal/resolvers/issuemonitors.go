package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/store"
)

// Relay ID kinds of the issue monitor types.
const (
	issueMonitorQueryKind = "IssueMonitorQuery"
	alertKind             = "IssueMonitorAlert"
	issueKind             = "IssueMonitorIssue"
	issueEventKind        = "IssueMonitorEvent"
	issueRunKind          = "IssueMonitorRun"
	issueActionEventKind  = "IssueMonitorActionEvent"
)

// canAccessMonitorID reports whether the viewer may read a monitor (for the nodes that
// belong to one: alerts and issues).
func (r *Resolver) canAccessMonitorID(ctx context.Context, monitorID int64) (bool, error) {
	n, err := r.loadMonitorNode(ctx, monitorID)
	return n != nil, err
}

func (r *Resolver) loadAlertNode(ctx context.Context, id int64) (node, error) {
	a, err := r.Store.IssueMonitors().GetAlert(ctx, id)
	if err != nil {
		return nilIfNotFound[*AlertResolver](nil, err)
	}
	if ok, err := r.canAccessMonitorID(ctx, a.MonitorID); !ok || err != nil {
		return nil, err
	}
	return &AlertResolver{r: r, a: a}, nil
}

func (r *Resolver) loadIssueNode(ctx context.Context, id int64) (node, error) {
	is, err := r.Store.IssueMonitors().GetIssue(ctx, id)
	if err != nil {
		return nilIfNotFound[*IssueResolver](nil, err)
	}
	if ok, err := r.canAccessMonitorID(ctx, is.MonitorID); !ok || err != nil {
		return nil, err
	}
	return &IssueResolver{r: r, i: is}, nil
}

// issueConfig returns a monitor's issue-tracking configuration, nil for a code monitor.
func (r *Resolver) issueConfig(ctx context.Context, monitorID int64) (*store.IssueMonitorConfig, error) {
	c, err := r.Store.IssueMonitors().Config(ctx, monitorID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// issueTrigger is Monitor.trigger of an issue monitor, which has no code monitor
// trigger: its query, with no trigger events (its runs are IssueTracking.runs).
func (m *MonitorResolver) issueTrigger(ctx context.Context) (*MonitorTriggerResolver, error) {
	c, err := m.r.issueConfig(ctx, m.m.ID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, storeErr(store.ErrNotFound)
	}
	return &MonitorTriggerResolver{&MonitorQueryResolver{r: m.r, q: &store.MonitorQuery{MonitorID: m.m.ID, Query: c.Query}, issueMonitor: true}}, nil
}

// IssueTracking is the monitor's issue-tracking configuration; null for a code monitor.
func (m *MonitorResolver) IssueTracking(ctx context.Context) (*IssueTrackingResolver, error) {
	c, err := m.r.issueConfig(ctx, m.m.ID)
	if err != nil || c == nil {
		return nil, err
	}
	return &IssueTrackingResolver{r: m.r, c: c}, nil
}

type issueListArgs struct {
	State *string
	ConnectionArgs
}

func (r *Resolver) issueConnection(ctx context.Context, opts store.IssueListOptions, args issueListArgs) (*connection[*IssueResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	if args.State != nil {
		opts.State = strings.ToLower(*args.State)
	}
	opts.Page = page
	ims := r.Store.IssueMonitors()
	issues, err := ims.ListIssues(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.Page = store.Page{}
	return newConnection(issues, page, func(i *store.MonitorIssue) int64 { return i.ID }, func(i *store.MonitorIssue) *IssueResolver { return &IssueResolver{r: r, i: i} },
		func(ctx context.Context) (int, error) { return ims.CountIssues(ctx, opts) }), nil
}

// Issues lists the monitor's issues.
func (m *MonitorResolver) Issues(ctx context.Context, args issueListArgs) (*connection[*IssueResolver], error) {
	return m.r.issueConnection(ctx, store.IssueListOptions{MonitorID: m.m.ID}, args)
}

type alertListArgs struct {
	State *string
	ConnectionArgs
}

// Alerts lists the monitor's alerts.
func (m *MonitorResolver) Alerts(ctx context.Context, args alertListArgs) (*connection[*AlertResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts := store.AlertListOptions{MonitorID: m.m.ID, Page: page}
	if args.State != nil {
		opts.State = strings.ToLower(*args.State)
	}
	ims := m.r.Store.IssueMonitors()
	alerts, err := ims.ListAlerts(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.Page = store.Page{}
	return newConnection(alerts, page, func(a *store.MonitorAlert) int64 { return a.ID }, func(a *store.MonitorAlert) *AlertResolver { return &AlertResolver{r: m.r, a: a} },
		func(ctx context.Context) (int, error) { return ims.CountAlerts(ctx, opts) }), nil
}

// Variables are readable by the monitor's owner only.
func (m *MonitorResolver) Variables(ctx context.Context) (*[]*IssueMonitorVariableResolver, error) {
	if a := auth.FromContext(ctx); a == nil || a.UID == 0 || a.UID != m.m.NamespaceUserID {
		return nil, nil
	}
	vars, err := m.r.Store.IssueMonitors().Variables(ctx, m.m.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*IssueMonitorVariableResolver, len(vars))
	for i, v := range vars {
		out[i] = &IssueMonitorVariableResolver{v}
	}
	return &out, nil
}

// IssueMonitorVariableResolver resolves IssueMonitorVariable.
type IssueMonitorVariableResolver struct{ v store.IssueVariable }

func (v *IssueMonitorVariableResolver) Name() string        { return v.v.Name }
func (v *IssueMonitorVariableResolver) Value() string       { return v.v.Value }
func (v *IssueMonitorVariableResolver) UpdatedAt() DateTime { return newDateTime(v.v.UpdatedAt) }

// actionSubscription reads an action's issue monitor subscription.
func (r *Resolver) actionSubscription(ctx context.Context, kind string, id int64) (*[]string, *string, error) {
	events, minPrio, ok, err := r.Store.IssueMonitors().ActionSubscription(ctx, kind, id)
	if err != nil || !ok {
		return nil, nil, err
	}
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = strings.ToUpper(e)
	}
	return &names, priorityEnum(minPrio), nil
}

func (e *MonitorEmailResolver) IssueEvents(ctx context.Context) (*[]string, error) {
	ev, _, err := e.r.actionSubscription(ctx, store.ActionEmail, e.e.ID)
	return ev, err
}

func (e *MonitorEmailResolver) MinimumPriority(ctx context.Context) (*string, error) {
	_, p, err := e.r.actionSubscription(ctx, store.ActionEmail, e.e.ID)
	return p, err
}

func (w *MonitorWebhookResolver) IssueEvents(ctx context.Context) (*[]string, error) {
	ev, _, err := w.r.actionSubscription(ctx, store.ActionWebhook, w.w.ID)
	return ev, err
}

func (w *MonitorWebhookResolver) MinimumPriority(ctx context.Context) (*string, error) {
	_, p, err := w.r.actionSubscription(ctx, store.ActionWebhook, w.w.ID)
	return p, err
}

func (w *MonitorSlackWebhookResolver) IssueEvents(ctx context.Context) (*[]string, error) {
	ev, _, err := w.r.actionSubscription(ctx, store.ActionSlackWebhook, w.w.ID)
	return ev, err
}

func (w *MonitorSlackWebhookResolver) MinimumPriority(ctx context.Context) (*string, error) {
	_, p, err := w.r.actionSubscription(ctx, store.ActionSlackWebhook, w.w.ID)
	return p, err
}

// priorityEnum is an AlertPriority, nil for none.
func priorityEnum(p int) *string {
	s := domain.Priority(p).String()
	if s == "" {
		return nil
	}
	return &s
}

// IssueTrackingResolver resolves IssueTracking.
type IssueTrackingResolver struct {
	r *Resolver
	c *store.IssueMonitorConfig
}

func (t *IssueTrackingResolver) Query() string          { return t.c.Query }
func (t *IssueTrackingResolver) Identity() string       { return t.c.Identity }
func (t *IssueTrackingResolver) SearchSchedule() string { return t.c.SearchSchedule }
func (t *IssueTrackingResolver) UpdateSchedule() string { return t.c.UpdateSchedule }
func (t *IssueTrackingResolver) MaxIssuesPerRun() int32 { return int32(t.c.MaxIssuesPerRun) }
func (t *IssueTrackingResolver) ExecutionTimeout() int32 {
	return int32(t.c.ExecutionTimeout.Seconds())
}
func (t *IssueTrackingResolver) Solvable() bool { return t.c.Solvable }
func (t *IssueTrackingResolver) Unique() bool   { return t.c.Unique }
func (t *IssueTrackingResolver) DismissAcknowledgeOnNewIssues() bool {
	return t.c.DismissAcknowledgeOnNewIssues
}
func (t *IssueTrackingResolver) NextSearchAt() DateTime   { return newDateTime(t.c.NextSearchAt) }
func (t *IssueTrackingResolver) NextUpdateAt() DateTime   { return newDateTime(t.c.NextUpdateAt) }
func (t *IssueTrackingResolver) Rule() *AlertRuleResolver { return &AlertRuleResolver{t.c} }

func (t *IssueTrackingResolver) Runs(ctx context.Context, args ConnectionArgs) (*connection[*IssueMonitorRunResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	ims := t.r.Store.IssueMonitors()
	runs, err := ims.ListRuns(ctx, t.c.MonitorID, page)
	if err != nil {
		return nil, err
	}
	return newConnection(runs, page, func(r *store.IssueRun) int64 { return r.ID }, func(r *store.IssueRun) *IssueMonitorRunResolver { return &IssueMonitorRunResolver{r} },
		func(ctx context.Context) (int, error) { return ims.CountRuns(ctx, t.c.MonitorID) }), nil
}

func (t *IssueTrackingResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*IssueMonitorEventResolver], error) {
	return t.r.issueEvents(ctx, store.IssueEventListOptions{MonitorID: t.c.MonitorID}, args)
}

func (r *Resolver) issueEvents(ctx context.Context, opts store.IssueEventListOptions, args ConnectionArgs) (*connection[*IssueMonitorEventResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	opts.Page = page
	ims := r.Store.IssueMonitors()
	events, err := ims.ListEvents(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.Page = store.Page{}
	return newConnection(events, page, func(e *store.IssueEvent) int64 { return e.ID }, func(e *store.IssueEvent) *IssueMonitorEventResolver { return &IssueMonitorEventResolver{r: r, e: e} },
		func(ctx context.Context) (int, error) { return ims.CountEvents(ctx, opts) }), nil
}

// AlertRuleResolver resolves AlertRule.
type AlertRuleResolver struct{ c *store.IssueMonitorConfig }

func (a *AlertRuleResolver) Kind() string      { return a.c.RuleKind }
func (a *AlertRuleResolver) Operation() string { return a.c.ValueOperation }
func (a *AlertRuleResolver) ValueField() *string {
	if a.c.ValueField == "" {
		return nil
	}
	return &a.c.ValueField
}
func (a *AlertRuleResolver) Levels() *PriorityLevelsResolver {
	return &PriorityLevelsResolver{a.c.Levels}
}

// PriorityLevelsResolver resolves PriorityLevels.
type PriorityLevelsResolver struct{ l store.IssueLevels }

func (l *PriorityLevelsResolver) Critical() *float64      { return l.l[domain.Critical-1] }
func (l *PriorityLevelsResolver) High() *float64          { return l.l[domain.High-1] }
func (l *PriorityLevelsResolver) Moderate() *float64      { return l.l[domain.Moderate-1] }
func (l *PriorityLevelsResolver) Low() *float64           { return l.l[domain.Low-1] }
func (l *PriorityLevelsResolver) Informational() *float64 { return l.l[domain.Informational-1] }

// AlertResolver resolves Alert.
type AlertResolver struct {
	r *Resolver
	a *store.MonitorAlert
}

func (a *AlertResolver) ID() graphql.ID      { return marshalID(alertKind, a.a.ID) }
func (a *AlertResolver) Priority() *string   { return priorityEnum(a.a.Priority) }
func (a *AlertResolver) State() string       { return strings.ToUpper(a.a.State) }
func (a *AlertResolver) CreatedAt() DateTime { return newDateTime(a.a.CreatedAt) }
func (a *AlertResolver) UpdatedAt() DateTime { return newDateTime(a.a.UpdatedAt) }
func (a *AlertResolver) SolvedAt() *DateTime { return newDateTimePtr(a.a.SolvedAt) }
func (a *AlertResolver) Acknowledged() bool  { return a.a.Acknowledged }
func (a *AlertResolver) Locked() bool        { return a.a.Locked }

func (a *AlertResolver) AcknowledgedPriority() *string {
	if !a.a.Acknowledged {
		return nil
	}
	return priorityEnum(a.a.AcknowledgedPriority)
}

func (a *AlertResolver) Monitor(ctx context.Context) (*MonitorResolver, error) {
	m, err := a.r.Store.CodeMonitors().GetMonitor(ctx, a.a.MonitorID)
	if err != nil {
		return nil, storeErr(err)
	}
	return &MonitorResolver{r: a.r, m: m}, nil
}

func (a *AlertResolver) Issues(ctx context.Context, args issueListArgs) (*connection[*IssueResolver], error) {
	return a.r.issueConnection(ctx, store.IssueListOptions{MonitorID: a.a.MonitorID, AlertID: a.a.ID}, args)
}

func (a *AlertResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*IssueMonitorEventResolver], error) {
	return a.r.issueEvents(ctx, store.IssueEventListOptions{MonitorID: a.a.MonitorID, AlertID: a.a.ID}, args)
}

// IssueResolver resolves Issue.
type IssueResolver struct {
	r *Resolver
	i *store.MonitorIssue
}

func (i *IssueResolver) ID() graphql.ID      { return marshalID(issueKind, i.i.ID) }
func (i *IssueResolver) Key() string         { return i.i.Key }
func (i *IssueResolver) State() string       { return strings.ToUpper(i.i.State) }
func (i *IssueResolver) CreatedAt() DateTime { return newDateTime(i.i.CreatedAt) }
func (i *IssueResolver) UpdatedAt() DateTime { return newDateTime(i.i.UpdatedAt) }
func (i *IssueResolver) SolvedAt() *DateTime { return newDateTimePtr(i.i.SolvedAt) }

func (i *IssueResolver) Data() (JSONValue, error) { return imRawJSON(i.i.Data) }

func (i *IssueResolver) Path() *string   { return imNonEmpty(i.i.Path) }
func (i *IssueResolver) Commit() *string { return imNonEmpty(i.i.Commit) }

func (i *IssueResolver) Repository(ctx context.Context) (*RepositoryResolver, error) {
	if i.i.RepoID == 0 {
		return nil, nil
	}
	repo, err := i.r.repositoryByID(ctx, i.i.RepoID)
	if errors.Is(err, store.ErrNotFound) || errcode.Is(err, errcode.NotFound) {
		return nil, nil
	}
	return repo, err
}

func (i *IssueResolver) Alert(ctx context.Context) (*AlertResolver, error) {
	if i.i.AlertID == 0 {
		return nil, nil
	}
	a, err := i.r.Store.IssueMonitors().GetAlert(ctx, i.i.AlertID)
	if err != nil {
		return nil, storeErr(err)
	}
	return &AlertResolver{r: i.r, a: a}, nil
}

func (i *IssueResolver) Monitor(ctx context.Context) (*MonitorResolver, error) {
	m, err := i.r.Store.CodeMonitors().GetMonitor(ctx, i.i.MonitorID)
	if err != nil {
		return nil, storeErr(err)
	}
	return &MonitorResolver{r: i.r, m: m}, nil
}

func (i *IssueResolver) Events(ctx context.Context, args ConnectionArgs) (*connection[*IssueMonitorEventResolver], error) {
	return i.r.issueEvents(ctx, store.IssueEventListOptions{MonitorID: i.i.MonitorID, IssueID: i.i.ID}, args)
}

func imNonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func imRawJSON(b []byte) (JSONValue, error) {
	if len(b) == 0 {
		return JSONValue{Value: map[string]any{}}, nil
	}
	return JSONValue{Value: json.RawMessage(b)}, nil
}

// IssueMonitorEventResolver resolves IssueMonitorEvent.
type IssueMonitorEventResolver struct {
	r *Resolver
	e *store.IssueEvent
}

func (e *IssueMonitorEventResolver) ID() graphql.ID      { return marshalID(issueEventKind, e.e.ID) }
func (e *IssueMonitorEventResolver) Name() string        { return strings.ToUpper(e.e.Name) }
func (e *IssueMonitorEventResolver) Source() string      { return e.e.Source }
func (e *IssueMonitorEventResolver) SourceID() string    { return strconv.FormatInt(e.e.SourceID, 10) }
func (e *IssueMonitorEventResolver) CreatedAt() DateTime { return newDateTime(e.e.CreatedAt) }

func (e *IssueMonitorEventResolver) Data() (JSONValue, error)         { return imRawJSON(e.e.Data) }
func (e *IssueMonitorEventResolver) ExtraPayload() (JSONValue, error) { return imRawJSON(e.e.Extra) }

func (e *IssueMonitorEventResolver) Payload() JSONValue {
	return JSONValue{Value: map[string]any{
		"event_source": e.e.Source, "event_source_id": e.e.SourceID, "event_source_monitor_id": e.e.MonitorID,
		"event_name": e.e.Name, "event_data": json.RawMessage(imOrEmpty(e.e.Data)), "extra_payload": json.RawMessage(imOrEmpty(e.e.Extra)),
	}}
}

func imOrEmpty(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

func (e *IssueMonitorEventResolver) Actor(ctx context.Context) (*UserResolver, error) {
	if e.e.ActorUserID == 0 {
		return nil, nil
	}
	u, err := e.r.Store.Users().GetByID(ctx, e.e.ActorUserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.r.newUser(u), nil
}

// IssueMonitorRunResolver resolves IssueMonitorRun.
type IssueMonitorRunResolver struct{ run *store.IssueRun }

func (r *IssueMonitorRunResolver) ID() graphql.ID        { return marshalID(issueRunKind, r.run.ID) }
func (r *IssueMonitorRunResolver) Status() string        { return eventStatus(r.run.State) }
func (r *IssueMonitorRunResolver) Search() bool          { return r.run.Search }
func (r *IssueMonitorRunResolver) Update() bool          { return r.run.Update }
func (r *IssueMonitorRunResolver) QueuedAt() DateTime    { return newDateTime(r.run.QueuedAt) }
func (r *IssueMonitorRunResolver) StartedAt() *DateTime  { return newDateTimePtr(r.run.StartedAt) }
func (r *IssueMonitorRunResolver) FinishedAt() *DateTime { return newDateTimePtr(r.run.FinishedAt) }
func (r *IssueMonitorRunResolver) Query() *string        { return imNonEmpty(r.run.QueryString) }
func (r *IssueMonitorRunResolver) ResultCount() int32    { return int32(r.run.NumResults) }
func (r *IssueMonitorRunResolver) IssuesCreated() int32  { return int32(r.run.NumCreated) }
func (r *IssueMonitorRunResolver) IssuesSolved() int32   { return int32(r.run.NumSolved) }

func (r *IssueMonitorRunResolver) Message(ctx context.Context) *string {
	return eventMessage(ctx, r.run.State, r.run.FailureMessage)
}

func (r *IssueMonitorRunResolver) Outcome() *string {
	switch {
	case r.run.Outcome != "":
		s := strings.ToUpper(r.run.Outcome)
		return &s
	case r.run.State == "failed" || r.run.State == "errored":
		s := "FAILED"
		return &s
	}
	return nil
}
