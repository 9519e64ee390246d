package campaigns

import (
	"context"
	"errors"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
)

// Syncer loads published changesets from their code hosts when they are due (backoff
// from 2 minutes to 8 hours since their last change, at once after a webhook or
// syncChangeset), host by host: a host that answers with a rate limit is left alone
// until it allows requests again. Any number of workers may sync at once; each claims
// the changesets it syncs.
type Syncer struct {
	opts  Options
	hosts *campaigns.Hosts
}

// NewSyncer returns a syncer.
func NewSyncer(opts Options) *Syncer {
	opts.defaults()
	return &Syncer{opts: opts, hosts: &campaigns.Hosts{Store: opts.Store, HTTPClient: opts.HTTPClient}}
}

// syncLease is how long a claimed changeset is skipped by other workers.
const syncLease = 10 * time.Minute

// SyncDue syncs the changesets that are due and returns how many it synced. A sync that
// fails is recorded on the changeset (sync_error) and tried again after the minimum
// delay.
func (s *Syncer) SyncDue(ctx context.Context) (int, error) {
	st := s.opts.Store
	due, err := st.Campaigns().ClaimDueSyncs(ctx, s.opts.SyncBatch, syncLease)
	if err != nil {
		return 0, err
	}
	byHost := map[int64][]*store.Changeset{}
	var order []int64
	for _, c := range due {
		if _, ok := byHost[c.ExternalServiceID]; !ok {
			order = append(order, c.ExternalServiceID)
		}
		byHost[c.ExternalServiceID] = append(byHost[c.ExternalServiceID], c)
	}
	synced := 0
	for _, svcID := range order {
		list := byHost[svcID]
		for i, c := range list {
			if ctx.Err() != nil {
				return synced, ctx.Err()
			}
			err := s.syncOne(ctx, c)
			var rl *codehost.RateLimitError
			if errors.As(err, &rl) {
				// Leave this host alone until it allows requests again.
				ids := make([]int64, 0, len(list)-i)
				for _, rest := range list[i:] {
					ids = append(ids, rest.ID)
				}
				if derr := st.Campaigns().DelaySyncs(ctx, ids, s.opts.Now().Add(rl.RetryAfter)); derr != nil {
					return synced, derr
				}
				s.opts.Logger.Warn("code host rate limit; syncs postponed", log.Int64("connection", svcID), log.Duration("retryAfter", rl.RetryAfter))
				break
			}
			if err != nil {
				if ctx.Err() != nil {
					return synced, ctx.Err()
				}
				s.opts.Logger.Warn("syncing changeset", log.Int64("changeset", c.ID), log.Error(err))
				if serr := st.Campaigns().SetSynced(ctx, c.ID, s.opts.Now().Add(campaigns.MinSyncDelay), err.Error()); serr != nil {
					return synced, serr
				}
				continue
			}
			synced++
		}
	}
	return synced, nil
}

func (s *Syncer) syncOne(ctx context.Context, c *store.Changeset) error {
	st := s.opts.Store
	repo, err := st.Repos().GetByID(ctx, store.InternalViewer, c.RepoID)
	if err != nil {
		return err
	}
	host, err := s.hosts.For(ctx, repo, c.ExternalServiceID, c.AuthorID, false)
	if err != nil {
		return err
	}
	if !host.Kind.Hosted() {
		// A branch on a plain git remote has no state to load.
		return st.Campaigns().SetSynced(ctx, c.ID, s.opts.Now().Add(campaigns.MaxSyncDelay), "")
	}
	ext, err := host.Source.LoadChangeset(ctx, host.Repo, c.ExternalID)
	if errors.Is(err, codehost.ErrNotFound) && host.Kind.Hosted() {
		// The pull request is gone (deleted, or the repository moved): record it.
		now := s.opts.Now()
		if err := campaigns.ApplyExternal(ctx, st, c.ID, now, func(cur *store.Changeset) (store.ExternalState, bool) {
			next := campaigns.ExternalOf(cur)
			next.State = string(codehost.StateDeleted)
			return next, cur.ExternalState != next.State
		}); err != nil {
			return err
		}
		return st.Campaigns().SetSynced(ctx, c.ID, campaigns.NextSync(now, now), "")
	}
	if err != nil {
		return err
	}
	return campaigns.RecordLoaded(ctx, st, c.ID, host.Service.ID, ext, s.opts.Now())
}
