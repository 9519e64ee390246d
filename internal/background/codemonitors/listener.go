package codemonitors

import (
	"context"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/codemonitors/cmsearch"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// PushListener queues runs of the monitors a changed repository concerns. It is a
// repository change listener of the fetch job (internal/background/repos): it only
// writes rows, in the transaction that records the change, so a worker that does not run
// the code monitor queues may run it too.
type PushListener struct {
	logger log.Logger

	mu    sync.Mutex
	plans map[string]query.Plan // by query text; nil plan: invalid
}

// NewPushListener returns a listener.
func NewPushListener(logger log.Logger) *PushListener {
	if logger == nil {
		logger = log.NoOp()
	}
	return &PushListener{logger: logger.Scoped("codemonitors-push"), plans: map[string]query.Plan{}}
}

// maxCachedPlans bounds the plan cache; it is emptied when full.
const maxCachedPlans = 10000

func (l *PushListener) plan(q string) query.Plan {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.plans[q]; ok {
		return p
	}
	p, err := cmsearch.ParseQuery(q, time.Now())
	if err != nil {
		p = nil
	}
	if len(l.plans) >= maxCachedPlans {
		l.plans = map[string]query.Plan{}
	}
	l.plans[q] = p
	return p
}

// OnChange queues a run, over the changed repository, of every enabled monitor whose
// query may search it, writing with tx. Whether the owner may see the repository is left
// to the run, which searches as the owner.
func (l *PushListener) OnChange(ctx context.Context, tx *store.Store, report *reposvc.FetchReport) error {
	if report == nil || report.Repo == nil {
		return nil
	}
	cands, err := tx.CodeMonitors().PushCandidates(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	for _, c := range cands {
		p := l.plan(c.Query)
		if p == nil || !cmsearch.Covers(p, report.Repo) {
			continue
		}
		ids = append(ids, c.QueryID)
	}
	n, err := tx.CodeMonitors().EnqueuePushTriggers(ctx, ids, report.Repo.ID)
	if err != nil {
		return err
	}
	if n > 0 {
		l.logger.Debug("queued push-driven monitor runs", log.String("repo", report.Repo.Name), log.Int64("runs", n))
	}
	return nil
}
