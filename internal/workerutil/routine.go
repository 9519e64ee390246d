package workerutil

import (
	"context"
	"errors"
	"sync"
)

// Routine is what the worker binary runs and shuts down: a Worker, a Resetter, a Listener.
type Routine interface {
	Start(ctx context.Context)
	Stop(ctx context.Context) error
}

var (
	_ Routine = (*Worker[Record])(nil)
	_ Routine = (*Resetter[Record])(nil)
	_ Routine = (*Listener)(nil)
)

// StopAll stops routines concurrently, so that on SIGTERM every worker stops dequeuing at
// once and all share ctx's deadline to finish their running jobs before releasing them.
func StopAll(ctx context.Context, routines ...Routine) error {
	errs := make([]error, len(routines))
	var wg sync.WaitGroup
	for i, r := range routines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.Stop(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
