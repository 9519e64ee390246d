package database

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"
)

// Pools and their connections.
//
// The rule every caller follows: no code path holds a pooled connection (an open
// transaction, unread rows, a pinned session) while it waits for another one. With that
// rule a pool of any size makes progress; its size only decides how long callers wait.
// Processes size their pools from what they run (see Headroom and the worker's routine
// count) and a pool_max_conns parameter in the URL overrides that.
//
// Every pool opened here watches its acquires: one that waits longer than
// Options.SlowAcquire is logged with the name of the routine, queue or request that waits
// (WithCaller), and Ping reports an exhausted pool with its numbers instead of a bare
// deadline error.

// Headroom is added to the connections a process counts it may hold at once (one per
// queue handler and periodic routine): readiness checks, metric scrapes and a handler's
// brief fan-out take connections too.
const Headroom = 4

// Size is the size a process chose for a pool and what it computed it from (for the log
// line at open). A zero MaxConns leaves pgx's default.
type Size struct {
	MaxConns  int32
	SizedFrom string
}

// DefaultSlowAcquire is how long an acquire waits before it is logged.
const DefaultSlowAcquire = 3 * time.Second

type callerKey struct{}

// WithCaller names who uses ctx's connections (a routine, a queue's handler), so that a
// caller left waiting for a connection is named in the log and in Ping's error.
func WithCaller(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, callerKey{}, name)
}

// Caller is the name WithCaller put in ctx, or "".
func Caller(ctx context.Context) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}

// URLSetsMaxConns reports whether a connection string sets pool_max_conns itself, which
// then wins over the size the process would choose.
func URLSetsMaxConns(connString string) bool {
	if u, err := url.Parse(connString); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has("pool_max_conns")
	}
	for _, field := range strings.Fields(connString) {
		if k, _, ok := strings.Cut(field, "="); ok && strings.TrimSpace(k) == "pool_max_conns" {
			return true
		}
	}
	return false
}

// acquireWatch is the pool's pgx tracer: it keeps the acquires in progress so that slow
// ones can be logged and an exhausted pool recognised.
type acquireWatch struct {
	name   string
	logger log.Logger
	slow   time.Duration

	mu      sync.Mutex
	waiting map[*pendingAcquire]struct{}
}

type pendingAcquire struct {
	caller string
	start  time.Time
	timer  *time.Timer
}

type pendingKey struct{}

var (
	_ pgxpool.AcquireTracer = (*acquireWatch)(nil)
	_ pgx.QueryTracer       = (*acquireWatch)(nil)
)

func newAcquireWatch(name string, logger log.Logger, slow time.Duration) *acquireWatch {
	if slow <= 0 {
		slow = DefaultSlowAcquire
	}
	if logger == nil {
		logger = log.NoOp()
	}
	return &acquireWatch{name: name, logger: logger, slow: slow, waiting: map[*pendingAcquire]struct{}{}}
}

func (w *acquireWatch) TraceAcquireStart(ctx context.Context, pool *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	a := &pendingAcquire{caller: Caller(ctx), start: time.Now()}
	w.mu.Lock()
	w.waiting[a] = struct{}{}
	w.mu.Unlock()
	a.timer = time.AfterFunc(w.slow, func() {
		st := pool.Stat()
		w.logger.Warn("waiting for a database connection",
			log.String("pool", w.name), log.String("caller", callerName(a.caller)),
			log.Duration("waited", time.Since(a.start)), log.Int32("inUse", st.AcquiredConns()),
			log.Int32("maxConns", st.MaxConns()), log.Int("waiting", w.numWaiting()))
	})
	return context.WithValue(ctx, pendingKey{}, a)
}

func (w *acquireWatch) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	a, ok := ctx.Value(pendingKey{}).(*pendingAcquire)
	if !ok {
		return
	}
	a.timer.Stop()
	w.mu.Lock()
	delete(w.waiting, a)
	w.mu.Unlock()
	if waited := time.Since(a.start); waited >= w.slow && data.Err == nil {
		w.logger.Warn("got a database connection after a long wait",
			log.String("pool", w.name), log.String("caller", callerName(a.caller)), log.Duration("waited", waited))
	}
}

// The pool calls the query hooks too; they do nothing.
func (w *acquireWatch) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (w *acquireWatch) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (w *acquireWatch) numWaiting() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waiting)
}

// longest returns the acquire that has waited longest, if any waits.
func (w *acquireWatch) longest() (caller string, waited time.Duration, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var oldest *pendingAcquire
	for a := range w.waiting {
		if oldest == nil || a.start.Before(oldest.start) {
			oldest = a
		}
	}
	if oldest == nil {
		return "", 0, 0
	}
	return oldest.caller, time.Since(oldest.start), len(w.waiting)
}

func callerName(c string) string {
	if c == "" {
		return "unnamed"
	}
	return c
}

// PoolExhaustedError says that every connection of a pool is in use, and who waits.
type PoolExhaustedError struct {
	Pool          string
	InUse, Max    int32
	Waiting       int
	Longest       time.Duration
	LongestCaller string
}

func (e *PoolExhaustedError) Error() string {
	msg := fmt.Sprintf("connection pool exhausted: %d of %d connections in use", e.InUse, e.Max)
	if e.Waiting > 0 {
		msg += fmt.Sprintf(", %d waiting (longest %s, %s)", e.Waiting, e.Longest.Round(time.Millisecond), callerName(e.LongestCaller))
	}
	return msg
}

func watchOf(pool *pgxpool.Pool) *acquireWatch {
	w, _ := pool.Config().ConnConfig.Tracer.(*acquireWatch)
	return w
}

// Exhausted returns a *PoolExhaustedError when every connection of pool is in use, and
// nil otherwise.
func Exhausted(pool *pgxpool.Pool) error {
	st := pool.Stat()
	if st.AcquiredConns() < st.MaxConns() {
		return nil
	}
	e := &PoolExhaustedError{InUse: st.AcquiredConns(), Max: st.MaxConns()}
	if w := watchOf(pool); w != nil {
		e.Pool = w.name
		e.LongestCaller, e.Longest, e.Waiting = w.longest()
	}
	return e
}

// Ping checks that pool runs a statement before ctx ends. When it cannot because every
// connection is in use, the error is a *PoolExhaustedError with the numbers rather than
// the bare deadline.
func Ping(ctx context.Context, pool *pgxpool.Pool) error {
	err := pool.Ping(WithCaller(ctx, "readiness check"))
	if err == nil {
		return nil
	}
	if ex := Exhausted(pool); ex != nil {
		return ex
	}
	return err
}

// Pinger returns Ping on pool, as /readyz checks take it.
func Pinger(pool *pgxpool.Pool) func(ctx context.Context) error {
	return func(ctx context.Context) error { return Ping(ctx, pool) }
}
