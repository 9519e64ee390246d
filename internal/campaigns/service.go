package campaigns

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// Searcher runs searches (*search.Service), to select a spec's repositories.
type Searcher interface {
	Search(ctx context.Context, req search.Request) (*search.Results, error)
}

// Service is what the API does with campaigns: plans, campaigns and their changesets.
// Callers check who may do what; the service checks that it makes sense.
type Service struct {
	Store *store.Store
	// Search selects the repositories of a spec's repositoriesMatchingQuery; nil refuses
	// such specs.
	Search      Searcher
	ExternalURL string
	Logger      log.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Limits of plans, and of the changesets one request tracks or adds to a campaign.
const (
	MaxPlanRepositories  = 10000
	MaxPatchBytes        = 32 << 20
	MaxChangesetsPerCall = 1000
)

// Error codes of campaign operations, beyond errcode's.
const (
	// CodePlanNotFinished: the plan's jobs are still running.
	CodePlanNotFinished = "CAMPAIGN_PLAN_NOT_FINISHED"
	// CodeProcessing: the campaign's changesets are being processed.
	CodeProcessing = "CAMPAIGN_PROCESSING"
)

func badInput(format string, args ...any) error {
	return errcode.New(errcode.BadInput, format, args...)
}

// PatchInput is one repository's patch of createCampaignPlanFromPatches.
type PatchInput struct {
	RepoID       int64
	BaseRevision string
	BaseRef      string
	Patch        string
}

// CreatePlanFromPatches stores a plan of uploaded patches. The worker checks that each
// applies to its base revision; one that does not fails only its repository.
func (s *Service) CreatePlanFromPatches(ctx context.Context, viewer store.Viewer, userID int64, patches []PatchInput) (*store.CampaignPlan, error) {
	if len(patches) == 0 {
		return nil, badInput("patches must not be empty")
	}
	if len(patches) > MaxPlanRepositories {
		return nil, badInput("a plan may have at most %d repositories", MaxPlanRepositories)
	}
	seen := map[int64]bool{}
	jobs := make([]store.NewCampaignJob, 0, len(patches))
	for i, p := range patches {
		repo, err := s.Store.Repos().GetByID(ctx, viewer, p.RepoID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, errcode.New(errcode.NotFound, "patches[%d]: repository not found", i)
			}
			return nil, err
		}
		if seen[repo.ID] {
			return nil, badInput("patches[%d]: %s has more than one patch; a plan holds one diff per repository", i, repo.Name)
		}
		seen[repo.ID] = true
		if err := vcs.CheckRevision(p.BaseRevision); err != nil || strings.TrimSpace(p.BaseRevision) == "" {
			return nil, badInput("patches[%d]: baseRevision %q is not a valid revision", i, p.BaseRevision)
		}
		ref := strings.TrimPrefix(strings.TrimSpace(p.BaseRef), "refs/heads/")
		if err := vcs.CheckBranchName(ref); err != nil {
			return nil, badInput("patches[%d]: baseRef %q is not a branch name", i, p.BaseRef)
		}
		if strings.TrimSpace(p.Patch) == "" {
			return nil, badInput("patches[%d]: patch is empty", i)
		}
		if len(p.Patch) > MaxPatchBytes {
			return nil, badInput("patches[%d]: patch is larger than %d bytes", i, MaxPatchBytes)
		}
		diff := p.Patch
		if !strings.HasSuffix(diff, "\n") {
			diff += "\n"
		}
		jobs = append(jobs, store.NewCampaignJob{RepoID: repo.ID, BaseRef: ref, BaseRevision: p.BaseRevision, Diff: &diff})
	}
	return s.Store.Campaigns().CreatePlan(ctx, userID, store.PlanSourcePatches, "", jobs)
}

// HasLocalSteps reports whether a spec has steps that run as local processes (no
// container image): they run as the worker's own user, so only site admins may submit
// them.
func HasLocalSteps(raw string) bool {
	spec, err := ParseSpec(raw)
	if err != nil {
		return false
	}
	for _, st := range spec.Steps {
		if strings.TrimSpace(st.Container) == "" {
			return true
		}
	}
	return false
}

// CreatePlanFromSpec parses a spec, selects its repositories with the viewer's
// permissions, and queues one job per repository that runs the steps in the worker.
func (s *Service) CreatePlanFromSpec(ctx context.Context, viewer store.Viewer, userID int64, raw string) (*store.CampaignPlan, error) {
	spec, err := ParseSpec(raw)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err)
	}
	targets, err := s.resolveOn(ctx, viewer, spec.On)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, badInput("the spec's on: selects no repositories")
	}
	jobs := make([]store.NewCampaignJob, len(targets))
	for i, t := range targets {
		jobs[i] = store.NewCampaignJob{RepoID: t.repo.ID, BaseRef: t.branch, Description: spec.Description}
	}
	return s.Store.Campaigns().CreatePlan(ctx, userID, store.PlanSourceSpec, raw, jobs)
}

type onTarget struct {
	repo   *store.Repo
	branch string
}

// resolveOn turns a spec's on: entries into repositories, in name order: named ones must
// exist and be visible; queries select the repositories that have results.
func (s *Service) resolveOn(ctx context.Context, viewer store.Viewer, on []OnEntry) ([]onTarget, error) {
	byID := map[int64]*onTarget{}
	for i, o := range on {
		if name := strings.TrimSpace(o.Repository); name != "" {
			repo, err := s.Store.Repos().GetByName(ctx, viewer, name)
			if errors.Is(err, store.ErrNotFound) {
				return nil, badInput("on[%d]: repository %q not found", i, name)
			}
			if err != nil {
				return nil, err
			}
			t := byID[repo.ID]
			if t == nil {
				t = &onTarget{repo: repo}
				byID[repo.ID] = t
			}
			if o.Branch != "" {
				t.branch = o.Branch
			}
			continue
		}
		if s.Search == nil {
			return nil, badInput("on[%d]: repositoriesMatchingQuery is not available on this server", i)
		}
		res, err := s.Search.Search(ctx, search.Request{Query: o.RepositoriesMatchingQuery, Viewer: viewer, Limit: 100000})
		if err != nil {
			return nil, errcode.New(errcode.BadInput, "on[%d]: invalid query: %v", i, err)
		}
		if len(res.Cloning) > 0 {
			names := make([]string, 0, len(res.Cloning))
			for _, r := range res.Cloning {
				names = append(names, r.Name)
			}
			sort.Strings(names)
			return nil, errcode.New(errcode.Conflict, "on[%d]: %d repositories are still being cloned (%s); try again when they are", i, len(names), strings.Join(names, ", "))
		}
		if res.LimitHit {
			return nil, badInput("on[%d]: the query has too many results; narrow it", i)
		}
		for _, m := range res.Matches {
			r := m.Repository()
			if _, ok := byID[r.ID]; !ok {
				byID[r.ID] = &onTarget{repo: r}
			}
		}
	}
	if len(byID) > MaxPlanRepositories {
		return nil, badInput("the spec selects %d repositories; a plan may have at most %d", len(byID), MaxPlanRepositories)
	}
	out := make([]onTarget, 0, len(byID))
	for _, t := range byID {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].repo.Name < out[j].repo.Name })
	return out, nil
}

// CancelPlan stops a plan's jobs; a canceled plan cannot be used by a campaign.
func (s *Service) CancelPlan(ctx context.Context, planID int64) error {
	if _, err := s.Store.Campaigns().CampaignByPlan(ctx, planID); err == nil {
		return errcode.New(errcode.Conflict, "the plan is used by a campaign and cannot be canceled")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.Store.Campaigns().CancelPlan(ctx, planID)
}

// CreateCampaignInput is createCampaign's input.
type CreateCampaignInput struct {
	NamespaceUserID int64
	NamespaceOrgID  int64
	AuthorID        int64
	Name            string
	Description     string
	Branch          string
	PlanID          int64
	// Draft creates the campaign without publishing its changesets.
	Draft bool
}

// usablePlan checks that a plan can make a campaign's changesets and returns its jobs
// with a diff. exceptCampaign is the campaign being updated (its own plan is usable).
func (s *Service) usablePlan(ctx context.Context, planID, exceptCampaign int64) (*store.CampaignPlan, []*store.CampaignJob, error) {
	plan, err := s.Store.Campaigns().GetPlan(ctx, planID)
	if err != nil {
		return nil, nil, err
	}
	if plan.CanceledAt != nil {
		return nil, nil, badInput("the campaign plan was canceled")
	}
	if c, err := s.Store.Campaigns().CampaignByPlan(ctx, planID); err == nil && c.ID != exceptCampaign {
		return nil, nil, errcode.New(errcode.Conflict, "the campaign plan is already used by another campaign")
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	status, err := s.Store.Campaigns().PlanStatus(ctx, planID)
	if err != nil {
		return nil, nil, err
	}
	if status.Pending > 0 {
		return nil, nil, errcode.New(CodePlanNotFinished, "the campaign plan has not finished: %d of %d repositories are still pending", status.Pending, status.Pending+status.Completed)
	}
	jobs, err := s.Store.Campaigns().ListJobs(ctx, store.CampaignJobListOptions{PlanID: planID, OnlyWithDiff: true})
	if err != nil {
		return nil, nil, err
	}
	if len(jobs) == 0 {
		return nil, nil, badInput("the campaign plan has no diffs: no repository changed")
	}
	return plan, jobs, nil
}

// publicationFor is the publication a campaign's changesets get once published: the
// plan's template says draft or not.
func publicationFor(tmpl Template) string {
	if tmpl.Published == store.PublicationDraft {
		return store.PublicationDraft
	}
	return store.PublicationPublished
}

// CreateCampaign creates a campaign; with a plan, one changeset per repository with a
// diff, queued for the reconciler unless the campaign is a draft (or its spec says
// published: false).
func (s *Service) CreateCampaign(ctx context.Context, in CreateCampaignInput) (*store.Campaign, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, badInput("name must not be blank")
	}
	c := &store.Campaign{Name: in.Name, Description: in.Description, Branch: strings.TrimSpace(in.Branch),
		NamespaceUserID: in.NamespaceUserID, NamespaceOrgID: in.NamespaceOrgID, AuthorID: in.AuthorID, PlanID: in.PlanID}
	var jobs []*store.CampaignJob
	tmpl := Template{}
	if in.PlanID != 0 {
		var plan *store.CampaignPlan
		var err error
		if plan, jobs, err = s.usablePlan(ctx, in.PlanID, 0); err != nil {
			return nil, err
		}
		tmpl = TemplateOf(plan)
		if c.Branch == "" {
			c.Branch = tmpl.Branch
		}
		if c.Branch == "" {
			return nil, badInput("branch must not be blank when a plan is given")
		}
	}
	if c.Branch != "" {
		c.Branch = strings.TrimPrefix(c.Branch, "refs/heads/")
		if err := vcs.CheckBranchName(c.Branch); err != nil {
			return nil, badInput("branch %q is not a valid branch name", c.Branch)
		}
	}
	publish := in.PlanID != 0 && !in.Draft && tmpl.Published != store.PublicationUnpublished
	if publish || in.PlanID == 0 && !in.Draft {
		now := s.now()
		c.PublishedAt = &now
	}
	pub := store.PublicationUnpublished
	if publish {
		pub = publicationFor(tmpl)
	}
	err := s.Store.Transact(ctx, func(tx *store.Store) error {
		if err := tx.Campaigns().CreateCampaign(ctx, c); err != nil {
			if errors.Is(err, store.ErrPlanInUse) {
				return errcode.Wrap(errcode.Conflict, err)
			}
			return err
		}
		for _, j := range jobs {
			if _, err := tx.Campaigns().InsertChangeset(ctx, c.ID, store.NewChangeset{
				RepoID: j.RepoID, OwnedByCampaignID: c.ID, CampaignJobID: j.ID, AuthorID: c.AuthorID, PublicationState: pub, Queue: publish,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCampaignInput is updateCampaign's input; nil fields are kept.
type UpdateCampaignInput struct {
	ID          int64
	Name        *string
	Description *string
	Branch      *string
	PlanID      *int64
	// ActorID is who updates the campaign. The changesets the update changes are
	// written to the code host with this user's campaigns credential from then on, not
	// the campaign author's: another member of the namespace must not push their own
	// plan, or retitle pull requests, with the author's access.
	ActorID int64
}

// errBusy refuses changes while changesets are being processed.
func errBusy(what string) error {
	return errcode.New(CodeProcessing, "cannot %s the campaign while its changesets are being processed; try again when they are done", what)
}

// UpdateCampaign changes a campaign. A new plan is applied per repository: new
// repositories get a changeset, changed diffs are pushed again, repositories no longer in
// the plan are detached and their pull requests closed; merged and closed ones are left
// alone. New names and descriptions are carried to the open pull requests.
func (s *Service) UpdateCampaign(ctx context.Context, in UpdateCampaignInput) (*store.Campaign, error) {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			return nil, badInput("name must not be blank")
		}
		in.Name = &n
	}
	var out *store.Campaign
	err := s.Store.Transact(ctx, func(tx *store.Store) error {
		cs := tx.Campaigns()
		c, err := cs.GetCampaignForUpdate(ctx, in.ID)
		if err != nil {
			return err
		}
		if c.ClosedAt != nil {
			return badInput("the campaign is closed")
		}
		if busy, err := cs.CampaignBusy(ctx, c.ID); err != nil {
			return err
		} else if busy {
			return errBusy("update")
		}
		owned, err := cs.OwnedChangesetsByRepo(ctx, c.ID)
		if err != nil {
			return err
		}
		if in.Branch != nil {
			b := strings.TrimPrefix(strings.TrimSpace(*in.Branch), "refs/heads/")
			if b != c.Branch {
				for _, ch := range owned {
					if ch.Branch != "" {
						return badInput("the branch cannot change once changesets were pushed")
					}
				}
				if b == "" && (c.PlanID != 0 || in.PlanID != nil && *in.PlanID != 0) {
					return badInput("branch must not be blank when a plan is given")
				}
				if b != "" {
					if err := vcs.CheckBranchName(b); err != nil {
						return badInput("branch %q is not a valid branch name", b)
					}
				}
			}
			in.Branch = &b
		}
		var newJobs []*store.CampaignJob
		var tmpl Template
		planChanged := in.PlanID != nil && *in.PlanID != c.PlanID
		if planChanged {
			if *in.PlanID == 0 {
				return badInput("a campaign's plan can be replaced but not removed")
			}
			plan, jobs, err := s.usablePlan(ctx, *in.PlanID, c.ID)
			if err != nil {
				return err
			}
			newJobs, tmpl = jobs, TemplateOf(plan)
			if c.Branch == "" && (in.Branch == nil || *in.Branch == "") {
				if tmpl.Branch == "" {
					return badInput("branch must not be blank when a plan is given")
				}
				b := tmpl.Branch
				in.Branch = &b
			}
		}
		updated, err := cs.UpdateCampaign(ctx, c.ID, store.CampaignUpdate{Name: in.Name, Description: in.Description, Branch: in.Branch, PlanID: in.PlanID})
		if err != nil {
			if errors.Is(err, store.ErrPlanInUse) {
				return errcode.Wrap(errcode.Conflict, err)
			}
			return err
		}
		out = updated
		if planChanged {
			if err := s.applyPlan(ctx, tx, updated, owned, newJobs, tmpl, in.ActorID); err != nil {
				return err
			}
		} else if (in.Name != nil && *in.Name != c.Name) || (in.Description != nil && *in.Description != c.Description) {
			var ids []int64
			for _, ch := range owned {
				if ch.Published() && ch.DetachedAt == nil {
					ids = append(ids, ch.ID)
				}
			}
			if len(ids) > 0 {
				if err := cs.SetDesired(ctx, ids, store.ChangesetDesire{AuthorID: in.ActorID}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// applyPlan moves a campaign's changesets to a new plan's jobs, on behalf of actorID
// (whose credential writes them from then on; 0 keeps the changesets' own).
func (s *Service) applyPlan(ctx context.Context, tx *store.Store, c *store.Campaign, owned map[int64]*store.Changeset, jobs []*store.CampaignJob, tmpl Template, actorID int64) error {
	cs := tx.Campaigns()
	author := c.AuthorID
	if actorID != 0 {
		author = actorID
	}
	pub := store.PublicationUnpublished
	if c.PublishedAt != nil {
		pub = publicationFor(tmpl)
	}
	inPlan := map[int64]bool{}
	for _, j := range jobs {
		inPlan[j.RepoID] = true
		ch := owned[j.RepoID]
		reusable := ch != nil && (!ch.Published() || ch.ExternalState == string(codehost.StateOpen) ||
			ch.ExternalState == string(codehost.StateDraft) || ch.ExternalState == string(codehost.StatePushed))
		if ch != nil && !reusable && ch.DetachedAt == nil {
			continue // merged, or closed by someone on the host: left alone
		}
		if !reusable {
			// New to the campaign, or back after it was detached and closed: a new
			// changeset (on a new branch name, since the old one exists).
			if _, err := cs.InsertChangeset(ctx, c.ID, store.NewChangeset{RepoID: j.RepoID, OwnedByCampaignID: c.ID, CampaignJobID: j.ID,
				AuthorID: author, PublicationState: pub, Queue: pub != store.PublicationUnpublished}); err != nil {
				return err
			}
			continue
		}
		jobID, closing, detached := j.ID, false, false
		d := store.ChangesetDesire{CampaignJobID: &jobID, Closing: &closing, Detached: &detached, AuthorID: actorID}
		if old, err := cs.GetJob(ctx, ch.CampaignJobID); err != nil || old.Diff == nil || *old.Diff != *j.Diff || old.BaseRevision != j.BaseRevision {
			d.NewCommitDate = true
		}
		if !ch.Published() || pub != store.PublicationUnpublished {
			d.PublicationState = &pub // a published draft is marked ready when the new plan says so
		}
		if err := cs.SetDesired(ctx, []int64{ch.ID}, d); err != nil {
			return err
		}
		if err := cs.AttachChangesets(ctx, c.ID, []int64{ch.ID}); err != nil {
			return err
		}
	}
	for repoID, ch := range owned {
		if inPlan[repoID] || ch.DetachedAt != nil {
			continue
		}
		switch {
		case !ch.Published():
			unpub, detached := store.PublicationUnpublished, true
			if err := cs.SetDesired(ctx, []int64{ch.ID}, store.ChangesetDesire{PublicationState: &unpub, Detached: &detached, AuthorID: actorID}); err != nil {
				return err
			}
		case ch.ExternalState == string(codehost.StateOpen) || ch.ExternalState == string(codehost.StateDraft):
			closing, detached := true, true
			if err := cs.SetDesired(ctx, []int64{ch.ID}, store.ChangesetDesire{Closing: &closing, Detached: &detached, AuthorID: actorID}); err != nil {
				return err
			}
		default:
			continue // merged, closed or a pushed branch: left alone, and kept in the campaign
		}
		if err := cs.DetachChangeset(ctx, c.ID, ch.ID); err != nil {
			return err
		}
	}
	return nil
}

// CloseCampaign closes a campaign: nothing more is published, and with closeChangesets
// its open pull requests are closed. Closing a closed campaign again may close them.
func (s *Service) CloseCampaign(ctx context.Context, id int64, closeChangesets bool) (*store.Campaign, error) {
	var out *store.Campaign
	err := s.Store.Transact(ctx, func(tx *store.Store) error {
		if err := s.closeLocked(ctx, tx, id, closeChangesets, "close"); err != nil {
			return err
		}
		if err := tx.Campaigns().SetCampaignClosed(ctx, id); err != nil {
			return err
		}
		var err error
		out, err = tx.Campaigns().GetCampaign(ctx, id)
		return err
	})
	return out, err
}

// DeleteCampaign deletes a campaign; with closeChangesets its open pull requests are
// closed (the changesets outlive the campaign until then).
func (s *Service) DeleteCampaign(ctx context.Context, id int64, closeChangesets bool) error {
	return s.Store.Transact(ctx, func(tx *store.Store) error {
		if err := s.closeLocked(ctx, tx, id, closeChangesets, "delete"); err != nil {
			return err
		}
		return tx.Campaigns().DeleteCampaign(ctx, id)
	})
}

func (s *Service) closeLocked(ctx context.Context, tx *store.Store, id int64, closeChangesets bool, what string) error {
	cs := tx.Campaigns()
	if _, err := cs.GetCampaignForUpdate(ctx, id); err != nil {
		return err
	}
	if busy, err := cs.CampaignBusy(ctx, id); err != nil {
		return err
	} else if busy {
		return errBusy(what)
	}
	if err := cs.CancelUnpublished(ctx, id); err != nil {
		return err
	}
	if !closeChangesets {
		return nil
	}
	list, err := cs.ListChangesets(ctx, store.ChangesetListOptions{OwnedByCampaignID: id, Viewer: store.InternalViewer})
	if err != nil {
		return err
	}
	var ids []int64
	for _, ch := range list {
		if ch.ExternalState == string(codehost.StateOpen) || ch.ExternalState == string(codehost.StateDraft) {
			ids = append(ids, ch.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	closing := true
	return cs.SetDesired(ctx, ids, store.ChangesetDesire{Closing: &closing})
}

// RetryChangesets queues a campaign's failed changesets again (only those).
func (s *Service) RetryChangesets(ctx context.Context, id int64) error {
	c, err := s.Store.Campaigns().GetCampaign(ctx, id)
	if err != nil {
		return err
	}
	if c.ClosedAt != nil {
		return badInput("the campaign is closed")
	}
	_, err = s.Store.Campaigns().RetryChangesets(ctx, id)
	return err
}

// RetryChangeset queues one failed or errored changeset again.
func (s *Service) RetryChangeset(ctx context.Context, id int64) error {
	ch, err := s.Store.Campaigns().GetChangeset(ctx, id)
	if err != nil {
		return err
	}
	if ch.OwnedByCampaignID != 0 {
		c, err := s.Store.Campaigns().GetCampaign(ctx, ch.OwnedByCampaignID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if c != nil && c.ClosedAt != nil {
			return badInput("the campaign is closed")
		}
	}
	ok, err := s.Store.Campaigns().RetryChangeset(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return badInput("the changeset has not failed (its state is %s)", ch.ReconcilerState(s.now()))
	}
	return nil
}

// PublishCampaign publishes a draft campaign: every changeset not published yet is queued
// to be opened.
func (s *Service) PublishCampaign(ctx context.Context, id int64) (*store.Campaign, error) {
	var out *store.Campaign
	err := s.Store.Transact(ctx, func(tx *store.Store) error {
		cs := tx.Campaigns()
		c, err := cs.GetCampaignForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if c.ClosedAt != nil {
			return badInput("the campaign is closed")
		}
		if err := cs.SetCampaignPublished(ctx, id); err != nil {
			return err
		}
		if c.PlanID != 0 {
			ids, pub, err := s.unpublished(ctx, tx, c, 0)
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				if err := cs.SetDesired(ctx, ids, store.ChangesetDesire{PublicationState: &pub}); err != nil {
					return err
				}
			}
		}
		out, err = cs.GetCampaign(ctx, id)
		return err
	})
	return out, err
}

// unpublished returns the campaign's attached changesets not yet published or queued
// for it (only the one of jobID, when set), and the publication they get.
func (s *Service) unpublished(ctx context.Context, tx *store.Store, c *store.Campaign, jobID int64) ([]int64, string, error) {
	plan, err := tx.Campaigns().GetPlan(ctx, c.PlanID)
	if err != nil {
		return nil, "", err
	}
	pub := publicationFor(TemplateOf(plan))
	list, err := tx.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{CampaignID: c.ID, OwnedByCampaignID: c.ID, Viewer: store.InternalViewer})
	if err != nil {
		return nil, "", err
	}
	var ids []int64
	for _, ch := range list {
		if ch.Published() || ch.PublicationState != store.PublicationUnpublished || (jobID != 0 && ch.CampaignJobID != jobID) {
			continue
		}
		ids = append(ids, ch.ID)
	}
	return ids, pub, nil
}

// PublishChangeset publishes one changeset plan (a job of the campaign's plan) of a
// draft campaign.
func (s *Service) PublishChangeset(ctx context.Context, jobID int64) error {
	job, err := s.Store.Campaigns().GetJob(ctx, jobID)
	if err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(tx *store.Store) error {
		c, err := tx.Campaigns().CampaignByPlan(ctx, job.PlanID)
		if errors.Is(err, store.ErrNotFound) {
			return badInput("the changeset plan belongs to no campaign")
		}
		if err != nil {
			return err
		}
		if c, err = tx.Campaigns().GetCampaignForUpdate(ctx, c.ID); err != nil {
			return err
		}
		if c.ClosedAt != nil {
			return badInput("the campaign is closed")
		}
		ids, pub, err := s.unpublished(ctx, tx, c, jobID)
		if err != nil || len(ids) == 0 {
			return err // already published or queued: nothing to do
		}
		return tx.Campaigns().SetDesired(ctx, ids, store.ChangesetDesire{PublicationState: &pub})
	})
}

// SyncChangeset makes a published changeset due for a sync now.
func (s *Service) SyncChangeset(ctx context.Context, id int64) error {
	ch, err := s.Store.Campaigns().GetChangeset(ctx, id)
	if err != nil {
		return err
	}
	if !ch.Published() {
		return badInput("the changeset is not published yet")
	}
	return s.Store.Campaigns().ScheduleSync(ctx, []int64{id}, s.now())
}

// TrackInput is one pull request of createChangesets.
type TrackInput struct {
	RepoID     int64
	ExternalID string
}

// CreateChangesets tracks existing pull requests: a changeset per pull request (the
// existing one when it is already tracked), loaded from the code host by the reconciler.
// Every input is checked before any changeset is stored.
func (s *Service) CreateChangesets(ctx context.Context, viewer store.Viewer, in []TrackInput) ([]*store.Changeset, error) {
	if len(in) == 0 {
		return nil, badInput("input must not be empty")
	}
	if len(in) > MaxChangesetsPerCall {
		return nil, badInput("at most %d pull requests may be tracked at once", MaxChangesetsPerCall)
	}
	type target struct {
		repoID, svcID int64
		ext           string
	}
	targets := make([]target, len(in))
	for i, t := range in {
		repo, err := s.Store.Repos().GetByID(ctx, viewer, t.RepoID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errcode.New(errcode.NotFound, "input[%d]: repository not found", i)
		}
		if err != nil {
			return nil, err
		}
		ext := strings.TrimSpace(t.ExternalID)
		if ext == "" {
			return nil, badInput("input[%d]: externalID must not be blank", i)
		}
		// Every host with pull requests numbers them per repository (GitHub and Gitea
		// numbers, GitLab IIDs, Bitbucket Server IDs).
		if n, err := strconv.ParseInt(ext, 10, 64); err != nil || n <= 0 {
			return nil, badInput("input[%d]: externalID %q is not a pull request number", i, t.ExternalID)
		}
		sources, err := s.Store.Repos().CloneSources(ctx, repo.ID)
		if err != nil {
			return nil, err
		}
		var svcID int64
		for _, src := range sources {
			if codehost.Kind(src.Service.Kind).Hosted() {
				svcID = src.Service.ID
				break
			}
		}
		if svcID == 0 {
			return nil, badInput("input[%d]: %s is not on a code host with pull requests", i, repo.Name)
		}
		targets[i] = target{repoID: repo.ID, svcID: svcID, ext: ext}
	}
	out := make([]*store.Changeset, 0, len(in))
	for _, t := range targets {
		if existing, err := s.Store.Campaigns().GetChangesetByExternalID(ctx, t.repoID, t.ext); err == nil {
			out = append(out, existing)
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		ch, err := s.Store.Campaigns().InsertChangeset(ctx, 0, store.NewChangeset{RepoID: t.repoID, ExternalServiceID: t.svcID, ExternalID: t.ext, AuthorID: viewer.UserID, Queue: true})
		if err != nil {
			if existing, gerr := s.Store.Campaigns().GetChangesetByExternalID(ctx, t.repoID, t.ext); gerr == nil {
				out = append(out, existing) // created concurrently
				continue
			}
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// AddChangesetsToCampaign attaches tracked changesets to a campaign.
func (s *Service) AddChangesetsToCampaign(ctx context.Context, campaignID int64, ids []int64) (*store.Campaign, error) {
	c, err := s.Store.Campaigns().GetCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	if c.ClosedAt != nil {
		return nil, badInput("the campaign is closed")
	}
	if len(ids) > MaxChangesetsPerCall {
		return nil, badInput("at most %d changesets may be added at once", MaxChangesetsPerCall)
	}
	for _, id := range ids {
		ch, err := s.Store.Campaigns().GetChangeset(ctx, id)
		if err != nil {
			return nil, err
		}
		if ch.OwnedByCampaignID != 0 && ch.OwnedByCampaignID != campaignID {
			return nil, badInput("changeset %d was created by another campaign", id)
		}
	}
	if err := s.Store.Campaigns().AttachChangesets(ctx, campaignID, ids); err != nil {
		return nil, err
	}
	return c, nil
}

// Status sums up a set of jobs or changesets as BackgroundProcessStatus.
type Status struct {
	Completed int
	Pending   int
	// State is PROCESSING, ERRORED, COMPLETED or CANCELED.
	State  string
	Errors []string
}

// PlanStatus is a plan's status.
func (s *Service) PlanStatus(ctx context.Context, plan *store.CampaignPlan) (Status, error) {
	st, err := s.Store.Campaigns().PlanStatus(ctx, plan.ID)
	if err != nil {
		return Status{}, err
	}
	out := Status{Completed: st.Completed, Pending: st.Pending, Errors: st.Errors}
	switch {
	case st.Pending > 0:
		out.State = "PROCESSING"
	case plan.CanceledAt != nil:
		out.State = "CANCELED"
	case st.Failed > 0:
		out.State = "ERRORED"
	default:
		out.State = "COMPLETED"
	}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	return out, nil
}

// CampaignStatus is the status of a campaign's changesets (those in repositories the
// viewer may see): pending while queued or processing, errors per repository.
func (s *Service) CampaignStatus(ctx context.Context, viewer store.Viewer, id int64) (Status, error) {
	list, err := s.Store.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{CampaignID: id, Viewer: viewer})
	if err != nil {
		return Status{}, err
	}
	var repoIDs []int64
	for _, ch := range list {
		repoIDs = append(repoIDs, ch.RepoID)
	}
	names := map[int64]string{}
	if len(repoIDs) > 0 {
		repos, err := s.Store.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{IDs: repoIDs})
		if err != nil {
			return Status{}, err
		}
		for _, r := range repos {
			names[r.ID] = r.Name
		}
	}
	out := Status{Errors: []string{}}
	failed := false
	for _, ch := range list {
		switch ch.State {
		case "queued", "processing":
			out.Pending++
		case "errored":
			out.Pending++
			out.Errors = append(out.Errors, fmt.Sprintf("%s: %s (retrying)", names[ch.RepoID], ch.FailureMessage))
		case "failed":
			out.Completed++
			failed = true
			out.Errors = append(out.Errors, fmt.Sprintf("%s: %s", names[ch.RepoID], ch.FailureMessage))
		default:
			out.Completed++
		}
	}
	sort.Strings(out.Errors)
	switch {
	case out.Pending > 0:
		out.State = "PROCESSING"
	case failed:
		out.State = "ERRORED"
	default:
		out.State = "COMPLETED"
	}
	return out, nil
}

// CountsOverTime counts a campaign's changesets (those the viewer may see) by state per
// day from `from` to `to`.
func (s *Service) CountsOverTime(ctx context.Context, viewer store.Viewer, campaignID int64, from, to time.Time) ([]ChangesetCounts, error) {
	list, err := s.Store.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{CampaignID: campaignID, Viewer: viewer})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(list))
	for _, ch := range list {
		if ch.Published() {
			ids = append(ids, ch.ID)
		}
	}
	events, err := s.Store.Campaigns().EventsForChangesets(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64][]*store.ChangesetEvent{}
	for _, e := range events {
		byID[e.ChangesetID] = append(byID[e.ChangesetID], e)
	}
	hs := make([]History, 0, len(ids))
	for _, ch := range list {
		if !ch.Published() {
			continue
		}
		h := History{State: ch.ExternalState, Events: byID[ch.ID]}
		if ch.ExternalCreatedAt != nil {
			h.CreatedAt = *ch.ExternalCreatedAt
		}
		hs = append(hs, h)
	}
	counts, err := CountsOverTime(hs, from, to)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return counts, nil
}
