package routine

import (
	"context"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/store"
)

// Registration is what a worker process tells the background jobs page about itself:
// the jobs it runs and the handlers of each queue (NewQueue records them).
type Registration struct {
	hostname string
	jobs     []string
	started  time.Time

	mu     sync.Mutex
	queues map[string]int
}

// NewRegistration describes the worker process hostname that runs jobs.
func NewRegistration(hostname string, jobs []string) *Registration {
	return &Registration{hostname: hostname, jobs: jobs, started: time.Now(), queues: map[string]int{}}
}

func (r *Registration) addQueue(name string, handlers int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queues[name] += handlers
}

func (r *Registration) instance() *store.WorkerInstance {
	r.mu.Lock()
	defer r.mu.Unlock()
	queues := make(map[string]int, len(r.queues))
	for k, v := range r.queues {
		queues[k] = v
	}
	return &store.WorkerInstance{Hostname: r.hostname, Jobs: r.jobs, Queues: queues, StartedAt: r.started}
}

// HeartbeatInterval is how often a worker records that it is alive; the page shows a
// worker until store.WorkerLiveFor after its last beat.
const HeartbeatInterval = 15 * time.Second

// heartbeat keeps the worker's row in worker_instances fresh, and removes it on Stop.
type heartbeat struct {
	*Periodic
	st  *store.Store
	reg *Registration
}

// NewHeartbeat returns the routine that records env.Registration every interval (use
// HeartbeatInterval) and deletes the worker's row when stopped.
func NewHeartbeat(env Env, interval time.Duration) Routine {
	st := store.New(env.DB)
	reg := env.Registration
	h := &heartbeat{st: st, reg: reg}
	h.Periodic = NewPeriodic(env.Logger, "worker-heartbeat", func(ctx context.Context) error {
		return st.HeartbeatWorker(ctx, reg.instance())
	}, PeriodicOptions{Interval: interval, RunAtStart: true, Metrics: env.Metrics})
	return h
}

func (h *heartbeat) Stop(ctx context.Context) error {
	err := h.Periodic.Stop(ctx)
	if rmErr := h.st.RemoveWorker(context.WithoutCancel(ctx), h.reg.hostname); rmErr != nil {
		h.logger.Warn("removing the worker's heartbeat row", log.Error(rmErr))
	}
	return err
}
