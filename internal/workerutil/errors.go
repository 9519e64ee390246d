package workerutil

import (
	"errors"
	"fmt"
	"time"
)

// Record is a dequeued job. Its ID is the id column of the queue table.
type Record interface {
	RecordID() int64
}

// ErrNotOwned is returned by operations on a job that is no longer processing under this
// store's worker identity: it finished, was reset by a Resetter, or was taken by another
// worker.
var ErrNotOwned = errors.New("job is not processing under this worker")

type nonRetryableError struct{ err error }

func (e nonRetryableError) Error() string { return e.err.Error() }
func (e nonRetryableError) Unwrap() error { return e.err }

// NonRetryable marks err as permanent: a handler returning it fails the job at once instead
// of scheduling a retry. Use it for bad input that no retry can fix. It returns nil for nil.
func NonRetryable(err error) error {
	if err == nil {
		return nil
	}
	return nonRetryableError{err: err}
}

// IsNonRetryable reports whether err, or an error it wraps, came from NonRetryable.
func IsNonRetryable(err error) bool {
	var nr nonRetryableError
	return errors.As(err, &nr)
}

type requeueError struct{ after time.Duration }

func (e requeueError) Error() string { return fmt.Sprintf("requeue after %s", e.after) }

// RequeueAfter, returned by a handler, puts its job back in the queue to run again after d,
// without counting a failure: for work that is not ready yet (a rate limit, a dependency
// still running).
func RequeueAfter(d time.Duration) error {
	if d < 0 {
		d = 0
	}
	return requeueError{after: d}
}

func asRequeue(err error) (time.Duration, bool) {
	var rq requeueError
	if errors.As(err, &rq) {
		return rq.after, true
	}
	return 0, false
}
