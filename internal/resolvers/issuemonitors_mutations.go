package resolvers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/store"
)

// Inputs of the issue monitor mutations. A field with a default in the schema is a null
// type; null means that default, on update as on create.
type (
	IssueTrackingInput struct {
		Query                         string
		Identity                      NullEnum[issueIdentity]
		SearchSchedule                string
		UpdateSchedule                string
		MaxIssuesPerRun               graphql.NullInt
		ExecutionTimeout              graphql.NullInt
		Solvable                      graphql.NullBool
		Unique                        graphql.NullBool
		Rule                          AlertRuleInput
		DismissAcknowledgeOnNewIssues graphql.NullBool
	}
	AlertRuleInput struct {
		Kind       string
		ValueField *string
		Operation  NullEnum[valueOperation]
		Levels     PriorityLevelsInput
	}
	PriorityLevelsInput struct {
		Informational, Low, Moderate, High, Critical *float64
	}
	IssueMonitorActionInput struct {
		Email           *MonitorEmailInput
		Webhook         *MonitorWebhookInput
		SlackWebhook    *MonitorSlackWebhookInput
		Events          *[]string
		MinimumPriority *string
	}
	IssueMonitorEditActionInput struct {
		ID              *graphql.ID
		Email           *MonitorEmailInput
		Webhook         *MonitorWebhookInput
		SlackWebhook    *MonitorSlackWebhookInput
		Events          *[]string
		MinimumPriority *string
	}
)

type issueIdentity struct{}

func (issueIdentity) enumName() string { return "IssueIdentity" }

type valueOperation struct{}

func (valueOperation) enumName() string { return "ValueOperation" }

// issueConfigFromInput validates the issue-tracking input into a configuration; the next
// search and update are the schedules' next times from now.
func issueConfigFromInput(in IssueTrackingInput, now time.Time) (store.IssueMonitorConfig, error) {
	c := store.IssueMonitorConfig{
		Query: in.Query, Identity: in.Identity.Or("DEFAULT"), SearchSchedule: in.SearchSchedule, UpdateSchedule: in.UpdateSchedule,
		MaxIssuesPerRun:  int(intOr(in.MaxIssuesPerRun, 100)),
		ExecutionTimeout: time.Duration(intOr(in.ExecutionTimeout, 60)) * time.Second,
		Solvable:         boolOr(in.Solvable, true), Unique: boolOr(in.Unique, false),
		RuleKind: in.Rule.Kind, ValueOperation: in.Rule.Operation.Or("GREATER_THAN"),
		DismissAcknowledgeOnNewIssues: boolOr(in.DismissAcknowledgeOnNewIssues, false),
	}
	if c.MaxIssuesPerRun <= 0 {
		return c, errcode.New(errcode.BadInput, "maxIssuesPerRun must be at least 1")
	}
	if c.ExecutionTimeout <= 0 {
		return c, errcode.New(errcode.BadInput, "executionTimeout must be at least 1 second")
	}
	if in.Rule.ValueField != nil {
		c.ValueField = strings.TrimSpace(*in.Rule.ValueField)
	}
	l := in.Rule.Levels
	c.Levels = store.IssueLevels{l.Critical, l.High, l.Moderate, l.Low, l.Informational}
	if err := domain.Validate(&c, now); err != nil {
		var qe *domain.QueryError
		if errors.As(err, &qe) {
			return c, errcode.Wrap(InvalidQuery, err)
		}
		return c, badInput(err)
	}
	c.NextSearchAt, c.NextUpdateAt = domain.NextRun(c.SearchSchedule, now), domain.NextRun(c.UpdateSchedule, now)
	return c, nil
}

// issueAction validates one action of an issue monitor.
func (r *Resolver) issueAction(ctx context.Context, fresh map[string]bool, monitorID int64, id *graphql.ID, email *MonitorEmailInput, webhook, slack *MonitorWebhookInput,
	events *[]string, minPrio *string) (store.IssueActionSpec, error) {
	var spec store.MonitorSpec
	if err := r.addAction(ctx, &spec, fresh, monitorID, id, email, webhook, slack); err != nil {
		return store.IssueActionSpec{}, err
	}
	var a store.IssueActionSpec
	switch {
	case len(spec.Emails) == 1:
		a.Email = &spec.Emails[0]
	case len(spec.Webhooks) == 1:
		a.Webhook = &spec.Webhooks[0]
	default:
		a.SlackWebhook = &spec.SlackWebhooks[0]
	}
	if events != nil {
		names, err := domain.ParseEventNames(*events)
		if err != nil {
			return a, badInput(err)
		}
		a.Events = names
	}
	if minPrio != nil {
		p, err := domain.ParsePriority(*minPrio)
		if err != nil {
			return a, badInput(err)
		}
		a.MinPriority = int(p)
	}
	return a, nil
}

func checkIssueActionCount(n int) error {
	if n > maxMonitorActions {
		return errcode.New(errcode.BadInput, "a monitor may have at most %d actions", maxMonitorActions)
	}
	return nil
}

func (r *Resolver) CreateIssueMonitor(ctx context.Context, args struct {
	Monitor       MonitorInput
	IssueTracking IssueTrackingInput
	Actions       []IssueMonitorActionInput
}) (*MonitorResolver, error) {
	actor := auth.FromContext(ctx)
	if actor.UID == 0 {
		return nil, auth.ErrNotAuthenticated
	}
	owner, err := r.monitorOwner(ctx, args.Monitor.Namespace)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(args.Monitor.Description)
	if err != nil {
		return nil, err
	}
	cfg, err := issueConfigFromInput(args.IssueTracking, time.Now())
	if err != nil {
		return nil, err
	}
	if err := checkIssueActionCount(len(args.Actions)); err != nil {
		return nil, err
	}
	spec := store.IssueMonitorSpec{Description: desc, Enabled: args.Monitor.Enabled, NamespaceUserID: owner.ID, Config: cfg}
	fresh := map[string]bool{}
	for i, a := range args.Actions {
		as, err := r.issueAction(ctx, fresh, 0, nil, a.Email, a.Webhook, a.SlackWebhook, a.Events, a.MinimumPriority)
		if err != nil {
			return nil, actionErr(i, err)
		}
		spec.Actions = append(spec.Actions, as)
	}
	m, err := r.Store.IssueMonitors().CreateIssueMonitor(ctx, actor.UID, spec)
	if err != nil {
		return nil, storeErr(err)
	}
	return &MonitorResolver{r: r, m: m, fresh: fresh}, nil
}

// issueMonitorByID loads an issue monitor the viewer may access, with its configuration.
func (r *Resolver) issueMonitorByID(ctx context.Context, id graphql.ID) (*store.Monitor, *store.IssueMonitorConfig, error) {
	m, err := r.monitorByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := r.issueConfig(ctx, m.ID)
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		return nil, nil, errcode.New(errcode.BadInput, "monitor %s is a code monitor, not an issue monitor", id)
	}
	return m, c, nil
}

func (r *Resolver) UpdateIssueMonitor(ctx context.Context, args struct {
	ID            graphql.ID
	Monitor       MonitorInput
	IssueTracking IssueTrackingInput
	Actions       []IssueMonitorEditActionInput
}) (*MonitorResolver, error) {
	actor := auth.FromContext(ctx)
	if actor.UID == 0 {
		return nil, auth.ErrNotAuthenticated
	}
	current, _, err := r.issueMonitorByID(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	owner, err := r.monitorOwner(ctx, args.Monitor.Namespace)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(args.Monitor.Description)
	if err != nil {
		return nil, err
	}
	cfg, err := issueConfigFromInput(args.IssueTracking, time.Now())
	if err != nil {
		return nil, err
	}
	if err := checkIssueActionCount(len(args.Actions)); err != nil {
		return nil, err
	}
	// Enabling or disabling is an event: it goes through the engine below.
	spec := store.IssueMonitorSpec{Description: desc, Enabled: current.Enabled, NamespaceUserID: owner.ID, Config: cfg}
	fresh := map[string]bool{}
	for i, a := range args.Actions {
		as, err := r.issueAction(ctx, fresh, current.ID, a.ID, a.Email, a.Webhook, a.SlackWebhook, a.Events, a.MinimumPriority)
		if err != nil {
			return nil, actionErr(i, err)
		}
		spec.Actions = append(spec.Actions, as)
	}
	// One transaction: a failure to record the enabled change leaves the monitor as it was.
	var m *store.Monitor
	err = r.Store.Transact(ctx, func(tx *store.Store) error {
		var err error
		if m, err = tx.IssueMonitors().UpdateIssueMonitor(ctx, actor.UID, current.ID, spec); err != nil {
			return err
		}
		if args.Monitor.Enabled == m.Enabled {
			return nil
		}
		if err := applyIssueChange(ctx, tx, m.ID, actor.UID, func(e *domain.Engine) error {
			e.SetEnabled(args.Monitor.Enabled)
			return nil
		}); err != nil {
			return err
		}
		m, err = tx.CodeMonitors().GetMonitor(ctx, m.ID)
		return err
	})
	if err != nil {
		return nil, issueChangeErr(err)
	}
	return &MonitorResolver{r: r, m: m, fresh: fresh}, nil
}

// toggleIssueMonitor enables or disables an issue monitor, recording the event.
func (r *Resolver) toggleIssueMonitor(ctx context.Context, monitorID int64, enabled bool) (*store.Monitor, error) {
	if err := r.changeIssueMonitor(ctx, monitorID, func(e *domain.Engine) error {
		e.SetEnabled(enabled)
		return nil
	}); err != nil {
		return nil, err
	}
	m, err := r.Store.CodeMonitors().GetMonitor(ctx, monitorID)
	return m, storeErr(err)
}

func (r *Resolver) DeleteIssueMonitor(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	m, _, err := r.issueMonitorByID(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	return empty(storeErr(r.Store.CodeMonitors().DeleteMonitor(ctx, m.ID)))
}

// RunIssueMonitor requests a run now; a null search or update is true, as omitted.
func (r *Resolver) RunIssueMonitor(ctx context.Context, args struct {
	ID     graphql.ID
	Search graphql.NullBool
	Update graphql.NullBool
}) (*IssueMonitorRunResolver, error) {
	m, _, err := r.issueMonitorByID(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	doSearch, doUpdate := boolOr(args.Search, true), boolOr(args.Update, true)
	if !doSearch && !doUpdate {
		return nil, errcode.New(errcode.BadInput, "a run needs search, update or both")
	}
	if !m.Enabled {
		return nil, errcode.New(errcode.BadInput, "the monitor is disabled")
	}
	id, err := r.Store.IssueMonitors().RequestRun(ctx, m.ID, doSearch, doUpdate)
	if err != nil {
		return nil, err
	}
	run, err := r.Store.IssueMonitors().GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	return &IssueMonitorRunResolver{run}, nil
}

// changeIssueMonitor applies fn to a monitor's state through the engine, in one
// transaction that locks the monitor, recording the events and queueing their messages.
func (r *Resolver) changeIssueMonitor(ctx context.Context, monitorID int64, fn func(e *domain.Engine) error) error {
	actor := auth.FromContext(ctx)
	return issueChangeErr(r.Store.Transact(ctx, func(tx *store.Store) error {
		return applyIssueChange(ctx, tx, monitorID, actor.UID, fn)
	}))
}

// applyIssueChange is changeIssueMonitor within a transaction tx.
func applyIssueChange(ctx context.Context, tx *store.Store, monitorID, actorUID int64, fn func(e *domain.Engine) error) error {
	ims := tx.IssueMonitors()
	st, err := ims.LoadState(ctx, monitorID)
	if err != nil {
		return err
	}
	e := domain.NewEngine(st, time.Now(), actorUID)
	if err := fn(e); err != nil {
		return err
	}
	w, err := e.Finish(func(kind string, n int) ([]int64, error) { return ims.AllocateIDs(ctx, kind, n) })
	if err != nil {
		return err
	}
	return ims.Apply(ctx, w)
}

// issueChangeErr gives the engine's refusals (an alert or issue no longer active, a
// manual solve of a solvable monitor) their BAD_USER_INPUT code.
func issueChangeErr(err error) error {
	switch {
	case errors.Is(err, domain.ErrNotActive), errors.Is(err, domain.ErrSolvable):
		return badInput(err)
	}
	return storeErr(err)
}

// alertForChange loads an alert whose monitor the viewer may access; others are not found.
func (r *Resolver) alertForChange(ctx context.Context, id graphql.ID) (*store.MonitorAlert, error) {
	n, err := unmarshalID(id, alertKind)
	if err != nil {
		return nil, err
	}
	a, err := r.Store.IssueMonitors().GetAlert(ctx, n)
	if err != nil {
		return nil, storeErr(err)
	}
	if _, err := r.monitorByID(ctx, marshalID(monitorKind, a.MonitorID)); err != nil {
		return nil, err
	}
	return a, nil
}

func (r *Resolver) issueForChange(ctx context.Context, id graphql.ID) (*store.MonitorIssue, error) {
	n, err := unmarshalID(id, issueKind)
	if err != nil {
		return nil, err
	}
	is, err := r.Store.IssueMonitors().GetIssue(ctx, n)
	if err != nil {
		return nil, storeErr(err)
	}
	if _, err := r.monitorByID(ctx, marshalID(monitorKind, is.MonitorID)); err != nil {
		return nil, err
	}
	return is, nil
}

func (r *Resolver) alertMutation(ctx context.Context, id graphql.ID, fn func(e *domain.Engine, alertID int64) error) (*AlertResolver, error) {
	a, err := r.alertForChange(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.changeIssueMonitor(ctx, a.MonitorID, func(e *domain.Engine) error { return fn(e, a.ID) }); err != nil {
		return nil, err
	}
	if a, err = r.Store.IssueMonitors().GetAlert(ctx, a.ID); err != nil {
		return nil, storeErr(err)
	}
	return &AlertResolver{r: r, a: a}, nil
}

func (r *Resolver) AcknowledgeAlert(ctx context.Context, args struct{ ID graphql.ID }) (*AlertResolver, error) {
	return r.alertMutation(ctx, args.ID, func(e *domain.Engine, id int64) error {
		_, err := e.Acknowledge(id)
		return err
	})
}

func (r *Resolver) LockAlert(ctx context.Context, args struct{ ID graphql.ID }) (*AlertResolver, error) {
	return r.alertMutation(ctx, args.ID, func(e *domain.Engine, id int64) error {
		_, err := e.SetLocked(id, true)
		return err
	})
}

func (r *Resolver) UnlockAlert(ctx context.Context, args struct{ ID graphql.ID }) (*AlertResolver, error) {
	return r.alertMutation(ctx, args.ID, func(e *domain.Engine, id int64) error {
		_, err := e.SetLocked(id, false)
		return err
	})
}

func (r *Resolver) SolveAlert(ctx context.Context, args struct{ ID graphql.ID }) (*AlertResolver, error) {
	return r.alertMutation(ctx, args.ID, func(e *domain.Engine, id int64) error {
		_, err := e.SolveAlert(id)
		return err
	})
}

func (r *Resolver) issueMutation(ctx context.Context, id graphql.ID, fn func(e *domain.Engine, issueID int64) error) (*IssueResolver, error) {
	is, err := r.issueForChange(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.changeIssueMonitor(ctx, is.MonitorID, func(e *domain.Engine) error { return fn(e, is.ID) }); err != nil {
		return nil, err
	}
	if is, err = r.Store.IssueMonitors().GetIssue(ctx, is.ID); err != nil {
		return nil, storeErr(err)
	}
	return &IssueResolver{r: r, i: is}, nil
}

func (r *Resolver) SolveIssue(ctx context.Context, args struct{ ID graphql.ID }) (*IssueResolver, error) {
	return r.issueMutation(ctx, args.ID, func(e *domain.Engine, id int64) error {
		_, err := e.SolveIssue(id)
		return err
	})
}

func (r *Resolver) DropIssue(ctx context.Context, args struct{ ID graphql.ID }) (*IssueResolver, error) {
	return r.issueMutation(ctx, args.ID, func(e *domain.Engine, id int64) error {
		_, err := e.DropIssue(id)
		return err
	})
}

// errNotIssueMonitor is what the code monitor mutations that cannot apply to an issue
// monitor say.
var errNotIssueMonitor = fmt.Errorf("this is an issue monitor: use updateIssueMonitor")
