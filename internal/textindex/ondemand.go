package textindex

import (
	"context"
	"sync"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// MirrorSource gives this process's mirror of a repository (*repos.Service does).
type MirrorSource interface {
	Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error)
}

// OnDemand builds, in the background, the shards of repositories that searches in this
// process found without a current one: the index follows what the process searches, as
// its mirrors do. Builds run one at a time (a process that searches must keep answering);
// a repository waiting or being built is not queued twice.
type OnDemand struct {
	indexer  *Indexer
	mirrors  MirrorSource
	branches BranchSource
	logger   log.Logger

	mu      sync.Mutex
	pending map[int64]*store.Repo
	order   []int64
	wake    chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

// BranchSource gives the branches a repository's shard is to hold, as the index job
// builds them (search.BranchesToIndex), so that builds of either never undo the other's.
type BranchSource func(ctx context.Context, r *store.Repo) ([]Branch, error)

// NewOnDemand returns an on-demand builder; branches gives the branches to index. Start
// runs it.
func NewOnDemand(indexer *Indexer, mirrors MirrorSource, branches BranchSource, logger log.Logger) *OnDemand {
	if logger == nil {
		logger = log.NoOp()
	}
	return &OnDemand{indexer: indexer, mirrors: mirrors, branches: branches, logger: logger, pending: map[int64]*store.Repo{}, wake: make(chan struct{}, 1)}
}

// Request queues builds of repos (search.Options.OnMissingShard).
func (o *OnDemand) Request(repos []*store.Repo) {
	o.mu.Lock()
	for _, r := range repos {
		if _, ok := o.pending[r.ID]; !ok {
			o.order = append(o.order, r.ID)
		}
		o.pending[r.ID] = r // the newest record: its heads are the ones to build
	}
	onDemandPending.Set(float64(len(o.pending)))
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Start builds requested shards in the background until Stop.
func (o *OnDemand) Start(ctx context.Context) {
	ctx, o.cancel = context.WithCancel(context.WithoutCancel(ctx))
	o.done = make(chan struct{})
	go func() {
		defer close(o.done)
		o.run(ctx)
	}()
}

// Stop ends the build in progress (its temporary files are removed) and waits for it.
func (o *OnDemand) Stop(ctx context.Context) error {
	if o.cancel == nil {
		return nil
	}
	o.cancel()
	select {
	case <-o.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *OnDemand) run(ctx context.Context) {
	for {
		r := o.next()
		if r == nil {
			select {
			case <-ctx.Done():
				return
			case <-o.wake:
				continue
			}
		}
		o.build(ctx, r)
		o.mu.Lock()
		if o.pending[r.ID] == r {
			delete(o.pending, r.ID)
		} else if o.pending[r.ID] != nil {
			o.order = append(o.order, r.ID) // requested again with a newer head meanwhile
		}
		onDemandPending.Set(float64(len(o.pending)))
		o.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// next returns the oldest request, still pending while it is built.
func (o *OnDemand) next() *store.Repo {
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.order) > 0 {
		id := o.order[0]
		o.order = o.order[1:]
		if r := o.pending[id]; r != nil {
			return r
		}
	}
	return nil
}

func (o *OnDemand) build(ctx context.Context, r *store.Repo) {
	branches, err := o.branches(ctx, r)
	if err == nil && len(branches) == 0 {
		return
	}
	var m *vcs.Mirror
	if err == nil {
		m, err = o.mirrors.Mirror(ctx, r)
	}
	if err == nil {
		_, err = o.indexer.IndexBranches(ctx, Repo{ID: r.ID, Name: r.Name}, m, branches)
	}
	if err != nil && ctx.Err() == nil {
		o.logger.Warn("on-demand shard build failed", log.String("repo", r.Name), log.Error(err))
	}
}
