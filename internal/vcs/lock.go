package vcs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// repoLocks serialises clones, fetches and removals of one mirror. The
// in-process part is a one-slot channel per mirror directory (so waiting honours
// the context); the cross-process part is an flock on "<mirror>.lock". Lock
// files are never removed: deleting a file others may hold a lock on would let
// two processes lock different inodes under one name.
type repoLocks struct {
	mu    sync.Mutex
	locks map[string]*repoLock
}

type repoLock struct {
	ch   chan struct{}
	refs int
}

func (l *repoLocks) acquireLocal(ctx context.Context, dir string) (release func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]*repoLock)
	}
	rl, ok := l.locks[dir]
	if !ok {
		rl = &repoLock{ch: make(chan struct{}, 1)}
		l.locks[dir] = rl
	}
	rl.refs++
	l.mu.Unlock()

	drop := func() {
		l.mu.Lock()
		rl.refs--
		if rl.refs == 0 {
			delete(l.locks, dir)
		}
		l.mu.Unlock()
	}
	select {
	case rl.ch <- struct{}{}:
		return func() { <-rl.ch; drop() }, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
}

// lock takes the mirror's in-process and file locks.
func (l *repoLocks) lock(ctx context.Context, dir string) (unlock func(), err error) {
	releaseLocal, err := l.acquireLocal(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("waiting for lock on %s: %w", dir, err)
	}
	unlockFile, err := LockFile(ctx, dir+".lock")
	if err != nil {
		releaseLocal()
		return nil, err
	}
	return func() {
		unlockFile()
		releaseLocal()
	}, nil
}

// LockFile takes an exclusive flock on path (created if missing) until unlock is
// called, waiting while ctx allows: for other caches beside the mirrors (the search
// index) that several processes may write.
func LockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := flockFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// flockFile opens and exclusively locks path, polling with a non-blocking
// flock so a cancelled context stops the wait (a blocking flock would pin an
// OS thread and ignore the context).
func flockFile(ctx context.Context, path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	delay := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}
