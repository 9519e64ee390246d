package campaigns

import (
	"fmt"
	"sort"
	"time"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
)

// Changeset event kinds.
const (
	EventOpened                 = "OPENED"
	EventPushed                 = "PUSHED"
	EventClosed                 = "CLOSED"
	EventReopened               = "REOPENED"
	EventMerged                 = "MERGED"
	EventDeleted                = "DELETED"
	EventConvertedToDraft       = "CONVERTED_TO_DRAFT"
	EventReadyForReview         = "READY_FOR_REVIEW"
	EventReviewApproved         = "REVIEW_APPROVED"
	EventReviewChangesRequested = "REVIEW_CHANGES_REQUESTED"
	EventReviewCommented        = "REVIEW_COMMENTED"
	EventReviewDismissed        = "REVIEW_DISMISSED"
	EventChecksPassed           = "CHECKS_PASSED"
	EventChecksFailed           = "CHECKS_FAILED"
	EventChecksPending          = "CHECKS_PENDING"
)

// EventKinds lists every kind, in the order the API documents them.
var EventKinds = []string{EventOpened, EventPushed, EventClosed, EventReopened, EventMerged, EventDeleted, EventConvertedToDraft, EventReadyForReview,
	EventReviewApproved, EventReviewChangesRequested, EventReviewCommented, EventReviewDismissed, EventChecksPassed, EventChecksFailed, EventChecksPending}

// Transition returns the events that moving a changeset from old to new records: state
// changes (opened, closed, reopened, merged, ...), review summary changes and check
// changes. at is when the change happened (the host's update time when it says,
// else now). Callers hold the changeset's row lock, so a change seen by a webhook and
// again by a sync is recorded once; keys carry the time as well, so a changeset closed,
// reopened and closed again keeps both closings.
func Transition(changesetID int64, old *store.Changeset, new store.ExternalState, at time.Time) []store.ChangesetEvent {
	var out []store.ChangesetEvent
	add := func(kind, key string, t time.Time) {
		out = append(out, store.ChangesetEvent{ChangesetID: changesetID, Kind: kind, Key: key, CreatedAt: t})
	}
	stamp := at.UTC().Format(time.RFC3339Nano)
	oldState := old.ExternalState
	if oldState == "" && new.State != "" {
		created := at
		if new.CreatedAt != nil && !new.CreatedAt.IsZero() {
			created = *new.CreatedAt
		}
		if new.State == string(codehost.StatePushed) {
			add(EventPushed, "pushed", created)
			return out
		}
		add(EventOpened, "opened", created)
		oldState = string(codehost.StateOpen)
		if new.State == string(codehost.StateDraft) {
			oldState = new.State
		}
	}
	if new.State != oldState {
		switch new.State {
		case string(codehost.StateMerged):
			add(EventMerged, "merged", at)
		case string(codehost.StateClosed):
			add(EventClosed, stamp, at)
		case string(codehost.StateDeleted):
			add(EventDeleted, "deleted", at)
		case string(codehost.StateOpen):
			if oldState == string(codehost.StateDraft) {
				add(EventReadyForReview, stamp, at)
			} else {
				add(EventReopened, stamp, at)
			}
		case string(codehost.StateDraft):
			if oldState == string(codehost.StateOpen) {
				add(EventConvertedToDraft, stamp, at)
			} else {
				add(EventReopened, stamp, at)
			}
		case string(codehost.StatePushed):
			add(EventPushed, stamp, at)
		}
	}
	oldReview := old.ReviewState
	if oldReview == "" {
		oldReview = string(codehost.ReviewPending)
	}
	if new.ReviewState != "" && new.ReviewState != oldReview {
		switch new.ReviewState {
		case string(codehost.ReviewApproved):
			add(EventReviewApproved, stamp, at)
		case string(codehost.ReviewChangesRequested):
			add(EventReviewChangesRequested, stamp, at)
		case string(codehost.ReviewCommented):
			add(EventReviewCommented, stamp, at)
		case string(codehost.ReviewPending):
			add(EventReviewDismissed, stamp, at)
		}
	}
	oldCheck := old.CheckState
	if oldCheck == "" {
		oldCheck = string(codehost.CheckUnknown)
	}
	if new.CheckState != "" && new.CheckState != oldCheck {
		switch new.CheckState {
		case string(codehost.CheckPassed):
			add(EventChecksPassed, stamp, at)
		case string(codehost.CheckFailed):
			add(EventChecksFailed, stamp, at)
		case string(codehost.CheckPending):
			add(EventChecksPending, stamp, at)
		}
	}
	return out
}

// ExternalFromHost converts a pull request as loaded from its host.
func ExternalFromHost(svcID int64, ch codehost.ExternalChangeset) store.ExternalState {
	e := store.ExternalState{
		ExternalServiceID: svcID, ExternalID: ch.ExternalID, State: string(ch.State), ReviewState: string(ch.ReviewState), CheckState: string(ch.CheckState),
		URL: ch.URL, Title: ch.Title, Body: ch.Body, HeadRef: ch.HeadRef, BaseRef: ch.BaseRef, HeadSHA: ch.HeadSHA, Labels: ch.Labels,
	}
	if e.ReviewState == "" {
		e.ReviewState = string(codehost.ReviewPending)
	}
	if e.CheckState == "" {
		e.CheckState = string(codehost.CheckUnknown)
	}
	if !ch.CreatedAt.IsZero() {
		t := ch.CreatedAt
		e.CreatedAt = &t
	}
	if !ch.UpdatedAt.IsZero() {
		t := ch.UpdatedAt
		e.UpdatedAt = &t
	}
	return e
}

// ExternalOf is a changeset's recorded external state, to overlay a webhook's news on.
func ExternalOf(c *store.Changeset) store.ExternalState {
	return store.ExternalState{
		ExternalServiceID: c.ExternalServiceID, ExternalID: c.ExternalID, State: c.ExternalState, ReviewState: c.ReviewState, CheckState: c.CheckState,
		URL: c.ExternalURL, Title: c.Title, Body: c.Body, HeadRef: c.HeadRef, BaseRef: c.BaseRef, HeadSHA: c.HeadSHA, Labels: c.Labels,
		CreatedAt: c.ExternalCreatedAt, UpdatedAt: c.ExternalUpdatedAt,
	}
}

// ChangesetCounts are the changesets of a campaign by state at one time.
type ChangesetCounts struct {
	Date                 time.Time
	Total                int
	Merged               int
	Closed               int
	Open                 int
	Draft                int
	OpenApproved         int
	OpenChangesRequested int
	OpenPending          int
	// Pushed counts branches pushed to plain git remotes (no pull request to open,
	// review or merge); they are part of Total.
	Pushed int
}

// History is one changeset's events, for counting.
type History struct {
	// CreatedAt is when the pull request was opened (its OPENED event, when it has one,
	// wins).
	CreatedAt time.Time
	// State is the changeset's external state now. A pull request opened as a draft has
	// no event saying so (OPENED is all); when no later event tells, it was a draft
	// from the start if it is one now.
	State  string
	Events []*store.ChangesetEvent
}

// openedAsDraft tells whether a pull request was a draft when it was opened: the first
// event that changed its draft status says what it was before, else its current state.
func openedAsDraft(state string, events []*store.ChangesetEvent) bool {
	for _, e := range events {
		switch e.Kind {
		case EventReadyForReview:
			return true
		case EventConvertedToDraft:
			return false
		}
	}
	return state == string(codehost.StateDraft)
}

// MaxCountPoints bounds changesetCountsOverTime.
const MaxCountPoints = 3 * 366

// CountsOverTime replays each changeset's events and counts the states at the end of
// each day from `from` to `to` (one point per day, the last one at `to`). A changeset
// counts from when it was opened, a branch pushed to a plain git remote (which has no
// pull requests) as Pushed from when it was first pushed; unpublished changesets are
// not counted.
func CountsOverTime(histories []History, from, to time.Time) ([]ChangesetCounts, error) {
	from, to = from.UTC(), to.UTC()
	if to.Before(from) {
		return nil, fmt.Errorf("to (%s) is before from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	dates := []time.Time{from}
	if !to.After(from) {
		dates = nil
	}
	for d := from.Truncate(24 * time.Hour).Add(24 * time.Hour); d.Before(to); d = d.Add(24 * time.Hour) {
		dates = append(dates, d)
		if len(dates) > MaxCountPoints {
			return nil, fmt.Errorf("from and to are more than %d days apart", MaxCountPoints)
		}
	}
	dates = append(dates, to)
	type timeline struct {
		created time.Time
		draft   bool // at creation
		pushed  bool // a plain git branch, never a pull request
		events  []*store.ChangesetEvent
	}
	var tls []timeline
	for _, h := range histories {
		created := h.CreatedAt
		var opened, firstPush time.Time
		for _, e := range h.Events {
			switch e.Kind {
			case EventOpened:
				opened = e.CreatedAt
			case EventPushed:
				if firstPush.IsZero() || e.CreatedAt.Before(firstPush) {
					firstPush = e.CreatedAt
				}
			}
		}
		evs := append([]*store.ChangesetEvent(nil), h.Events...)
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].CreatedAt.Before(evs[j].CreatedAt) })
		switch {
		case !opened.IsZero():
			tls = append(tls, timeline{created: opened, draft: openedAsDraft(h.State, evs), events: evs})
		case !firstPush.IsZero():
			tls = append(tls, timeline{created: firstPush, pushed: true, events: evs})
		case !created.IsZero():
			tls = append(tls, timeline{created: created, draft: openedAsDraft(h.State, evs), events: evs})
		}
	}
	out := make([]ChangesetCounts, len(dates))
	for i, d := range dates {
		c := ChangesetCounts{Date: d}
		for _, tl := range tls {
			if tl.created.After(d) {
				continue
			}
			// Draft status is kept apart from open/closed/merged: a draft closed and
			// reopened is a draft again.
			state, review, draft := codehost.StateOpen, codehost.ReviewPending, tl.draft
			if tl.pushed {
				state = codehost.StatePushed
			}
			for _, e := range tl.events {
				if e.CreatedAt.After(d) {
					break
				}
				switch e.Kind {
				case EventOpened, EventReopened:
					state = codehost.StateOpen
				case EventReadyForReview:
					state, draft = codehost.StateOpen, false
				case EventConvertedToDraft:
					state, draft = codehost.StateOpen, true
				case EventClosed, EventDeleted:
					state = codehost.StateClosed
				case EventMerged:
					state = codehost.StateMerged
				case EventReviewApproved:
					review = codehost.ReviewApproved
				case EventReviewChangesRequested:
					review = codehost.ReviewChangesRequested
				case EventReviewCommented, EventReviewDismissed:
					review = codehost.ReviewPending
				}
			}
			c.Total++
			switch state {
			case codehost.StatePushed:
				c.Pushed++
			case codehost.StateMerged:
				c.Merged++
			case codehost.StateClosed:
				c.Closed++
			default:
				c.Open++
				if draft {
					c.Draft++
				}
				switch review {
				case codehost.ReviewApproved:
					c.OpenApproved++
				case codehost.ReviewChangesRequested:
					c.OpenChangesRequested++
				default:
					c.OpenPending++
				}
			}
		}
		out[i] = c
	}
	return out, nil
}
