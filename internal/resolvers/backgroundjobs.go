package resolvers

import (
	"context"
	"sort"
	"time"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/store"
)

// BackgroundJobs resolves Query.backgroundJobs for the site admin's background jobs page:
// what the job tables, the workers' heartbeats (worker_instances) and routine_runs hold.
func (r *Resolver) BackgroundJobs(ctx context.Context) (*BackgroundJobsResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	workers, err := r.Store.LiveWorkers(ctx)
	if err != nil {
		return nil, err
	}
	return &BackgroundJobsResolver{r: r, workers: workers, now: time.Now()}, nil
}

// BackgroundJobsResolver resolves BackgroundJobs.
type BackgroundJobsResolver struct {
	r       *Resolver
	workers []*store.WorkerInstance
	now     time.Time
}

func (b *BackgroundJobsResolver) Queues(ctx context.Context) ([]*BackgroundQueueResolver, error) {
	var out []*BackgroundQueueResolver
	for _, q := range store.Queues {
		st := b.r.Store
		if q.Insights {
			if b.r.Insights == nil {
				continue // code insights are disabled: no such queues
			}
			st = store.New(b.r.Insights.DB)
		}
		stats, err := st.QueueStats(ctx, q)
		if err != nil {
			return nil, err
		}
		qr := &BackgroundQueueResolver{q: q, s: stats, now: b.now}
		for _, w := range b.workers {
			if n, ok := w.Queues[q.Name]; ok {
				qr.handlers = append(qr.handlers, &WorkerQueueHandlersResolver{hostname: w.Hostname, queue: q.Name, handlers: n})
			}
		}
		out = append(out, qr)
	}
	return out, nil
}

func (b *BackgroundJobsResolver) Workers() []*BackgroundWorkerResolver {
	out := make([]*BackgroundWorkerResolver, len(b.workers))
	for i, w := range b.workers {
		out[i] = &BackgroundWorkerResolver{w: w}
	}
	return out
}

func (b *BackgroundJobsResolver) Routines(ctx context.Context) ([]*PeriodicRoutineResolver, error) {
	runs, err := b.r.Store.RoutineRuns(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*PeriodicRoutineResolver, len(runs))
	for i, run := range runs {
		out[i] = &PeriodicRoutineResolver{run: run}
	}
	return out, nil
}

// BackgroundQueueResolver resolves BackgroundQueue.
type BackgroundQueueResolver struct {
	q        store.QueueTable
	s        *store.QueueStats
	now      time.Time
	handlers []*WorkerQueueHandlersResolver
}

func (q *BackgroundQueueResolver) Name() string          { return q.q.Name }
func (q *BackgroundQueueResolver) Table() string         { return q.q.Table }
func (q *BackgroundQueueResolver) Queued() int32         { return int32(q.s.Queued) }
func (q *BackgroundQueueResolver) Processing() int32     { return int32(q.s.Processing) }
func (q *BackgroundQueueResolver) FailedLastHour() int32 { return int32(q.s.FailedLastHour) }
func (q *BackgroundQueueResolver) ErroredLastHour() int32 {
	return int32(q.s.ErroredLastHour)
}
func (q *BackgroundQueueResolver) OldestQueuedAt() *DateTime {
	return newDateTimePtr(q.s.OldestQueuedAt)
}
func (q *BackgroundQueueResolver) OldestQueuedAgeSeconds() *int32 {
	if q.s.OldestQueuedAt == nil {
		return nil
	}
	age := int32(max(0, q.now.Sub(*q.s.OldestQueuedAt)/time.Second))
	return &age
}
func (q *BackgroundQueueResolver) Handlers() []*WorkerQueueHandlersResolver { return q.handlers }

// WorkerQueueHandlersResolver resolves WorkerQueueHandlers.
type WorkerQueueHandlersResolver struct {
	hostname, queue string
	handlers        int
}

func (h *WorkerQueueHandlersResolver) Hostname() string { return h.hostname }
func (h *WorkerQueueHandlersResolver) Queue() string    { return h.queue }
func (h *WorkerQueueHandlersResolver) Handlers() int32  { return int32(h.handlers) }

// BackgroundWorkerResolver resolves BackgroundWorker.
type BackgroundWorkerResolver struct{ w *store.WorkerInstance }

func (w *BackgroundWorkerResolver) Hostname() string { return w.w.Hostname }
func (w *BackgroundWorkerResolver) Jobs() []string   { return w.w.Jobs }
func (w *BackgroundWorkerResolver) Queues() []*WorkerQueueHandlersResolver {
	out := make([]*WorkerQueueHandlersResolver, 0, len(w.w.Queues))
	for name, n := range w.w.Queues {
		out = append(out, &WorkerQueueHandlersResolver{hostname: w.w.Hostname, queue: name, handlers: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].queue < out[j].queue })
	return out
}
func (w *BackgroundWorkerResolver) StartedAt() DateTime { return newDateTime(w.w.StartedAt) }
func (w *BackgroundWorkerResolver) LastHeartbeatAt() DateTime {
	return newDateTime(w.w.LastHeartbeatAt)
}

// PeriodicRoutineResolver resolves PeriodicRoutine.
type PeriodicRoutineResolver struct{ run *store.RoutineRun }

func (p *PeriodicRoutineResolver) Name() string { return p.run.Name }
func (p *PeriodicRoutineResolver) LastStartedAt() DateTime {
	return newDateTime(p.run.LastStartedAt)
}
func (p *PeriodicRoutineResolver) LastFinishedAt() *DateTime {
	return newDateTimePtr(p.run.LastFinishedAt)
}
func (p *PeriodicRoutineResolver) DurationMilliseconds() *int32 {
	if p.run.LastFinishedAt == nil {
		return nil
	}
	ms := int32(p.run.LastFinishedAt.Sub(p.run.LastStartedAt) / time.Millisecond)
	return &ms
}
func (p *PeriodicRoutineResolver) LastError() *string     { return nonEmpty(p.run.LastError) }
func (p *PeriodicRoutineResolver) WorkerHostname() string { return p.run.WorkerHostname }
