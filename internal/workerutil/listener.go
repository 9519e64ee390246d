package workerutil

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"
)

// Listener holds one LISTEN connection for a whole process and wakes the dequeue loops of
// the queues named in lookout_queue notifications. The connection is its own, dialled
// with the pool's settings but never taken from the pool, so listening needs no pool
// slot and never waits for one. A wake-up is only a hint: workers
// still poll, so a lost notification (or a dropped connection) costs at most one poll
// interval. After reconnecting it wakes every subscriber, since notifications sent while
// it was away are gone.
type Listener struct {
	pool   *pgxpool.Pool
	logger log.Logger

	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

// NewListener returns a listener on pool; it listens once started.
func NewListener(pool *pgxpool.Pool, logger log.Logger) *Listener {
	if logger == nil {
		logger = log.Scoped("workerutil.listener")
	}
	return &Listener{pool: pool, logger: logger, subs: map[string]map[chan struct{}]struct{}{}}
}

// Subscribe returns a channel that receives a value (coalesced, never blocking the
// listener) whenever jobs are inserted into table, and a function to unsubscribe.
func (l *Listener) Subscribe(table string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.subs[table] == nil {
		l.subs[table] = map[chan struct{}]struct{}{}
	}
	l.subs[table][ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs[table], ch)
		if len(l.subs[table]) == 0 {
			delete(l.subs, table)
		}
		l.mu.Unlock()
	}
}

func (l *Listener) wake(table string, all bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, chans := range l.subs {
		if !all && t != table {
			continue
		}
		for ch := range chans {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Start listens in the background until Stop or until ctx ends.
func (l *Listener) Start(ctx context.Context) {
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			connected, err := l.listen(ctx)
			if ctx.Err() != nil {
				return
			}
			if connected {
				backoff = 100 * time.Millisecond
			}
			l.logger.Warn("queue listener lost its connection; reconnecting", log.Error(err), log.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
	}()
}

// Stop ends listening and waits for the connection to close.
func (l *Listener) Stop(ctx context.Context) error {
	if l.cancel == nil {
		return nil
	}
	l.cancel()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listen runs one connection until it fails; connected reports whether LISTEN succeeded.
func (l *Listener) listen(ctx context.Context) (connected bool, err error) {
	// It stays subscribed and must never be handed to a query while notifications queue
	// up on it, so it is not a pool connection.
	conn, err := pgx.ConnectConfig(ctx, l.pool.Config().ConnConfig)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{NotifyChannel}.Sanitize()); err != nil {
		return false, err
	}
	l.wake("", true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		l.wake(n.Payload, false)
	}
}
