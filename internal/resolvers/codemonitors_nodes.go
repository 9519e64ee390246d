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

// monitorPartNode loads a part of a monitor: find returns the monitor's id and the part.
func monitorPartNode[T node](ctx context.Context, r *Resolver, find func() (int64, T, error)) (node, error) {
	monitorID, part, err := find()
	if err != nil {
		return nilIfNotFound[T](part, err)
	}
	m, err := r.accessibleMonitor(ctx, monitorID)
	if err != nil {
		return nilIfNotFound[T](part, err)
	}
	if m == nil {
		return nil, nil
	}
	return part, nil
}

// monitorPartLoaders are the node loaders of the monitor parts, by ID kind.
func (r *Resolver) monitorPartLoaders() map[string]func(ctx context.Context, id int64) (node, error) {
	cs := r.Store.CodeMonitors()
	query := func(ctx context.Context, id int64) (node, error) {
		return monitorPartNode(ctx, r, func() (int64, *MonitorQueryResolver, error) {
			q, err := cs.QueryByID(ctx, id)
			if err != nil {
				return 0, nil, err
			}
			return q.MonitorID, &MonitorQueryResolver{r: r, q: q}, nil
		})
	}
	issueQuery := func(ctx context.Context, id int64) (node, error) {
		return monitorPartNode(ctx, r, func() (int64, *MonitorQueryResolver, error) {
			c, err := r.Store.IssueMonitors().Config(ctx, id)
			if err != nil {
				return 0, nil, err
			}
			return id, &MonitorQueryResolver{r: r, q: &store.MonitorQuery{MonitorID: id, Query: c.Query}, issueMonitor: true}, nil
		})
	}
	triggerEvent := func(ctx context.Context, id int64) (node, error) {
		return monitorPartNode(ctx, r, func() (int64, *MonitorTriggerEventResolver, error) {
			j, err := cs.TriggerJob(ctx, id)
			if err != nil {
				return 0, nil, err
			}
			q, err := cs.QueryByID(ctx, j.QueryID)
			if err != nil {
				return 0, nil, err
			}
			return q.MonitorID, &MonitorTriggerEventResolver{r: r, j: j, monitorID: q.MonitorID}, nil
		})
	}
	email := func(ctx context.Context, id int64) (node, error) {
		return monitorPartNode(ctx, r, func() (int64, *MonitorEmailResolver, error) {
			e, err := cs.GetEmail(ctx, id)
			if err != nil {
				return 0, nil, err
			}
			return e.MonitorID, &MonitorEmailResolver{r: r, e: e}, nil
		})
	}
	webhook := func(ctx context.Context, id int64) (node, error) {
		return monitorPartNode(ctx, r, func() (int64, *MonitorWebhookResolver, error) {
			w, err := cs.GetWebhook(ctx, id)
			if err != nil {
				return 0, nil, err
			}
			return w.MonitorID, &MonitorWebhookResolver{r: r, w: w}, nil
		})
	}
	slack := func(ctx context.Context, id int64) (node, error) {
		return monitorPartNode(ctx, r, func() (int64, *MonitorSlackWebhookResolver, error) {
			w, err := cs.GetSlackWebhook(ctx, id)
			if err != nil {
				return 0, nil, err
			}
			return w.MonitorID, &MonitorSlackWebhookResolver{r: r, w: w}, nil
		})
	}
	actionEvent := func(issue bool) func(ctx context.Context, id int64) (node, error) {
		return func(ctx context.Context, id int64) (node, error) {
			return monitorPartNode(ctx, r, func() (int64, *MonitorActionEventResolver, error) {
				j, err := cs.ActionEvent(ctx, id, issue)
				if err != nil {
					return 0, nil, err
				}
				monitorID, err := r.actionMonitor(ctx, j)
				return monitorID, &MonitorActionEventResolver{j: j, issue: issue}, err
			})
		}
	}
	return map[string]func(ctx context.Context, id int64) (node, error){
		monitorQueryKind:        query,
		issueMonitorQueryKind:   issueQuery,
		monitorTriggerEventKind: triggerEvent,
		monitorEmailKind:        email,
		monitorWebhookKind:      webhook,
		monitorSlackKind:        slack,
		monitorActionEventKind:  actionEvent(false),
		issueActionEventKind:    actionEvent(true),
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
