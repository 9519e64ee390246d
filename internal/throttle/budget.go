package throttle

import "sync"

// Budget is a number of bytes shared by concurrent requests: each reserves what it
// will hold in memory before reading it, and gives it back when done.
type Budget struct {
	limit int64

	mu    sync.Mutex
	inUse int64
}

// NewBudget returns a budget of limit bytes (at least 1).
func NewBudget(limit int64) *Budget {
	return &Budget{limit: max(limit, 1)}
}

// Limit is the budget's size.
func (b *Budget) Limit() int64 { return b.limit }

// InUse is the number of bytes reserved now.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inUse
}

// TryReserve reserves n bytes if they are free and reports whether it did. It never
// waits: a request that cannot be served now is refused, not queued, so that waiting
// requests hold no connection or buffer either.
func (b *Budget) TryReserve(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n < 0 || b.inUse+n > b.limit {
		return false
	}
	b.inUse += n
	return true
}

// Release gives back n reserved bytes.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inUse -= n
	if b.inUse < 0 {
		panic("throttle: released more bytes than reserved")
	}
}
