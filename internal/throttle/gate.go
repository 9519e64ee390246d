package throttle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lookout/lookout/internal/errcode"
)

// Defaults of the expensive-operation gate. One search already keeps every core busy
// (it reads and matches with GOMAXPROCS goroutines), so a user's second search at once
// would only take CPU from other users: the benchmark in internal/httpapi measured
// another user's { currentUser } at a 3 ms median next to one running search of a
// user's, and 250 ms next to two. The wait is short next to the 20 s search timeout,
// long enough for a short search ahead in the queue to finish.
const (
	DefaultPerUser = 1
	DefaultWait    = 10 * time.Second
)

// Gate limits the expensive operations each key (a user id) runs at once.
type Gate struct {
	perUser int
	wait    time.Duration

	mu    sync.Mutex
	slots map[int64]chan struct{} // a key's semaphore, dropped when it is idle
	users map[int64]int           // holders and waiters per key
}

// NewGate returns a gate of perUser slots per key whose callers wait at most wait for
// one. perUser < 1 means DefaultPerUser; wait < 0 means no waiting.
func NewGate(perUser int, wait time.Duration) *Gate {
	if perUser < 1 {
		perUser = DefaultPerUser
	}
	if wait < 0 {
		wait = 0
	}
	return &Gate{perUser: perUser, wait: wait, slots: map[int64]chan struct{}{}, users: map[int64]int{}}
}

// Active is the number of operations of key that hold or wait for a slot.
func (g *Gate) Active(key int64) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.users[key]
}

// PerUser is the number of slots per key.
func (g *Gate) PerUser() int { return g.perUser }

// Acquire takes one of key's slots, waiting at most the gate's wait (and no longer
// than ctx allows). It returns the function that gives the slot back, or an error
// with the RATE_LIMITED code (or ctx's error when ctx ended the wait).
func (g *Gate) Acquire(ctx context.Context, key int64) (release func(), err error) {
	g.mu.Lock()
	sem := g.slots[key]
	if sem == nil {
		sem = make(chan struct{}, g.perUser)
		g.slots[key] = sem
	}
	g.users[key]++
	g.mu.Unlock()

	done := func() {
		g.mu.Lock()
		if g.users[key]--; g.users[key] == 0 {
			delete(g.users, key)
			delete(g.slots, key)
		}
		g.mu.Unlock()
	}
	select {
	case sem <- struct{}{}:
	default:
		timer := time.NewTimer(g.wait)
		defer timer.Stop()
		select {
		case sem <- struct{}{}:
		case <-timer.C:
			done()
			return nil, errcode.New(errcode.RateLimited,
				"too many expensive operations (searches, previews) at once for this user: at most %d run together and this one waited %s for its turn; retry when one has finished", g.perUser, g.wait)
		case <-ctx.Done():
			done()
			return nil, fmt.Errorf("waiting for an expensive-operation slot: %w", ctx.Err())
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-sem
			done()
		})
	}, nil
}
