package workerutil

import (
	"context"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/database"
)

// ResetterOptions configure a Resetter.
type ResetterOptions struct {
	// Name names the resetter in logs. Defaults to the store's queue name.
	Name string
	// Interval is how often stalled jobs are looked for (default DefaultResetInterval).
	Interval time.Duration
	// Metrics, when set, counts the jobs reset and failed.
	Metrics *Metrics
	// Logger defaults to log.Scoped("workerutil").
	Logger log.Logger
}

// Resetter periodically returns the jobs of dead workers to the queue (Store.ResetStalled).
// Any number of processes may run one for the same queue: rows are taken with SKIP LOCKED
// and each stalled job is reset once.
type Resetter[T Record] struct {
	store  *Store[T]
	opts   ResetterOptions
	logger log.Logger

	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}
}

// NewResetter returns a resetter for store's queue.
func NewResetter[T Record](store *Store[T], opts ResetterOptions) *Resetter[T] {
	if opts.Name == "" {
		opts.Name = store.Name()
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultResetInterval
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.Scoped("workerutil")
	}
	return &Resetter[T]{
		store:  store,
		opts:   opts,
		logger: logger.With(log.String("resetter", opts.Name)),
		done:   make(chan struct{}),
	}
}

// Start resets stalled jobs every Interval until Stop or until ctx ends.
func (r *Resetter[T]) Start(ctx context.Context) {
	r.once.Do(func() {
		ctx, r.cancel = context.WithCancel(database.WithCaller(ctx, r.opts.Name+" resetter"))
		go func() {
			defer close(r.done)
			tick := time.NewTicker(r.opts.Interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					r.ResetOnce(ctx)
				}
			}
		}()
	})
}

// ResetOnce runs one pass now.
func (r *Resetter[T]) ResetOnce(ctx context.Context) {
	res, err := r.store.ResetStalled(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.opts.Metrics.error("reset")
			r.logger.Error("resetting stalled jobs failed", log.Error(err))
		}
		return
	}
	r.opts.Metrics.reset(res)
	if n := len(res.Reset) + len(res.Failed) + len(res.Canceled); n > 0 {
		r.logger.Warn("reset stalled jobs",
			log.Int64s("reset", res.Reset), log.Int64s("failed", res.Failed), log.Int64s("canceled", res.Canceled))
	}
}

// Stop ends the resetter and waits for a pass in progress, at most until ctx ends.
func (r *Resetter[T]) Stop(ctx context.Context) error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
