package campaigns

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
)

// ApplyExternal records a changeset's new state on its code host and the events the
// change makes, in one transaction holding the changeset's row lock. update gets the
// locked row and returns the new state (ok false: nothing to record).
func ApplyExternal(ctx context.Context, st *store.Store, id int64, now time.Time, update func(cur *store.Changeset) (store.ExternalState, bool)) error {
	return st.Transact(ctx, func(tx *store.Store) error {
		cur, err := tx.Campaigns().GetChangesetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		next, ok := update(cur)
		if !ok {
			return nil
		}
		at := now
		if next.UpdatedAt != nil && !next.UpdatedAt.IsZero() && !next.UpdatedAt.After(now) {
			at = *next.UpdatedAt
		}
		if err := tx.Campaigns().UpdateExternal(ctx, id, next); err != nil {
			return err
		}
		return tx.Campaigns().AddEvents(ctx, Transition(id, cur, next, at))
	})
}

// RecordLoaded records a pull request as loaded from its host after a sync or an
// operation, and schedules the next sync by the backoff.
func RecordLoaded(ctx context.Context, st *store.Store, id, svcID int64, ch codehost.ExternalChangeset, now time.Time) error {
	next := ExternalFromHost(svcID, ch)
	var lastChange time.Time
	err := ApplyExternal(ctx, st, id, now, func(cur *store.Changeset) (store.ExternalState, bool) {
		if cur.ExternalUpdatedAt != nil {
			lastChange = *cur.ExternalUpdatedAt
		}
		if next.UpdatedAt != nil && next.UpdatedAt.After(lastChange) {
			lastChange = *next.UpdatedAt
		}
		if cur.ExternalState != next.State || cur.ReviewState != next.ReviewState || cur.CheckState != next.CheckState {
			lastChange = now
		}
		return next, true
	})
	if err != nil {
		return err
	}
	return st.Campaigns().SetSynced(ctx, id, NextSync(now, lastChange), "")
}

// HandleWebhook applies a verified pull request, review or status delivery of connection
// svc to the changesets it concerns: the state the payload gives is recorded at once
// (with its events), and the changesets are made due for a full sync.
func HandleWebhook(ctx context.Context, st *store.Store, svc *store.ExternalService, ev codehost.Event, now time.Time) error {
	var repo codehost.EventRepo
	var numbers []int64
	headSHA := ""
	switch ev := ev.(type) {
	case *codehost.PullRequestEvent:
		repo, numbers = ev.Repo, []int64{ev.Number}
	case *codehost.ReviewEvent:
		repo, numbers = ev.Repo, []int64{ev.Number}
	case *codehost.StatusEvent:
		repo, numbers, headSHA = ev.Repo, ev.Numbers, ev.SHA
	default:
		return nil
	}
	var names, extIDs []string
	if repo.Name != "" {
		names = append(names, repo.Name)
	}
	if repo.ExternalID != "" {
		extIDs = append(extIDs, repo.ExternalID)
	}
	repos, err := st.Repos().FindForWebhook(ctx, []int64{svc.ID}, names, repo.CloneURLs, extIDs)
	if err != nil || len(repos) == 0 {
		return err
	}
	repoIDs := make([]int64, len(repos))
	for i, r := range repos {
		repoIDs[i] = r.ID
	}
	ids := make([]string, len(numbers))
	for i, n := range numbers {
		ids[i] = strconv.FormatInt(n, 10)
	}
	changesets, err := st.Campaigns().ChangesetsForWebhook(ctx, repoIDs, ids, headSHA)
	if err != nil {
		return fmt.Errorf("finding changesets for a webhook: %w", err)
	}
	var touched []int64
	for _, c := range changesets {
		touched = append(touched, c.ID)
		err := ApplyExternal(ctx, st, c.ID, now, func(cur *store.Changeset) (store.ExternalState, bool) {
			next := ExternalOf(cur)
			next.UpdatedAt = nil
			switch ev := ev.(type) {
			case *codehost.PullRequestEvent:
				if ev.State != "" {
					next.State = string(ev.State)
				}
				if ev.Title != "" {
					next.Title = ev.Title
				}
				if ev.URL != "" {
					next.URL = ev.URL
				}
				if ev.HeadRef != "" {
					next.HeadRef = ev.HeadRef
				}
				if ev.BaseRef != "" {
					next.BaseRef = ev.BaseRef
				}
				if ev.HeadSHA != "" {
					next.HeadSHA = ev.HeadSHA
				}
			case *codehost.ReviewEvent:
				// One review does not give the summary (another reviewer may disagree):
				// the strongest news is applied now, the sync settles the rest.
				switch {
				case ev.State == codehost.ReviewChangesRequested:
					next.ReviewState = string(ev.State)
				case ev.State == codehost.ReviewApproved && cur.ReviewState != string(codehost.ReviewChangesRequested):
					next.ReviewState = string(ev.State)
				case ev.State == codehost.ReviewCommented && cur.ReviewState == string(codehost.ReviewPending):
					next.ReviewState = string(ev.State)
				}
			case *codehost.StatusEvent:
				switch {
				case ev.State == codehost.CheckFailed:
					next.CheckState = string(ev.State)
				case ev.State == codehost.CheckPending && cur.CheckState != string(codehost.CheckFailed):
					next.CheckState = string(ev.State)
				}
			}
			return next, true
		})
		if err != nil {
			return fmt.Errorf("applying a webhook to changeset %d: %w", c.ID, err)
		}
	}
	if len(touched) == 0 {
		return nil
	}
	return st.Campaigns().ScheduleSync(ctx, touched, now)
}

// WebhookHandler is the webhook endpoint's ChangesetEvents: HandleWebhook at the time of
// delivery.
func WebhookHandler(st *store.Store) func(ctx context.Context, svc *store.ExternalService, ev codehost.Event) error {
	return func(ctx context.Context, svc *store.ExternalService, ev codehost.Event) error {
		return HandleWebhook(ctx, st, svc, ev, time.Now())
	}
}
