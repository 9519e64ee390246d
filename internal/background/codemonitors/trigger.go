package codemonitors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/background/codemonitors/cmsearch"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

// TriggerHandler runs one trigger job.
type TriggerHandler struct {
	opts Options
	now  func() time.Time
}

// NewTriggerHandler returns the trigger queue's handler.
func NewTriggerHandler(opts Options) *TriggerHandler {
	opts.defaults()
	return &TriggerHandler{opts: opts, now: time.Now}
}

// StoredResult is one result as a run keeps it in cm_trigger_jobs.search_results: what
// a notification shows, already rendered.
type StoredResult struct {
	RepoID               int64          `json:"repoID"`
	Repository           string         `json:"repository"`
	Commit               string         `json:"commit"`
	URL                  string         `json:"url"`
	Author               string         `json:"author"`
	Date                 time.Time      `json:"date"`
	Message              string         `json:"message"`
	MatchedMessageRanges []notify.Range `json:"matchedMessageRanges,omitempty"`
	Diff                 string         `json:"diff,omitempty"`
	MatchedDiffRanges    []notify.Range `json:"matchedDiffRanges,omitempty"`
}

// Handle runs the job's monitor over what changed since its last run.
func (h *TriggerHandler) Handle(ctx context.Context, logger log.Logger, job *store.TriggerJob) error {
	if job.RecordedAt != nil {
		return nil // an earlier attempt recorded the run; its worker died before marking it done
	}
	cs := h.opts.Store.CodeMonitors()
	q, err := cs.QueryByID(ctx, job.QueryID)
	if errors.Is(err, store.ErrNotFound) {
		return workerutil.NonRetryable(err)
	}
	if err != nil {
		return err
	}
	m, err := cs.GetMonitor(ctx, q.MonitorID)
	if err != nil {
		return err
	}
	now := h.now()
	full := job.RepoIDs == nil
	if full {
		// Set before searching, so a run that keeps failing does not make the enqueuer
		// queue the monitor again at every tick.
		if err := cs.SetNextRun(ctx, q.ID, now.Add(h.opts.PollInterval)); err != nil {
			return err
		}
	}
	if !m.Enabled {
		return nil
	}
	if m.NamespaceUserID == 0 {
		return workerutil.NonRetryable(fmt.Errorf("code monitor %d is not owned by a user; it cannot search", m.ID))
	}
	actor, err := auth.ActorForUser(ctx, h.opts.Store, m.NamespaceUserID)
	if errors.Is(err, store.ErrNotFound) {
		return workerutil.NonRetryable(fmt.Errorf("the owner of code monitor %d was deleted", m.ID))
	}
	if err != nil {
		return err
	}
	plan, err := cmsearch.ParseQuery(q.Query, now)
	if err != nil {
		return workerutil.NonRetryable(fmt.Errorf("the monitor's query is invalid: %w", err))
	}
	viewer := actor.Viewer()

	listOpts := store.RepoListOptions{}
	if !full {
		listOpts.IDs = job.RepoIDs
	}
	repos, err := h.opts.Store.Repos().List(ctx, viewer, listOpts)
	if err != nil {
		return fmt.Errorf("listing the owner's repositories: %w", err)
	}
	var ids []int64
	if !full {
		ids = job.RepoIDs
	}
	last, err := cs.LastSearched(ctx, m.ID, ids)
	if err != nil {
		return err
	}

	updates := map[int64]store.LastSearchedUpdate{}
	revisions := map[int64]search.Revisions{}
	var searchIDs []int64
	for _, r := range repos {
		if !cmsearch.Covers(plan, r) {
			continue
		}
		include, exclude := cmsearch.Revisions(plan, r)
		if len(include) == 0 {
			continue
		}
		old, had := last[r.ID]
		if !had {
			// First seen (a repository added after the monitor, or cloned since): start
			// from its current heads instead of reporting its whole history.
			updates[r.ID] = store.LastSearchedUpdate{RepoID: r.ID, New: include}
			continue
		}
		if slices.Equal(old, include) {
			continue
		}
		old = slices.Clone(old)
		if h.opts.Mirrors != nil {
			if old = h.existing(ctx, logger, r, old); len(old) == 0 {
				// None of the commits searched last is known here (history rewritten
				// and collected): searching from scratch would report the whole history.
				updates[r.ID] = store.LastSearchedUpdate{RepoID: r.ID, HadOld: true, Old: last[r.ID], New: include}
				continue
			}
		}
		revisions[r.ID] = search.Revisions{Include: include, Exclude: append(old, exclude...)}
		searchIDs = append(searchIDs, r.ID)
		updates[r.ID] = store.LastSearchedUpdate{RepoID: r.ID, HadOld: true, Old: last[r.ID], New: include}
	}

	var matches []*search.CommitMatch
	var searchErr error
	if len(searchIDs) > 0 {
		res, err := h.opts.Search.Search(ctx, search.Request{Plan: plan, Viewer: viewer, RepoIDs: searchIDs, Revisions: revisions, Now: now})
		if err != nil {
			var qe *query.Error
			if errors.As(err, &qe) {
				return workerutil.NonRetryable(fmt.Errorf("the monitor's query is invalid: %w", err))
			}
			return fmt.Errorf("searching: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err() // cut short: nothing is recorded, the run is retried
		}
		// Repositories not searched in full keep their entry, so their commits are
		// searched again next time rather than reported in part (or twice).
		incomplete := map[int64]bool{}
		for _, rs := range [][]*store.Repo{res.TimedOut, res.Cloning, res.Missing} {
			for _, r := range rs {
				incomplete[r.ID] = true
				delete(updates, r.ID)
			}
		}
		var msgs []string
		for _, e := range res.Errors {
			msgs = append(msgs, e.Err.Error())
		}
		if len(res.TimedOut) > 0 {
			msgs = append(msgs, fmt.Sprintf("%d repositories timed out and will be searched again", len(res.TimedOut)))
		}
		if len(msgs) > 0 {
			searchErr = errors.New(strings.Join(msgs, "; "))
		}
		for _, mt := range res.Matches {
			cm, ok := mt.(*search.CommitMatch)
			if !ok || incomplete[cm.Repo.ID] {
				continue
			}
			matches = append(matches, cm)
		}
	}

	run := store.TriggerRun{MonitorID: m.ID, QueryString: plan.String()}
	for _, u := range updates {
		run.Updates = append(run.Updates, u)
	}
	slices.SortFunc(run.Updates, func(a, b store.LastSearchedUpdate) int { return int(a.RepoID - b.RepoID) })
	run.Results = func(lost map[int64]bool) ([]byte, int, error) {
		out := []StoredResult{}
		n := 0
		for _, cm := range matches {
			if lost[cm.Repo.ID] {
				continue
			}
			n++
			if len(out) < MaxStoredResults {
				out = append(out, h.storedResult(cm))
			}
		}
		b, err := json.Marshal(out)
		return b, n, err
	}
	n, lost, err := cs.RecordTriggerRun(ctx, job.ID, run)
	if errors.Is(err, store.ErrRunAlreadyRecorded) {
		return nil
	}
	if err != nil {
		return err
	}
	// A concurrent run of this monitor moved these repositories first; it may have
	// stopped short of the heads this run saw, so queue one more run over them.
	for _, id := range lost {
		if _, err := cs.EnqueuePushTriggers(ctx, []int64{q.ID}, id); err != nil {
			logger.Warn("queueing a follow-up run", log.Error(err))
		}
	}
	logger.Debug("code monitor run", log.Int64("monitor", m.ID), log.Int("results", n), log.Int("searched", len(searchIDs)))
	if searchErr != nil {
		// Recorded: the results found are reported; the event shows why some
		// repositories were not searched.
		return workerutil.NonRetryable(fmt.Errorf("some repositories could not be searched: %w", searchErr))
	}
	return nil
}

// existing keeps the commits a mirror has: a run excludes the history of the commits it
// searched last time, and a mirror cloned after a force push may lack them.
func (h *TriggerHandler) existing(ctx context.Context, logger log.Logger, r *store.Repo, oids []string) []string {
	m, err := h.opts.Mirrors.Mirror(ctx, r)
	if err != nil {
		return oids // the search reports the mirror's problem
	}
	out := oids[:0]
	for _, oid := range oids {
		if _, err := m.ResolveRevision(ctx, oid); errors.Is(err, vcs.ErrRevisionNotFound) {
			logger.Warn("a commit the monitor searched last is gone from the mirror", log.String("repo", r.Name), log.String("commit", oid))
			continue
		}
		out = append(out, oid)
	}
	return out
}

func (h *TriggerHandler) storedResult(cm *search.CommitMatch) StoredResult {
	c := cm.Commit
	r := StoredResult{
		RepoID:     cm.Repo.ID,
		Repository: cm.Repo.Name,
		Commit:     c.OID,
		URL:        strings.TrimRight(h.opts.ExternalURL, "/") + "/" + cm.Repo.Name + "/-/commit/" + c.OID,
		Author:     c.Author.Name + " <" + c.Author.Email + ">",
		Date:       c.Committer.Date,
		Message:    c.Message,
	}
	for _, rg := range cm.MessageRanges {
		r.MatchedMessageRanges = append(r.MatchedMessageRanges, notify.Range{Start: location(c.Message, rg.Start), End: location(c.Message, rg.End)})
	}
	if cm.Diff {
		text, hs := cm.DiffPreview()
		r.Diff = text
		for _, hl := range hs {
			start, end, ok := highlightOffsets(text, hl)
			if ok {
				r.MatchedDiffRanges = append(r.MatchedDiffRanges, notify.Range{Start: location(text, start), End: location(text, end)})
			}
		}
	}
	return r
}

// location is the position of byte offset off in text.
func location(text string, off int) notify.Location {
	off = min(max(off, 0), len(text))
	lineStart := strings.LastIndexByte(text[:off], '\n') + 1
	return notify.Location{Offset: off, Line: strings.Count(text[:off], "\n"), Column: off - lineStart}
}

// highlightOffsets converts a highlight (line, and rune offset and length in it) to byte
// offsets in text.
func highlightOffsets(text string, hl search.Highlight) (start, end int, ok bool) {
	lineStart := 0
	for i := 0; i < hl.Line; i++ {
		j := strings.IndexByte(text[lineStart:], '\n')
		if j < 0 {
			return 0, 0, false
		}
		lineStart += j + 1
	}
	line := text[lineStart:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	runeOffset := func(n int) (int, bool) {
		b := 0
		for i := 0; i < n; i++ {
			if b >= len(line) {
				return 0, false
			}
			_, size := utf8.DecodeRuneInString(line[b:])
			b += size
		}
		return b, true
	}
	s, ok1 := runeOffset(hl.Character)
	e, ok2 := runeOffset(hl.Character + hl.Length)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	return lineStart + s, lineStart + e, true
}

// buildNotification builds the notification of a run from its stored results.
func buildNotification(ctx context.Context, opts Options, m *store.Monitor, tj *store.TriggerJob) (notify.Notification, error) {
	raw, err := opts.Store.CodeMonitors().TriggerJobResults(ctx, tj.ID)
	if err != nil {
		return notify.Notification{}, err
	}
	var stored []StoredResult
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &stored); err != nil {
			return notify.Notification{}, fmt.Errorf("decoding the results of run %d: %w", tj.ID, err)
		}
	}
	owner := ""
	if m.NamespaceUserID != 0 {
		if u, err := opts.Store.Users().GetByID(ctx, m.NamespaceUserID); err == nil {
			owner = u.Username
		}
	}
	base := strings.TrimRight(opts.ExternalURL, "/")
	n := notify.Notification{
		Kind:               notify.CodeMonitorResults,
		MonitorDescription: m.Description,
		MonitorURL:         base + "/code-monitoring/" + MonitorID(m.ID),
		SearchURL:          base + "/search?q=" + url.QueryEscape(tj.QueryString),
		Query:              tj.QueryString,
		Owner:              owner,
		ResultCount:        tj.NumResults,
	}
	for _, r := range stored {
		n.Results = append(n.Results, notify.Result{
			Repository: r.Repository, Commit: r.Commit, URL: r.URL,
			Message: r.Message, MatchedMessageRanges: r.MatchedMessageRanges,
			Diff: r.Diff, MatchedDiffRanges: r.MatchedDiffRanges,
		})
	}
	return n, nil
}
