package codehost

import (
	"context"
	"strings"
	"time"
)

// ChangesetState is the state of a pull request on its host.
type ChangesetState string

// Changeset states. PUSHED is a branch pushed to a plain git remote, which has no pull
// requests.
const (
	StateOpen   ChangesetState = "OPEN"
	StateDraft  ChangesetState = "DRAFT"
	StateClosed ChangesetState = "CLOSED"
	StateMerged ChangesetState = "MERGED"
	StatePushed ChangesetState = "PUSHED"
	// StateDeleted is only reported by webhooks (Bitbucket Server pr:deleted).
	StateDeleted ChangesetState = "DELETED"
)

// ReviewState sums up the reviews of a pull request: CHANGES_REQUESTED if any reviewer's
// latest review requests changes, else APPROVED if any approves, else COMMENTED if any
// commented, else PENDING.
type ReviewState string

// Review states.
const (
	ReviewApproved         ReviewState = "APPROVED"
	ReviewChangesRequested ReviewState = "CHANGES_REQUESTED"
	ReviewCommented        ReviewState = "COMMENTED"
	ReviewPending          ReviewState = "PENDING"
)

// CheckState sums up the CI checks of a pull request's head commit: FAILED if any
// failed, else PENDING if any is still running, else PASSED; UNKNOWN when there are none.
type CheckState string

// Check states.
const (
	CheckPending CheckState = "PENDING"
	CheckPassed  CheckState = "PASSED"
	CheckFailed  CheckState = "FAILED"
	CheckUnknown CheckState = "UNKNOWN"
)

// Changeset is what to open, or change, on a code host.
type Changeset struct {
	Title string
	Body  string
	// BaseRef is the branch to merge into, HeadRef the branch with the change (both as
	// branch names; a "refs/heads/" prefix is accepted).
	BaseRef string
	HeadRef string
	// Draft opens a draft pull request where the host supports it (GitHub draft, GitLab
	// "Draft:" title prefix, Gitea "WIP:" prefix); Bitbucket Server answers ErrUnsupported.
	Draft bool
}

// ExternalChangeset is a pull request (GitLab: merge request) as loaded from its host.
type ExternalChangeset struct {
	// ExternalID identifies it within its repository: the pull request number (GitLab
	// merge request IID, Bitbucket Server pull request ID); for GIT, the head ref.
	ExternalID  string
	Number      int64
	URL         string
	Title       string
	Body        string
	State       ChangesetState
	ReviewState ReviewState
	CheckState  CheckState
	// HeadRef and BaseRef are branch names, HeadSHA the head commit when known.
	HeadRef   string
	BaseRef   string
	HeadSHA   string
	Labels    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChangesetSource opens and tracks pull requests on one connection's host.
type ChangesetSource interface {
	// CreateChangeset opens a pull request from cs.HeadRef into cs.BaseRef. When the host
	// answers that one already exists for the branch, it loads that one and returns it
	// with exists=true, so a retried job adopts it instead of failing or duplicating. The
	// adopted pull request is returned as it is; callers update it if title, body or
	// base differ.
	CreateChangeset(ctx context.Context, repo Repo, cs Changeset) (ch ExternalChangeset, exists bool, err error)
	// UpdateChangeset sets title, body and base branch (HeadRef and Draft are ignored;
	// a draft stays a draft).
	UpdateChangeset(ctx context.Context, repo Repo, externalID string, cs Changeset) (ExternalChangeset, error)
	// CloseChangeset closes (Bitbucket Server: declines) an open pull request.
	CloseChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error)
	// ReopenChangeset reopens a closed, unmerged pull request.
	ReopenChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error)
	// LoadChangeset loads state, reviews, checks, refs, title, body, labels and times.
	LoadChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error)
	// FindChangesetByBranch finds the pull request whose head is the branch: the open one
	// if there is one, else the most recently created. found is false when there is none.
	FindChangesetByBranch(ctx context.Context, repo Repo, headRef string) (ch ExternalChangeset, found bool, err error)
	// UndraftChangeset marks a draft ready for review; ErrUnsupported where drafts are.
	UndraftChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error)
}

// branchName accepts "refs/heads/x" or "x".
func branchName(ref string) string { return strings.TrimPrefix(ref, "refs/heads/") }

// reviewSummary folds each reviewer's latest review into a ReviewState.
type reviewSummary struct{ approved, changes, commented bool }

func (r *reviewSummary) add(s ReviewState) {
	switch s {
	case ReviewApproved:
		r.approved = true
	case ReviewChangesRequested:
		r.changes = true
	case ReviewCommented:
		r.commented = true
	}
}

func (r reviewSummary) state() ReviewState {
	switch {
	case r.changes:
		return ReviewChangesRequested
	case r.approved:
		return ReviewApproved
	case r.commented:
		return ReviewCommented
	}
	return ReviewPending
}

// checkSummary folds the states of individual checks into a CheckState.
type checkSummary struct{ any, failed, pending bool }

func (c *checkSummary) add(s CheckState) {
	switch s {
	case CheckFailed:
		c.any, c.failed = true, true
	case CheckPending:
		c.any, c.pending = true, true
	case CheckPassed:
		c.any = true
	}
}

func (c checkSummary) state() CheckState {
	switch {
	case c.failed:
		return CheckFailed
	case c.pending:
		return CheckPending
	case c.any:
		return CheckPassed
	}
	return CheckUnknown
}

// Title prefixes that mark drafts on hosts without a draft flag. GitLab recognises
// "Draft:", "[Draft]" and "(Draft)"; Gitea its WORK_IN_PROGRESS_PREFIXES ("WIP:", "[WIP]").
var (
	gitlabDraftPrefixes = []string{"Draft:", "[Draft]", "(Draft)"}
	giteaDraftPrefixes  = []string{"WIP:", "[WIP]"}
)

func hasDraftPrefix(title string, prefixes []string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	for _, p := range prefixes {
		if strings.HasPrefix(t, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

func stripDraftPrefix(title string, prefixes []string) string {
	t := strings.TrimSpace(title)
	for changed := true; changed; {
		changed = false
		for _, p := range prefixes {
			if len(t) >= len(p) && strings.EqualFold(t[:len(p)], p) {
				t = strings.TrimSpace(t[len(p):])
				changed = true
			}
		}
	}
	return t
}

func withDraftPrefix(title string, draft bool, prefixes []string) string {
	title = stripDraftPrefix(title, prefixes)
	if draft {
		return prefixes[0] + " " + title
	}
	return title
}
