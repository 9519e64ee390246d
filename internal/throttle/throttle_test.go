package throttle_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/throttle"
)

func TestGateLimitsEachUserAlone(t *testing.T) {
	g := throttle.NewGate(2, 50*time.Millisecond)
	ctx := context.Background()
	r1, err := g.Acquire(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := g.Acquire(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// User 1's third operation waits, then is refused with a code a client acts on.
	start := time.Now()
	if _, err := g.Acquire(ctx, 1); !errcode.Is(err, errcode.RateLimited) {
		t.Fatalf("third slot of user 1: %v, want RATE_LIMITED", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("refused after %s, before the wait was over", waited)
	}
	// Another user is not affected.
	r3, err := g.Acquire(ctx, 2)
	if err != nil {
		t.Fatalf("user 2 waits behind user 1: %v", err)
	}
	r3()

	r1()
	r2()
}

func TestGateWaiterGetsReleasedSlot(t *testing.T) {
	ctx := context.Background()
	g := throttle.NewGate(2, 10*time.Second)
	a, _ := g.Acquire(ctx, 1)
	b, _ := g.Acquire(ctx, 1)
	defer b()
	waiter := make(chan error, 1)
	go func() {
		release, err := g.Acquire(ctx, 1)
		if err == nil {
			release()
		}
		waiter <- err
	}()
	time.Sleep(20 * time.Millisecond)
	a()
	a() // releasing twice gives back one slot only
	if err := <-waiter; err != nil {
		t.Fatalf("waiter did not get the released slot: %v", err)
	}
}

func TestGateWaitEndsWithContext(t *testing.T) {
	g := throttle.NewGate(1, time.Hour)
	release, err := g.Acquire(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire = %v, want the context's deadline", err)
	}
}

func TestGateConcurrentUse(t *testing.T) {
	g := throttle.NewGate(3, time.Second)
	var mu sync.Mutex
	running, peak := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := g.Acquire(context.Background(), 7)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()
	if peak > 3 || peak < 1 {
		t.Fatalf("peak concurrency %d, want 1..3", peak)
	}
}

func TestBudget(t *testing.T) {
	b := throttle.NewBudget(100)
	if !b.TryReserve(60) || !b.TryReserve(40) {
		t.Fatal("reserving within the budget failed")
	}
	if b.TryReserve(1) {
		t.Fatal("reserved past the budget")
	}
	b.Release(60)
	if b.InUse() != 40 || !b.TryReserve(60) || b.TryReserve(1) {
		t.Fatalf("after release: in use %d", b.InUse())
	}
	if b.TryReserve(-1) {
		t.Fatal("negative reservation accepted")
	}
}
