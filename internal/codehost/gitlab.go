package codehost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// gitlabClient speaks to GitLab.com or self-managed GitLab through client-go. The
// library's own retries are off: a 429 becomes a *RateLimitError at once and the job
// system decides when to try again.
type gitlabClient struct {
	cfg  *GitLabConfig
	c    *gitlab.Client
	host string
}

func newGitLab(cfg *GitLabConfig, hc *http.Client) (*gitlabClient, error) {
	svc := cfg.ServiceURL()
	c, err := gitlab.NewClient(cfg.Token,
		gitlab.WithBaseURL(svc+"/api/v4"),
		gitlab.WithHTTPClient(hc),
		gitlab.WithoutRetries(),
	)
	if err != nil {
		return nil, fmt.Errorf("creating GitLab client for %s: %w", svc, err)
	}
	return &gitlabClient{cfg: cfg, c: c, host: hostOf(svc)}, nil
}

const gitlabPerPage = 100

func (g *gitlabClient) wrap(err error, resp *gitlab.Response) error {
	if err == nil {
		return nil
	}
	if resp == nil || resp.Response == nil || resp.StatusCode < 400 {
		return err
	}
	var msg string
	var er *gitlab.ErrorResponse
	if errors.As(err, &er) {
		msg = er.Message
	}
	if rl := rateLimitFromResponse(KindGitLab, resp.Response, strings.TrimSpace(msg)); rl != nil {
		return rl
	}
	apiErr := &APIError{Kind: KindGitLab, StatusCode: resp.StatusCode, Message: msg}
	if resp.Request != nil {
		apiErr.Method = resp.Request.Method
		apiErr.URL = urlWithoutQuery(resp.Request.URL.String())
	}
	return apiErr
}

func (g *gitlabClient) repo(p *gitlab.Project) Repo {
	return Repo{
		Kind:          KindGitLab,
		Name:          g.host + "/" + p.PathWithNamespace,
		Path:          p.PathWithNamespace,
		URI:           p.WebURL,
		CloneURL:      stripCredentials(p.HTTPURLToRepo),
		ExternalID:    strconv.FormatInt(p.ID, 10),
		DefaultBranch: p.DefaultBranch,
		Description:   p.Description,
		Fork:          p.ForkedFromProject != nil,
		Archived:      p.Archived,
		Private:       p.Visibility != gitlab.PublicVisibility,
		Credential:    CloneCredential(g.cfg),
	}
}

func (g *gitlabClient) ListRepos(ctx context.Context) ([]Repo, error) {
	set := newRepoSet(g.cfg.Exclude)
	var missing []string
	for _, path := range g.cfg.Repos {
		p, resp, err := g.c.Projects.GetProject(path, nil, gitlab.WithContext(ctx))
		if err = g.wrap(err, resp); err != nil {
			if errors.Is(err, ErrNotFound) {
				missing = append(missing, path)
				continue
			}
			return nil, fmt.Errorf("getting GitLab project %s: %w", path, err)
		}
		set.add(g.repo(p))
	}
	for _, group := range g.cfg.Orgs {
		opt := &gitlab.ListGroupProjectsOptions{
			ListOptions:      gitlab.ListOptions{PerPage: gitlabPerPage, Page: 1},
			IncludeSubGroups: gitlab.Ptr(true),
			OrderBy:          gitlab.Ptr("id"),
			Sort:             gitlab.Ptr("asc"),
		}
		for {
			projects, resp, err := g.c.Groups.ListGroupProjects(group, opt, gitlab.WithContext(ctx))
			if err = g.wrap(err, resp); err != nil {
				return nil, fmt.Errorf("listing projects of GitLab group %s: %w", group, err)
			}
			for _, p := range projects {
				set.add(g.repo(p))
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	if g.cfg.Query != "" {
		opt := &gitlab.ListProjectsOptions{
			ListOptions: gitlab.ListOptions{PerPage: gitlabPerPage, Page: 1},
			Search:      gitlab.Ptr(g.cfg.Query),
			OrderBy:     gitlab.Ptr("id"),
			Sort:        gitlab.Ptr("asc"),
		}
		for {
			projects, resp, err := g.c.Projects.ListProjects(opt, gitlab.WithContext(ctx))
			if err = g.wrap(err, resp); err != nil {
				return nil, fmt.Errorf("searching GitLab projects for %q: %w", g.cfg.Query, err)
			}
			for _, p := range projects {
				set.add(g.repo(p))
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	repos := set.sorted()
	if len(missing) > 0 {
		return repos, fmt.Errorf("GitLab projects %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return repos, nil
}

// pid identifies a project by its numeric ID when known (stable across renames), else path.
func (g *gitlabClient) pid(repo Repo) (any, error) {
	if id, err := strconv.ParseInt(repo.ExternalID, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	return repoPath(repo)
}

func (g *gitlabClient) ListRepoPermissions(ctx context.Context, repo Repo) ([]string, error) {
	pid, err := g.pid(repo)
	if err != nil {
		return nil, err
	}
	var logins []string
	opt := &gitlab.ListProjectMembersOptions{ListOptions: gitlab.ListOptions{PerPage: gitlabPerPage, Page: 1}}
	for {
		members, resp, err := g.c.ProjectMembers.ListAllProjectMembers(pid, opt, gitlab.WithContext(ctx))
		if err = g.wrap(err, resp); err != nil {
			return nil, fmt.Errorf("listing members of GitLab project %s: %w", repo.Name, err)
		}
		for _, m := range members {
			if m.State != "" && m.State != "active" {
				continue
			}
			logins = append(logins, m.Username, m.Email)
		}
		if resp.NextPage == 0 {
			return dedupeSorted(logins), nil
		}
		opt.Page = resp.NextPage
	}
}

func gitlabIID(externalID string) (int64, error) {
	n, err := strconv.ParseInt(externalID, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: GitLab merge request IID %q is not a number", ErrInvalidArgument, externalID)
	}
	return n, nil
}

func (g *gitlabClient) CreateChangeset(ctx context.Context, repo Repo, cs Changeset) (ExternalChangeset, bool, error) {
	pid, err := g.pid(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head, base := branchName(cs.HeadRef), branchName(cs.BaseRef)
	mr, resp, err := g.c.MergeRequests.CreateMergeRequest(pid, &gitlab.CreateMergeRequestOptions{
		Title:        gitlab.Ptr(withDraftPrefix(cs.Title, cs.Draft, gitlabDraftPrefixes)),
		Description:  gitlab.Ptr(cs.Body),
		SourceBranch: gitlab.Ptr(head),
		TargetBranch: gitlab.Ptr(base),
	}, gitlab.WithContext(ctx))
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusConflict {
			// "Another open merge request already exists for this source branch: !7"
			ch, found, ferr := g.FindChangesetByBranch(ctx, repo, head)
			if ferr != nil {
				return ExternalChangeset{}, false, fmt.Errorf("loading the merge request that already exists for %s: %w", head, ferr)
			}
			if found {
				return ch, true, nil
			}
		}
		return ExternalChangeset{}, false, fmt.Errorf("creating GitLab merge request %s -> %s in %s: %w", head, base, repo.Name, g.wrap(err, resp))
	}
	ch, err := g.load(ctx, pid, mr)
	return ch, false, err
}

func (g *gitlabClient) UpdateChangeset(ctx context.Context, repo Repo, externalID string, cs Changeset) (ExternalChangeset, error) {
	pid, iid, cur, err := g.get(ctx, repo, externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	opt := &gitlab.UpdateMergeRequestOptions{Description: gitlab.Ptr(cs.Body)}
	if cs.Title != "" {
		opt.Title = gitlab.Ptr(withDraftPrefix(cs.Title, cur.Draft, gitlabDraftPrefixes))
	}
	if base := branchName(cs.BaseRef); base != "" {
		opt.TargetBranch = gitlab.Ptr(base)
	}
	return g.update(ctx, pid, iid, opt, "updating")
}

func (g *gitlabClient) CloseChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.stateEvent(ctx, repo, externalID, "close", "closing")
}

func (g *gitlabClient) ReopenChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.stateEvent(ctx, repo, externalID, "reopen", "reopening")
}

func (g *gitlabClient) stateEvent(ctx context.Context, repo Repo, externalID, event, what string) (ExternalChangeset, error) {
	pid, err := g.pid(repo)
	if err != nil {
		return ExternalChangeset{}, err
	}
	iid, err := gitlabIID(externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	return g.update(ctx, pid, iid, &gitlab.UpdateMergeRequestOptions{StateEvent: gitlab.Ptr(event)}, what)
}

func (g *gitlabClient) update(ctx context.Context, pid any, iid int64, opt *gitlab.UpdateMergeRequestOptions, what string) (ExternalChangeset, error) {
	mr, resp, err := g.c.MergeRequests.UpdateMergeRequest(pid, iid, opt, gitlab.WithContext(ctx))
	if err != nil {
		return ExternalChangeset{}, fmt.Errorf("%s GitLab merge request !%d of project %v: %w", what, iid, pid, g.wrap(err, resp))
	}
	return g.load(ctx, pid, mr)
}

func (g *gitlabClient) get(ctx context.Context, repo Repo, externalID string) (any, int64, *gitlab.MergeRequest, error) {
	pid, err := g.pid(repo)
	if err != nil {
		return nil, 0, nil, err
	}
	iid, err := gitlabIID(externalID)
	if err != nil {
		return nil, 0, nil, err
	}
	mr, resp, err := g.c.MergeRequests.GetMergeRequest(pid, iid, nil, gitlab.WithContext(ctx))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("loading GitLab merge request !%d of %s: %w", iid, repo.Name, g.wrap(err, resp))
	}
	return pid, iid, mr, nil
}

func (g *gitlabClient) LoadChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	pid, _, mr, err := g.get(ctx, repo, externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	return g.load(ctx, pid, mr)
}

func (g *gitlabClient) FindChangesetByBranch(ctx context.Context, repo Repo, headRef string) (ExternalChangeset, bool, error) {
	pid, err := g.pid(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head := branchName(headRef)
	opt := &gitlab.ListProjectMergeRequestsOptions{
		ListOptions:  gitlab.ListOptions{PerPage: gitlabPerPage, Page: 1},
		SourceBranch: gitlab.Ptr(head),
		State:        gitlab.Ptr("all"),
		OrderBy:      gitlab.Ptr("created_at"),
		Sort:         gitlab.Ptr("desc"),
	}
	var best *gitlab.BasicMergeRequest
	for {
		mrs, resp, err := g.c.MergeRequests.ListProjectMergeRequests(pid, opt, gitlab.WithContext(ctx))
		if err != nil {
			return ExternalChangeset{}, false, fmt.Errorf("listing GitLab merge requests of %s for branch %s: %w", repo.Name, head, g.wrap(err, resp))
		}
		for _, mr := range mrs {
			if mr.SourceBranch != head {
				continue
			}
			if best == nil || (mr.State == "opened" && best.State != "opened") {
				best = mr
			}
		}
		if resp.NextPage == 0 || (best != nil && best.State == "opened") {
			break
		}
		opt.Page = resp.NextPage
	}
	if best == nil {
		return ExternalChangeset{}, false, nil
	}
	ch, err := g.LoadChangeset(ctx, repo, strconv.FormatInt(best.IID, 10))
	return ch, err == nil, err
}

func (g *gitlabClient) UndraftChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	pid, iid, mr, err := g.get(ctx, repo, externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	if !mr.Draft && !hasDraftPrefix(mr.Title, gitlabDraftPrefixes) {
		return g.load(ctx, pid, mr)
	}
	opt := &gitlab.UpdateMergeRequestOptions{Title: gitlab.Ptr(stripDraftPrefix(mr.Title, gitlabDraftPrefixes))}
	return g.update(ctx, pid, iid, opt, "marking ready")
}

// load completes a merge request with approvals and reviewer states; checks come from
// its head pipeline.
func (g *gitlabClient) load(ctx context.Context, pid any, mr *gitlab.MergeRequest) (ExternalChangeset, error) {
	ch := ExternalChangeset{
		ExternalID: strconv.FormatInt(mr.IID, 10),
		Number:     mr.IID,
		URL:        mr.WebURL,
		Title:      mr.Title,
		Body:       mr.Description,
		HeadRef:    mr.SourceBranch,
		BaseRef:    mr.TargetBranch,
		HeadSHA:    mr.SHA,
		Labels:     append([]string(nil), mr.Labels...),
	}
	if mr.CreatedAt != nil {
		ch.CreatedAt = *mr.CreatedAt
	}
	if mr.UpdatedAt != nil {
		ch.UpdatedAt = *mr.UpdatedAt
	}
	switch mr.State {
	case "merged":
		ch.State = StateMerged
	case "closed", "locked":
		ch.State = StateClosed
	default:
		if mr.Draft || mr.WorkInProgress {
			ch.State = StateDraft
		} else {
			ch.State = StateOpen
		}
	}

	var sum reviewSummary
	approvals, resp, err := g.c.MergeRequests.GetMergeRequestApprovals(pid, mr.IID, gitlab.WithContext(ctx))
	if err = g.wrap(err, resp); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden) {
		return ExternalChangeset{}, fmt.Errorf("loading approvals of GitLab merge request !%d: %w", mr.IID, err)
	}
	if approvals != nil && len(approvals.ApprovedBy) > 0 {
		sum.add(ReviewApproved)
	}
	reviewers, resp, err := g.c.MergeRequests.GetMergeRequestReviewers(pid, mr.IID, gitlab.WithContext(ctx))
	if err = g.wrap(err, resp); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden) {
		return ExternalChangeset{}, fmt.Errorf("loading reviewers of GitLab merge request !%d: %w", mr.IID, err)
	}
	for _, r := range reviewers {
		switch r.State {
		case "requested_changes":
			sum.add(ReviewChangesRequested)
		case "approved":
			sum.add(ReviewApproved)
		case "reviewed":
			sum.add(ReviewCommented)
		}
	}
	if mr.UserNotesCount > 0 {
		sum.add(ReviewCommented)
	}
	ch.ReviewState = sum.state()

	ch.CheckState = CheckUnknown
	if p := mr.HeadPipeline; p != nil {
		switch p.Status {
		case "success", "skipped":
			ch.CheckState = CheckPassed
		case "failed", "canceled", "canceling":
			ch.CheckState = CheckFailed
		default: // created, waiting_for_resource, preparing, pending, running, scheduled
			ch.CheckState = CheckPending
		}
		if ch.HeadSHA == "" {
			ch.HeadSHA = p.SHA
		}
	}
	return ch, nil
}
