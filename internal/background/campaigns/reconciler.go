package campaigns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

// Reconciler makes a changeset what its campaign wants: it plans the operations
// (campaigns.PlanOperations) and runs them against the repository's code host.
type Reconciler struct {
	opts  Options
	hosts *campaigns.Hosts
}

// NewReconciler returns the changeset queue's handler.
func NewReconciler(opts Options) *Reconciler {
	opts.defaults()
	return &Reconciler{opts: opts, hosts: &campaigns.Hosts{Store: opts.Store, HTTPClient: opts.HTTPClient}}
}

// Handle implements workerutil.Handler.
func (r *Reconciler) Handle(ctx context.Context, logger log.Logger, rec *store.Changeset) error {
	st := r.opts.Store
	ch, err := st.Campaigns().GetChangeset(ctx, rec.ID)
	if err != nil {
		return err
	}
	version := ch.DesiredVersion
	target, err := campaigns.LoadTarget(ctx, st, r.opts.ExternalURL, r.opts.Bot, ch)
	if err != nil {
		return err
	}
	ops := campaigns.PlanOperations(campaigns.CurrentOf(ch), target.Desired)
	if len(ops) > 0 {
		logger.Debug("reconciling changeset", log.Int64("changeset", ch.ID), log.String("operations", fmt.Sprint(ops)))
		if err := r.run(ctx, ch, target, ops); err != nil {
			return err
		}
	}
	if err := st.Campaigns().SetReconciled(ctx, ch.ID, version); err != nil {
		return err
	}
	// What the campaign wants may have changed while this ran: run again.
	if now, err := st.Campaigns().GetChangeset(ctx, ch.ID); err == nil && now.DesiredVersion > version {
		return workerutil.RequeueAfter(0)
	}
	return nil
}

// run executes the planned operations in order.
func (r *Reconciler) run(ctx context.Context, ch *store.Changeset, t *campaigns.Target, ops []campaigns.Operation) error {
	st := r.opts.Store
	repo, err := st.Repos().GetByID(ctx, store.InternalViewer, ch.RepoID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return workerutil.NonRetryable(fmt.Errorf("repository %d no longer exists", ch.RepoID))
		}
		return err
	}
	write := slices.ContainsFunc(ops, func(op campaigns.Operation) bool { return op != campaigns.OpImport && op != campaigns.OpSync })
	host, err := r.hosts.For(ctx, repo, ch.ExternalServiceID, ch.AuthorID, write)
	if err != nil {
		return workerutil.NonRetryable(err)
	}
	publishing := slices.Contains(ops, campaigns.OpPublish) || slices.Contains(ops, campaigns.OpPublishDraft)
	if publishing && !ch.Published() {
		// Wait for this host's publish slot before pushing, so changesets waiting their
		// turn have nothing on the host yet.
		if err := r.waitForSlot(ctx, ch, host); err != nil {
			return err
		}
	}
	for _, op := range ops {
		var err error
		switch op {
		case campaigns.OpImport, campaigns.OpSync:
			err = r.load(ctx, ch, host)
		case campaigns.OpPush:
			err = r.push(ctx, ch, t, repo, host)
		case campaigns.OpPublish, campaigns.OpPublishDraft:
			err = r.publish(ctx, ch, t, host, op == campaigns.OpPublishDraft)
		case campaigns.OpUpdate:
			err = r.apply(ctx, ch, host, func() (codehost.ExternalChangeset, error) {
				return host.Source.UpdateChangeset(ctx, host.Repo, ch.ExternalID, codehost.Changeset{Title: t.Desired.Title, Body: t.Desired.Body, BaseRef: t.Desired.BaseRef})
			})
		case campaigns.OpUndraft:
			err = r.apply(ctx, ch, host, func() (codehost.ExternalChangeset, error) {
				return host.Source.UndraftChangeset(ctx, host.Repo, ch.ExternalID)
			})
		case campaigns.OpClose:
			err = r.apply(ctx, ch, host, func() (codehost.ExternalChangeset, error) {
				return host.Source.CloseChangeset(ctx, host.Repo, ch.ExternalID)
			})
		}
		if err != nil {
			return r.classify(ctx, host, ch, op, err)
		}
		// Later operations see what earlier ones recorded (branch, pushed diff, number).
		if ch, err = st.Campaigns().GetChangeset(ctx, ch.ID); err != nil {
			return err
		}
	}
	return nil
}

// waitForSlot reserves (once) the changeset's publish slot under its host's rate limit
// and requeues the changeset until then; it shows as SCHEDULED meanwhile. Without a
// publish rate for the host, the slot is still no earlier than the end of a rate limit
// the host answered (see classify), so the other changesets wait it out instead of
// each running into it.
func (r *Reconciler) waitForSlot(ctx context.Context, ch *store.Changeset, host *campaigns.Host) error {
	now := r.opts.Now()
	if ch.PublishAt != nil {
		if wait := ch.PublishAt.Sub(now); wait > 0 {
			return workerutil.RequeueAfter(wait)
		}
		return nil
	}
	interval, limited := r.opts.Rates.For(host.RateKey)
	if !limited {
		interval = 0
	}
	slot, err := r.opts.Store.Campaigns().ReservePublishSlot(ctx, host.RateKey, interval)
	if err != nil {
		return fmt.Errorf("reserving a publish slot on %s: %w", host.RateKey, err)
	}
	if err := r.opts.Store.Campaigns().SetPublishAt(ctx, ch.ID, &slot); err != nil {
		return err
	}
	if wait := slot.Sub(now); wait > 50*time.Millisecond {
		return workerutil.RequeueAfter(wait)
	}
	return nil
}

// classify turns an operation's failure into the queue's answer: the host's rate limit
// requeues (and holds back every publish on that host), permanent failures fail at once.
func (r *Reconciler) classify(ctx context.Context, host *campaigns.Host, ch *store.Changeset, op campaigns.Operation, err error) error {
	if workerutil.IsNonRetryable(err) || errors.Is(err, context.Canceled) {
		return err
	}
	var rl *codehost.RateLimitError
	if errors.As(err, &rl) {
		until := r.opts.Now().Add(rl.RetryAfter)
		if derr := r.opts.Store.Campaigns().DelayHost(ctx, host.RateKey, until); derr != nil {
			return derr
		}
		if ch.PublishAt != nil {
			_ = r.opts.Store.Campaigns().SetPublishAt(ctx, ch.ID, &until)
		}
		return workerutil.RequeueAfter(rl.RetryAfter)
	}
	err = fmt.Errorf("%s: %w", opVerb(op), err)
	switch {
	case errors.Is(err, vcs.ErrPatchDoesNotApply), errors.Is(err, vcs.ErrPushRejected), errors.Is(err, vcs.ErrInvalidArgument):
		return workerutil.NonRetryable(err)
	case errors.Is(err, vcs.ErrRevisionNotFound):
		return workerutil.NonRetryable(err)
	}
	var pe *vcs.PatchError
	if errors.As(err, &pe) {
		return workerutil.NonRetryable(err)
	}
	var ce *vcs.CommandError
	if errors.As(err, &ce) {
		return err // git failed to run or reach the remote: retry
	}
	if !codehost.Retryable(err) {
		return workerutil.NonRetryable(err)
	}
	return err
}

func opVerb(op campaigns.Operation) string {
	switch op {
	case campaigns.OpPush:
		return "pushing the branch"
	case campaigns.OpPublish, campaigns.OpPublishDraft:
		return "opening the pull request"
	case campaigns.OpUpdate:
		return "updating the pull request"
	case campaigns.OpUndraft:
		return "marking the pull request ready for review"
	case campaigns.OpClose:
		return "closing the pull request"
	}
	return "loading the pull request"
}

// push makes the commit of the diff on its base revision and pushes it to the
// changeset's branch, chosen once: the campaign's branch, or with a -N suffix when taken.
func (r *Reconciler) push(ctx context.Context, ch *store.Changeset, t *campaigns.Target, repo *store.Repo, host *campaigns.Host) error {
	st := r.opts.Store
	if t.Job == nil || !t.Job.HasDiff() {
		return workerutil.NonRetryable(errors.New("the changeset has no diff to push"))
	}
	branch := ch.Branch
	if branch == "" {
		if t.Branch == "" {
			return workerutil.NonRetryable(errors.New("the campaign has no branch"))
		}
		taken, err := st.Campaigns().BranchesTaken(ctx, ch.RepoID, ch.ID)
		if err != nil {
			return err
		}
		chosen, err := campaigns.ChooseBranch(ctx, t.Branch, func(ctx context.Context, b string) (bool, error) {
			if slices.Contains(taken, b) {
				return true, nil
			}
			return r.opts.Repos.VCS.BranchExists(ctx, host.Remote, b)
		})
		if err != nil {
			return err
		}
		if branch, err = st.Campaigns().SetBranch(ctx, ch.ID, chosen); err != nil {
			return err
		}
	}
	mirror, err := r.opts.Repos.Mirror(ctx, repo)
	if err != nil {
		return fmt.Errorf("mirror of %s: %w", repo.Name, err)
	}
	author := vcs.Signature{Name: t.Author.Name, Email: t.Author.Email, Date: ch.CommitDate}
	committer := vcs.Signature{Name: r.opts.Bot.Name, Email: r.opts.Bot.Email, Date: ch.CommitDate}
	pc := vcs.PatchCommit{Base: t.Job.BaseRevision, Patch: []byte(*t.Job.Diff), Message: t.CommitMessage, Author: author, Committer: committer}
	oid, err := mirror.CreateCommitFromPatch(ctx, pc)
	if errors.Is(err, vcs.ErrRevisionNotFound) {
		if _, ferr := r.opts.Repos.Fetch(ctx, repo.ID, nil); ferr != nil {
			return ferr
		}
		oid, err = mirror.CreateCommitFromPatch(ctx, pc)
	}
	if err != nil {
		return err
	}
	if err := r.opts.Repos.VCS.Push(ctx, host.Remote, oid, branch, true); err != nil {
		return err
	}
	return st.Campaigns().RecordPush(ctx, ch.ID, oid, t.Desired.DiffSHA)
}

// publish opens the pull request; one that already exists for the branch (a retry after
// the worker died between opening and recording it) is adopted, and updated if its title,
// body or base differ.
func (r *Reconciler) publish(ctx context.Context, ch *store.Changeset, t *campaigns.Target, host *campaigns.Host, draft bool) error {
	want := codehost.Changeset{Title: t.Desired.Title, Body: t.Desired.Body, BaseRef: t.Desired.BaseRef, HeadRef: ch.Branch, Draft: draft}
	ext, exists, err := host.Source.CreateChangeset(ctx, host.Repo, want)
	if err == nil && exists && differs(ext, want) {
		ext, err = host.Source.UpdateChangeset(ctx, host.Repo, ext.ExternalID, want)
	}
	if err != nil {
		return err
	}
	if err := r.record(ctx, ch, host, ext); err != nil {
		return err
	}
	if ch.PublishAt != nil {
		return r.opts.Store.Campaigns().SetPublishAt(ctx, ch.ID, nil)
	}
	return nil
}

func differs(ext codehost.ExternalChangeset, want codehost.Changeset) bool {
	return !campaigns.SameTitle(want.Title, ext.Title, ext.State == codehost.StateDraft) || strings.TrimSpace(ext.Body) != strings.TrimSpace(want.Body) ||
		(want.BaseRef != "" && ext.BaseRef != strings.TrimPrefix(want.BaseRef, "refs/heads/"))
}

// load loads the pull request from its host and records it.
func (r *Reconciler) load(ctx context.Context, ch *store.Changeset, host *campaigns.Host) error {
	ext, err := host.Source.LoadChangeset(ctx, host.Repo, ch.ExternalID)
	if err != nil {
		return err
	}
	return r.record(ctx, ch, host, ext)
}

// apply runs a pull request operation and records the state it returns.
func (r *Reconciler) apply(ctx context.Context, ch *store.Changeset, host *campaigns.Host, op func() (codehost.ExternalChangeset, error)) error {
	ext, err := op()
	if err != nil {
		return err
	}
	return r.record(ctx, ch, host, ext)
}

// record stores the state a host gave for the changeset. A plain git remote reports no
// head commit: the branch's head is the commit Lookout pushed to it.
func (r *Reconciler) record(ctx context.Context, ch *store.Changeset, host *campaigns.Host, ext codehost.ExternalChangeset) error {
	if ext.HeadSHA == "" && !host.Kind.Hosted() {
		ext.HeadSHA = ch.PushedCommit
	}
	return campaigns.RecordLoaded(ctx, r.opts.Store, ch.ID, host.Service.ID, ext, r.opts.Now())
}
