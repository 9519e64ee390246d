package workerutil

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/database"
)

// Handler runs one job. Returning nil completes it; an error schedules a retry (see
// StoreOptions.MaxNumRetries), NonRetryable(err) fails it at once and RequeueAfter(d) puts
// it back for later. ctx is cancelled when the job's cancel is requested, when it exceeds
// MaximumRuntimePerJob, when the worker stops, or when the job is found to have been taken
// over by another worker; a handler should return promptly then.
type Handler[T Record] interface {
	Handle(ctx context.Context, logger log.Logger, record T) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc[T Record] func(ctx context.Context, logger log.Logger, record T) error

// Handle calls f.
func (f HandlerFunc[T]) Handle(ctx context.Context, logger log.Logger, record T) error {
	return f(ctx, logger, record)
}

// WorkerOptions configure a Worker. Zero values take the documented defaults.
type WorkerOptions struct {
	// Name names the worker in logs. Defaults to the store's queue name.
	Name string
	// NumHandlers is how many jobs run at once (default 1). The worker never dequeues more
	// jobs than it has free handlers.
	NumHandlers int
	// Interval is how long an idle worker waits before polling again (default 1s). After a
	// dequeue that found jobs it dequeues again at once; a NOTIFY from the queue table's
	// insert trigger (through Listener) ends the wait early.
	Interval time.Duration
	// HeartbeatInterval is how often running jobs are marked alive and checked for cancel
	// requests (default a third of the store's StalledMaxAge).
	HeartbeatInterval time.Duration
	// MaximumRuntimePerJob bounds one handler call; past it the handler's context ends and
	// the job is marked errored. 0 means no limit.
	MaximumRuntimePerJob time.Duration
	// CompletionFlushInterval is how long a completed job may wait to be written in a batch
	// (default 50ms). CompletionBatchSize completions (default 1000) are written at once.
	CompletionFlushInterval time.Duration
	CompletionBatchSize     int
	// Listener, when set, wakes the worker as soon as jobs are inserted.
	Listener *Listener
	// Metrics, when set, receives the worker's job outcomes and handler durations.
	Metrics *Metrics
	// Logger defaults to log.Scoped("workerutil").
	Logger log.Logger
}

// Causes of a handler context ending, which decide the job's outcome.
var (
	errCancelRequested = errors.New("job cancel was requested")
	errTimeLimit       = errors.New("job exceeded its maximum runtime")
	errStopping        = errors.New("worker is stopping")
	errLost            = errors.New("job was reset or taken by another worker")
)

// maxCompletionChunk bounds one batched completion statement.
const maxCompletionChunk = 5000

// Worker dequeues jobs from a Store and runs a Handler on them.
//
// Start runs it; Stop(ctx) shuts it down gracefully: it stops dequeuing, lets running jobs
// finish until ctx ends, then cancels the rest and releases their jobs to the queue at
// once, and writes the completions it still holds. Cancelling the context given to Start
// instead kills the worker as if its process died: handlers are cancelled and nothing more
// is written, so its jobs stay 'processing' until a Resetter returns them to the queue.
type Worker[T Record] struct {
	store   *Store[T]
	handler Handler[T]
	opts    WorkerOptions
	logger  log.Logger
	metrics *Metrics

	startOnce sync.Once
	stopOnce  sync.Once
	stopErr   error
	started   bool

	runCtx context.Context // ends when the worker is killed
	kill   context.CancelFunc

	stopping      chan struct{} // closed by Stop: no more dequeues
	dequeueDone   chan struct{}
	bgStop        chan struct{} // closed by Stop after handlers: final flush, stop heartbeats
	completerDone chan struct{}
	heartbeatDone chan struct{}
	unsubscribe   func()
	handlers      sync.WaitGroup

	slotFreed chan struct{} // a handler finished
	flushNow  chan struct{} // a full completion batch is waiting
	flushSoon chan struct{} // the first completion since the last write is waiting

	mu      sync.Mutex
	running map[int64]*jobRun  // live handler calls by job id
	pending map[int64]struct{} // completed, waiting for the batched write
	flushed chan struct{}      // closed and replaced after each completion write
}

type jobRun struct {
	id        int64
	cancel    context.CancelCauseFunc
	abandoned bool // released or lost: the outcome must not be written (guarded by Worker.mu)
}

// NewWorker returns a worker for store's queue running handler.
func NewWorker[T Record](store *Store[T], handler Handler[T], opts WorkerOptions) *Worker[T] {
	if opts.Name == "" {
		opts.Name = store.Name()
	}
	if opts.NumHandlers <= 0 {
		opts.NumHandlers = 1
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = store.Options().StalledMaxAge / 3
	}
	if opts.CompletionFlushInterval <= 0 {
		opts.CompletionFlushInterval = 50 * time.Millisecond
	}
	if opts.CompletionBatchSize <= 0 {
		opts.CompletionBatchSize = 1000
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.Scoped("workerutil")
	}
	if stalled := store.Options().StalledMaxAge; opts.HeartbeatInterval >= stalled {
		logger.Warn("heartbeat interval is not shorter than the stalled age: resetters will take running jobs",
			log.String("worker", opts.Name), log.Duration("heartbeatInterval", opts.HeartbeatInterval), log.Duration("stalledMaxAge", stalled))
	}
	return &Worker[T]{
		store:         store,
		handler:       handler,
		opts:          opts,
		logger:        logger.With(log.String("worker", opts.Name)),
		metrics:       opts.Metrics,
		stopping:      make(chan struct{}),
		dequeueDone:   make(chan struct{}),
		bgStop:        make(chan struct{}),
		completerDone: make(chan struct{}),
		heartbeatDone: make(chan struct{}),
		slotFreed:     make(chan struct{}, 1),
		flushNow:      make(chan struct{}, 1),
		flushSoon:     make(chan struct{}, 1),
		running:       map[int64]*jobRun{},
		pending:       map[int64]struct{}{},
		flushed:       make(chan struct{}),
	}
}

// Start runs the worker in the background. The worker lives until Stop, or is killed when
// ctx ends (see Worker). Calling Start again does nothing.
func (w *Worker[T]) Start(ctx context.Context) {
	w.startOnce.Do(func() {
		w.mu.Lock()
		w.started = true
		w.mu.Unlock()
		// Every statement of the worker and its handlers names the queue, so a wait for a
		// connection is logged with it.
		w.runCtx, w.kill = context.WithCancel(database.WithCaller(ctx, w.opts.Name))
		var wake <-chan struct{}
		if w.opts.Listener != nil {
			wake, w.unsubscribe = w.opts.Listener.Subscribe(w.store.TableName())
		}
		go w.dequeueLoop(wake)
		go w.completerLoop()
		go w.heartbeatLoop()
	})
}

// Stop shuts the worker down gracefully (see Worker) and returns once its goroutines are
// done, or once ctx has ended and the remaining jobs are released. It reports database
// errors met while releasing jobs or writing the last completions.
func (w *Worker[T]) Stop(ctx context.Context) error {
	w.mu.Lock()
	started := w.started
	w.mu.Unlock()
	if !started {
		return nil
	}
	w.stopOnce.Do(func() { w.stopErr = w.stop(ctx) })
	return w.stopErr
}

func (w *Worker[T]) stop(ctx context.Context) error {
	defer func() {
		if w.unsubscribe != nil {
			w.unsubscribe()
		}
		w.kill()
	}()
	close(w.stopping)
	var errs []error

	select {
	case <-w.dequeueDone:
	case <-ctx.Done():
	}

	handlersDone := make(chan struct{})
	go func() {
		<-w.dequeueDone // no handler starts after the loop has ended
		w.handlers.Wait()
		close(handlersDone)
	}()
	select {
	case <-handlersDone:
	case <-ctx.Done():
		if w.runCtx.Err() == nil {
			if err := w.releaseRunning(); err != nil {
				errs = append(errs, err)
			}
		}
		// Handlers were told to stop; give them a moment so none outlives Stop by much.
		select {
		case <-handlersDone:
		case <-time.After(5 * time.Second):
			w.logger.Warn("handlers did not return after their context was cancelled")
		}
	}

	close(w.bgStop)
	<-w.completerDone
	<-w.heartbeatDone
	w.mu.Lock()
	if len(w.pending) > 0 && w.runCtx.Err() == nil {
		errs = append(errs, fmt.Errorf("%s: %d completed jobs could not be recorded", w.opts.Name, len(w.pending)))
	}
	w.mu.Unlock()
	return errors.Join(errs...)
}

// releaseRunning gives the jobs still running back to the queue and cancels their handlers.
func (w *Worker[T]) releaseRunning() error {
	w.mu.Lock()
	var ids []int64
	for id, r := range w.running {
		if r.abandoned {
			continue
		}
		r.abandoned = true
		r.cancel(errStopping)
		ids = append(ids, id)
	}
	w.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.runCtx), 10*time.Second)
	defer cancel()
	released, err := w.store.Release(ctx, ids)
	w.metrics.job(outcomeReleased, len(released))
	if err != nil {
		w.metrics.error("release")
		return err
	}
	w.logger.Info("released running jobs on shutdown", log.Int("count", len(released)))
	return nil
}

func (w *Worker[T]) isStopping() bool {
	select {
	case <-w.stopping:
		return true
	default:
		return false
	}
}

func (w *Worker[T]) freeSlots() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.opts.NumHandlers - len(w.running)
}

func (w *Worker[T]) dequeueLoop(wake <-chan struct{}) {
	defer close(w.dequeueDone)
	idle := time.NewTimer(w.opts.Interval)
	defer idle.Stop()
	wait := func(d time.Duration) bool {
		idle.Reset(d)
		select {
		case <-idle.C:
		case <-wake:
		case <-w.stopping:
			return false
		case <-w.runCtx.Done():
			return false
		}
		return true
	}
	for !w.isStopping() && w.runCtx.Err() == nil {
		free := w.freeSlots()
		if free <= 0 {
			select {
			case <-w.slotFreed:
				continue
			case <-w.stopping:
				return
			case <-w.runCtx.Done():
				return
			}
		}
		recs, err := w.store.Dequeue(w.runCtx, free)
		if err != nil {
			if w.runCtx.Err() != nil {
				return
			}
			w.metrics.error("dequeue")
			w.logger.Error("dequeue failed", log.Error(err))
			if !wait(w.opts.Interval) {
				return
			}
			continue
		}
		if w.isStopping() && len(recs) > 0 {
			// Stop arrived during the round trip: hand the jobs straight back.
			ids := make([]int64, len(recs))
			for i, rec := range recs {
				ids[i] = rec.RecordID()
			}
			ctx, cancel := context.WithTimeout(w.runCtx, 10*time.Second)
			released, err := w.store.Release(ctx, ids)
			cancel()
			w.metrics.job(outcomeReleased, len(released))
			if err != nil {
				w.metrics.error("release")
				w.logger.Error("releasing jobs dequeued during shutdown", log.Error(err))
			}
			return
		}
		for _, rec := range recs {
			w.startJob(rec)
		}
		if len(recs) > 0 {
			continue
		}
		if !wait(w.opts.Interval) {
			return
		}
	}
}

func (w *Worker[T]) startJob(rec T) {
	id := rec.RecordID()
	ctx, cancel := context.WithCancelCause(database.WithCaller(w.runCtx, fmt.Sprintf("%s job %d", w.opts.Name, id)))
	r := &jobRun{id: id, cancel: cancel}
	w.mu.Lock()
	if old := w.running[id]; old != nil {
		// We held this job before and it was reset from under us: the new run owns it.
		old.abandoned = true
		old.cancel(errLost)
	}
	delete(w.pending, id)
	w.running[id] = r
	w.mu.Unlock()

	w.metrics.inUse(1)
	w.handlers.Add(1)
	go func() {
		defer w.handlers.Done()
		defer w.metrics.inUse(-1)
		defer cancel(nil)
		hctx := ctx
		if w.opts.MaximumRuntimePerJob > 0 {
			var stop context.CancelFunc
			hctx, stop = context.WithTimeoutCause(ctx, w.opts.MaximumRuntimePerJob, errTimeLimit)
			defer stop()
		}
		logger := w.logger.With(log.Int64("jobID", id))
		start := time.Now()
		err := w.call(hctx, logger, rec)
		w.finish(hctx, logger, r, err, time.Since(start))
	}()
}

func (w *Worker[T]) call(ctx context.Context, logger log.Logger, rec T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			logger.Error("handler panicked", log.String("panic", fmt.Sprint(p)), log.String("stack", string(debug.Stack())))
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return w.handler.Handle(ctx, logger, rec)
}

// finish records a handler's outcome, unless the worker was killed or gave the job up.
func (w *Worker[T]) finish(ctx context.Context, logger log.Logger, r *jobRun, err error, took time.Duration) {
	if err == nil {
		if w.complete(r) {
			w.metrics.handled(outcomeCompleted, took)
		}
		return
	}
	if w.runCtx.Err() != nil || w.isAbandoned(r) {
		w.drop(r)
		return
	}
	defer w.drop(r)
	var outcome string
	var markErr error
	cause := context.Cause(ctx)
	switch {
	case cause == errCancelRequested:
		outcome = outcomeCanceled
		markErr = w.store.MarkCanceled(w.runCtx, r.id)
	case cause == errTimeLimit:
		var state State
		state, markErr = w.store.MarkErrored(w.runCtx, r.id,
			fmt.Sprintf("job exceeded its maximum runtime of %s: %v", w.opts.MaximumRuntimePerJob, err))
		outcome = stateOutcome(state)
	case IsNonRetryable(err):
		outcome = outcomeFailed
		markErr = w.store.MarkFailed(w.runCtx, r.id, err.Error())
	default:
		if after, ok := asRequeue(err); ok {
			outcome = outcomeRequeued
			markErr = w.store.Requeue(w.runCtx, r.id, after)
			break
		}
		var state State
		state, markErr = w.store.MarkErrored(w.runCtx, r.id, err.Error())
		outcome = stateOutcome(state)
	}
	switch {
	case errors.Is(markErr, ErrNotOwned):
		w.metrics.job(outcomeLost, 1)
		logger.Warn("job was taken from this worker before its outcome was written", log.Error(err))
	case markErr != nil:
		if w.runCtx.Err() == nil {
			w.metrics.error("mark")
			logger.Error("recording job outcome failed; the resetter will retry the job", log.Error(markErr))
		}
	default:
		w.metrics.handled(outcome, took)
		w.metrics.job(outcome, 1)
		if outcome != outcomeRequeued {
			logger.Warn("job did not complete", log.String("outcome", outcome), log.Error(err))
		}
	}
}

func stateOutcome(s State) string {
	if s == StateFailed {
		return outcomeFailed
	}
	return outcomeErrored
}

func (w *Worker[T]) isAbandoned(r *jobRun) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return r.abandoned
}

// drop forgets a finished run and frees its handler.
func (w *Worker[T]) drop(r *jobRun) {
	w.mu.Lock()
	if w.running[r.id] == r {
		delete(w.running, r.id)
	}
	w.mu.Unlock()
	w.signalSlot()
}

func (w *Worker[T]) signalSlot() { signal(w.slotFreed) }

// complete hands a finished job to the batched completion writer and frees its handler at
// once. When writes fall far behind (the database is failing), handlers wait here, which
// stops the dequeue loop too. It reports whether the completion will be written.
func (w *Worker[T]) complete(r *jobRun) bool {
	maxPending := 10 * w.opts.CompletionBatchSize
	for {
		w.mu.Lock()
		if w.runCtx.Err() != nil || r.abandoned {
			w.mu.Unlock()
			w.drop(r)
			return false
		}
		if len(w.pending) < maxPending {
			if w.running[r.id] == r {
				delete(w.running, r.id)
			}
			w.pending[r.id] = struct{}{}
			n := len(w.pending)
			w.mu.Unlock()
			w.signalSlot()
			if n == 1 {
				signal(w.flushSoon)
			}
			if n >= w.opts.CompletionBatchSize {
				signal(w.flushNow)
			}
			return true
		}
		flushed := w.flushed
		w.mu.Unlock()
		select {
		case <-flushed:
		case <-w.runCtx.Done():
		}
	}
}

// completerLoop writes completions in batches: a batch is written CompletionFlushInterval
// after its first completion, or at once when it is full. An idle worker does not wake.
func (w *Worker[T]) completerLoop() {
	defer close(w.completerDone)
	timer := time.NewTimer(0)
	<-timer.C
	finalFlush := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(w.runCtx), 10*time.Second)
		w.flush(ctx)
		cancel()
	}
	for {
		select {
		case <-w.runCtx.Done():
			return // killed: completions die with the process
		case <-w.bgStop:
			finalFlush()
			return
		case <-w.flushNow:
		case <-w.flushSoon:
			timer.Reset(w.opts.CompletionFlushInterval)
			select {
			case <-w.runCtx.Done():
				return
			case <-w.bgStop:
				finalFlush()
				return
			case <-w.flushNow:
				timer.Stop()
			case <-timer.C:
			}
		}
		if !w.flush(w.runCtx) {
			// The database is failing: retry later rather than every flush interval.
			select {
			case <-w.runCtx.Done():
				return
			case <-w.bgStop:
				finalFlush()
				return
			case <-time.After(time.Second):
			}
		}
		w.mu.Lock()
		left := len(w.pending)
		w.mu.Unlock()
		if left > 0 {
			// Completions that arrived during the write (or a failed write) start a new batch.
			signal(w.flushSoon)
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// flush writes all pending completions, in chunks. It reports false when a write failed.
func (w *Worker[T]) flush(ctx context.Context) bool {
	for {
		w.mu.Lock()
		if len(w.pending) == 0 {
			w.mu.Unlock()
			return true
		}
		ids := make([]int64, 0, min(len(w.pending), maxCompletionChunk))
		for id := range w.pending {
			ids = append(ids, id)
			if len(ids) == maxCompletionChunk {
				break
			}
		}
		w.mu.Unlock()

		done, err := w.store.MarkCompleteMany(ctx, ids)
		if err != nil {
			if ctx.Err() == nil {
				w.metrics.error("complete")
				w.logger.Error("writing completed jobs failed; will retry", log.Int("count", len(ids)), log.Error(err))
			}
			return false // the ids stay pending for the next flush
		}
		w.mu.Lock()
		for _, id := range ids {
			delete(w.pending, id)
		}
		close(w.flushed)
		w.flushed = make(chan struct{})
		w.mu.Unlock()
		w.metrics.job(outcomeCompleted, len(done))
		if lost := len(ids) - len(done); lost > 0 {
			w.metrics.job(outcomeLost, lost)
			w.logger.Warn("completed jobs had been taken from this worker", log.Int("count", lost))
		}
	}
}

func (w *Worker[T]) heartbeatLoop() {
	defer close(w.heartbeatDone)
	tick := time.NewTicker(w.opts.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-w.runCtx.Done():
			return
		case <-w.bgStop:
			return
		case <-tick.C:
			w.heartbeat()
		}
	}
}

func (w *Worker[T]) heartbeat() {
	w.mu.Lock()
	runs := make(map[int64]*jobRun, len(w.running))
	ids := make([]int64, 0, len(w.running)+len(w.pending))
	for id, r := range w.running {
		if !r.abandoned {
			runs[id] = r
			ids = append(ids, id)
		}
	}
	for id := range w.pending {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	known, cancel, err := w.store.Heartbeat(w.runCtx, ids)
	if err != nil {
		if w.runCtx.Err() == nil {
			w.metrics.error("heartbeat")
			w.logger.Error("heartbeat failed", log.Error(err))
		}
		return
	}
	alive := make(map[int64]bool, len(known))
	for _, id := range known {
		alive[id] = true
	}
	lost := 0
	w.mu.Lock()
	for id, r := range runs {
		if w.running[id] != r || r.abandoned || alive[id] {
			continue
		}
		r.abandoned = true
		r.cancel(errLost)
		lost++
	}
	for _, id := range cancel {
		if r := runs[id]; r != nil && w.running[id] == r && !r.abandoned {
			r.cancel(errCancelRequested)
		}
	}
	w.mu.Unlock()
	if lost > 0 {
		w.metrics.job(outcomeLost, lost)
		w.logger.Warn("jobs were reset or taken by another worker while running; abandoning them", log.Int("count", lost))
	}
}
