package resolvers

import (
	"context"

	"github.com/lookout/lookout/internal/store"
)

// The parts of a monitor (its trigger, the trigger's runs, its actions and their
// notifications) are nodes, as in Sourcegraph's API: node(id:) loads one through the
// monitor it belongs to, and answers null unless the viewer may access that monitor.

// accessibleMonitor returns the monitor if the viewer may access it; nil (not an error)
// if not, so node never reveals that it exists.
func (r *Resolver) accessibleMonitor(ctx context.Context, monitorID int64) (*store.Monitor, error) {
	m, err := r.Store.CodeMonitors().GetMonitor(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	if r.checkCanAccessMonitor(ctx, m) != nil {
		return nil, nil
	}
	return m, nil
}

// nodeLoader is what nodeLoaders holds per ID kind.
type nodeLoader = func(ctx context.Context, id int64) (node, error)

// monitorPart makes the node loader of one kind of monitor part: get loads the part,
// monitorOf names the monitor it belongs to, and resolve makes its resolver.
func monitorPart[T any, R node](r *Resolver, get func(ctx context.Context, id int64) (T, error), monitorOf func(ctx context.Context, part T) (int64, error), resolve func(T) R) nodeLoader {
	return func(ctx context.Context, id int64) (node, error) {
		part, err := get(ctx, id)
		if err != nil {
			return nil, notFoundIsNil(err)
		}
		monitorID, err := monitorOf(ctx, part)
		if err != nil {
			return nil, notFoundIsNil(err)
		}
		if m, err := r.accessibleMonitor(ctx, monitorID); err != nil || m == nil {
			return nil, notFoundIsNil(err)
		}
		return resolve(part), nil
	}
}

// monitorPartLoaders are the node loaders of the monitor parts, by ID kind.
func (r *Resolver) monitorPartLoaders() map[string]nodeLoader {
	cs := r.Store.CodeMonitors()
	queryMonitor := func(_ context.Context, q *store.MonitorQuery) (int64, error) { return q.MonitorID, nil }
	issueQuery := func(ctx context.Context, id int64) (*store.MonitorQuery, error) {
		c, err := r.Store.IssueMonitors().Config(ctx, id)
		if err != nil {
			return nil, err
		}
		return &store.MonitorQuery{MonitorID: id, Query: c.Query}, nil
	}
	actionEvent := func(issue bool) nodeLoader {
		return monitorPart(r, func(ctx context.Context, id int64) (*store.ActionJob, error) { return cs.ActionEvent(ctx, id, issue) },
			r.actionMonitor, func(j *store.ActionJob) *MonitorActionEventResolver {
				return &MonitorActionEventResolver{j: j, issue: issue}
			})
	}
	return map[string]nodeLoader{
		monitorQueryKind: monitorPart(r, cs.QueryByID, queryMonitor,
			func(q *store.MonitorQuery) *MonitorQueryResolver { return &MonitorQueryResolver{r: r, q: q} }),
		issueMonitorQueryKind: monitorPart(r, issueQuery, queryMonitor,
			func(q *store.MonitorQuery) *MonitorQueryResolver {
				return &MonitorQueryResolver{r: r, q: q, issueMonitor: true}
			}),
		monitorTriggerEventKind: monitorPart(r, func(ctx context.Context, id int64) (*MonitorTriggerEventResolver, error) {
			j, err := cs.TriggerJob(ctx, id)
			if err != nil {
				return nil, err
			}
			q, err := cs.QueryByID(ctx, j.QueryID)
			if err != nil {
				return nil, err
			}
			return &MonitorTriggerEventResolver{r: r, j: j, monitorID: q.MonitorID}, nil
		}, func(_ context.Context, e *MonitorTriggerEventResolver) (int64, error) { return e.monitorID, nil },
			func(e *MonitorTriggerEventResolver) *MonitorTriggerEventResolver { return e }),
		monitorEmailKind: monitorPart(r, cs.GetEmail, func(_ context.Context, e *store.MonitorEmail) (int64, error) { return e.MonitorID, nil },
			func(e *store.MonitorEmail) *MonitorEmailResolver { return &MonitorEmailResolver{r: r, e: e} }),
		monitorWebhookKind: monitorPart(r, cs.GetWebhook, func(_ context.Context, w *store.MonitorWebhook) (int64, error) { return w.MonitorID, nil },
			func(w *store.MonitorWebhook) *MonitorWebhookResolver { return &MonitorWebhookResolver{r: r, w: w} }),
		monitorSlackKind: monitorPart(r, cs.GetSlackWebhook, func(_ context.Context, w *store.MonitorSlackWebhook) (int64, error) { return w.MonitorID, nil },
			func(w *store.MonitorSlackWebhook) *MonitorSlackWebhookResolver {
				return &MonitorSlackWebhookResolver{r: r, w: w}
			}),
		monitorActionEventKind: actionEvent(false),
		issueActionEventKind:   actionEvent(true),
	}
}

// actionMonitor is the monitor of the action a notification belongs to.
func (r *Resolver) actionMonitor(ctx context.Context, j *store.ActionJob) (int64, error) {
	cs := r.Store.CodeMonitors()
	switch {
	case j.Email != 0:
		e, err := cs.GetEmail(ctx, j.Email)
		if err != nil {
			return 0, err
		}
		return e.MonitorID, nil
	case j.Webhook != 0:
		w, err := cs.GetWebhook(ctx, j.Webhook)
		if err != nil {
			return 0, err
		}
		return w.MonitorID, nil
	default:
		w, err := cs.GetSlackWebhook(ctx, j.SlackWebhook)
		if err != nil {
			return 0, err
		}
		return w.MonitorID, nil
	}
}
