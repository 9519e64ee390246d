// Package routine is what the worker runs: long-lived background routines with a name,
// started together and stopped together on shutdown, and periodic routines that may be
// singletons across all worker replicas.
package routine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/store"
)

// Routine is a background process of the worker.
type Routine interface {
	Name() string
	// Start begins the routine's work in the background and returns at once.
	Start()
	// Stop asks the routine to finish and waits until it has, or ctx is done. Running
	// work should end (or be handed back) before Stop returns.
	Stop(ctx context.Context) error
}

// Run starts every routine, waits for ctx to end, then stops them all concurrently,
// giving them shutdownTimeout in total.
func Run(ctx context.Context, logger log.Logger, routines []Routine, shutdownTimeout time.Duration) error {
	for _, r := range routines {
		logger.Debug("starting routine", log.String("routine", r.Name()))
		r.Start()
	}
	<-ctx.Done()
	logger.Info("stopping routines", log.Duration("deadline", shutdownTimeout))
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(routines))
	for i, r := range routines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Stop(stopCtx); err != nil {
				errs[i] = err
				logger.Warn("routine did not stop cleanly", log.String("routine", r.Name()), log.Error(err))
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Metrics count periodic runs.
type Metrics struct {
	runs     *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers periodic routine metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lookout_routine_runs_total", Help: "Runs of periodic routines."}, []string{"routine"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lookout_routine_errors_total", Help: "Failed runs of periodic routines."}, []string{"routine"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lookout_routine_duration_seconds", Help: "Duration of periodic routine runs.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 10)}, []string{"routine"}),
	}
	reg.MustRegister(m.runs, m.errors, m.duration)
	return m
}

// PeriodicOptions configure a periodic routine.
type PeriodicOptions struct {
	Interval time.Duration
	// Singleton, when set, makes the routine run once per interval across every worker
	// using this database: a run claims the interval with a lease in routine_runs
	// (store.ClaimRoutineRun), renewed while it runs, and workers that lose the claim
	// skip the tick. No connection is held during the run.
	Singleton *pgxpool.Pool
	// Lease is how long a claim lives without renewal (default DefaultLease): after a
	// worker died mid-run, another may run the routine once the lease has expired.
	Lease    time.Duration
	Hostname string
	Metrics  *Metrics
	// RunAtStart runs once right after Start instead of waiting for the first tick.
	RunAtStart bool
}

// DefaultLease is a singleton claim's lifetime without renewal; a running claim is
// renewed every quarter of it, so three renewals in a row may fail (the database
// restarting) before the run is stopped for fear of another worker taking over.
const DefaultLease = 20 * time.Second

// errLeaseLost ends a singleton's run whose claim could not be kept.
var errLeaseLost = errors.New("the routine's lease was lost: another worker may run it")

// Periodic calls a function on an interval.
type Periodic struct {
	name   string
	fn     func(ctx context.Context) error
	opts   PeriodicOptions
	logger log.Logger

	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{}
	done   chan struct{}
}

// NewPeriodic returns a routine that calls fn every opts.Interval.
func NewPeriodic(logger log.Logger, name string, fn func(ctx context.Context) error, opts PeriodicOptions) *Periodic {
	ctx, cancel := context.WithCancel(context.Background())
	return &Periodic{name: name, fn: fn, opts: opts, logger: logger.Scoped(name), ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1), done: make(chan struct{})}
}

func (p *Periodic) Name() string { return p.name }

func (p *Periodic) need() Need { return Need{Part: p.name, Conns: 1} }

// Kick runs the routine soon without waiting for the next tick (a singleton still skips
// when its interval was already claimed).
func (p *Periodic) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *Periodic) Start() {
	go func() {
		defer close(p.done)
		if p.opts.RunAtStart {
			p.runOnce()
		}
		t := time.NewTicker(p.opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-p.ctx.Done():
				return
			case <-t.C:
			case <-p.kick:
			}
			p.runOnce()
		}
	}()
}

func (p *Periodic) runOnce() {
	ctx := database.WithCaller(p.ctx, p.name)
	if p.opts.Singleton == nil {
		_ = p.call(ctx)
		return
	}
	lease := p.opts.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claim, ok, err := store.ClaimRoutineRun(ctx, p.opts.Singleton, p.name, p.opts.Hostname, p.opts.Interval, lease)
	if err != nil {
		if ctx.Err() == nil {
			p.logger.Warn("claiming periodic run", log.Error(err))
		}
		return
	}
	if !ok {
		return
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		p.keepLease(runCtx, cancel, claim, lease)
	}()
	runErr := p.call(runCtx)
	if errors.Is(context.Cause(runCtx), errLeaseLost) {
		runErr = errLeaseLost
	}
	cancel(nil)
	<-renewed
	relCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if err := claim.Release(relCtx, runErr); err != nil {
		// The lease expires on its own; the next run only waits for it.
		p.logger.Warn("releasing periodic run", log.Error(err))
	}
}

// keepLease renews a claim every quarter of its lease until ctx ends, and cancels the run
// when the claim is gone or could not be renewed for most of a lease.
func (p *Periodic) keepLease(ctx context.Context, cancel context.CancelCauseFunc, claim *store.RoutineLease, lease time.Duration) {
	t := time.NewTicker(lease / 4)
	defer t.Stop()
	renewedAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, done := context.WithTimeout(ctx, lease/4)
		held, err := claim.Renew(rctx, lease)
		done()
		switch {
		case err == nil && held:
			renewedAt = time.Now()
			continue
		case err == nil:
			p.logger.Warn("periodic run lost its lease; stopping it")
			cancel(errLeaseLost)
			return
		case ctx.Err() != nil:
			return
		}
		if time.Since(renewedAt) >= lease*3/4 {
			p.logger.Warn("periodic run could not renew its lease; stopping it", log.Error(err))
			cancel(errLeaseLost)
			return
		}
	}
}

func (p *Periodic) call(ctx context.Context) (err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic in periodic routine")
			p.logger.Error("panic", log.String("value", fmt.Sprint(r)))
		}
		if p.opts.Metrics != nil {
			p.opts.Metrics.runs.WithLabelValues(p.name).Inc()
			p.opts.Metrics.duration.WithLabelValues(p.name).Observe(time.Since(start).Seconds())
			if err != nil {
				p.opts.Metrics.errors.WithLabelValues(p.name).Inc()
			}
		}
	}()
	err = p.fn(ctx)
	if err != nil && ctx.Err() == nil {
		p.logger.Error("periodic routine failed", log.Error(err))
	}
	return err
}

func (p *Periodic) Stop(ctx context.Context) error {
	p.cancel()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
