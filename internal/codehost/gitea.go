package codehost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"code.gitea.io/sdk/gitea"
)

// giteaClient speaks to Gitea (and Forgejo) through the Gitea SDK. The SDK binds a
// context to a client, so each call gets a light client of its own; version probing is
// off (Lookout targets Gitea 1.22 and later), which saves a request per client.
type giteaClient struct {
	cfg  *GiteaConfig
	hc   *http.Client
	url  string
	host string
}

func newGitea(cfg *GiteaConfig, hc *http.Client) (*giteaClient, error) {
	svc := cfg.ServiceURL()
	return &giteaClient{cfg: cfg, hc: hc, url: svc, host: hostOf(svc)}, nil
}

// giteaPageSize is Gitea's default MAX_RESPONSE_ITEMS; servers may cap lower, and the
// Link header is followed either way.
const giteaPageSize = 50

func (g *giteaClient) client(ctx context.Context) (*gitea.Client, error) {
	c, err := gitea.NewClient(g.url,
		gitea.SetToken(g.cfg.Token),
		gitea.SetHTTPClient(g.hc),
		gitea.SetContext(ctx),
		gitea.SetGiteaVersion(""),
	)
	if err != nil {
		return nil, fmt.Errorf("creating Gitea client for %s: %w", g.url, err)
	}
	return c, nil
}

func (g *giteaClient) wrap(err error, resp *gitea.Response) error {
	if err == nil {
		return nil
	}
	if resp == nil || resp.Response == nil || resp.StatusCode < 400 {
		return err
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if rl := rateLimitFromResponse(KindGitea, resp.Response, msg); rl != nil {
		return rl
	}
	apiErr := &APIError{Kind: KindGitea, StatusCode: resp.StatusCode, Message: msg}
	if resp.Request != nil {
		apiErr.Method = resp.Request.Method
		apiErr.URL = urlWithoutQuery(resp.Request.URL.String())
	}
	return apiErr
}

func (g *giteaClient) repo(r *gitea.Repository) Repo {
	return Repo{
		Kind:          KindGitea,
		Name:          g.host + "/" + r.FullName,
		Path:          r.FullName,
		URI:           r.HTMLURL,
		CloneURL:      stripCredentials(r.CloneURL),
		ExternalID:    strconv.FormatInt(r.ID, 10),
		DefaultBranch: r.DefaultBranch,
		Description:   r.Description,
		Fork:          r.Fork,
		Archived:      r.Archived,
		Private:       r.Private,
		Credential:    CloneCredential(g.cfg),
	}
}

func (g *giteaClient) ListRepos(ctx context.Context) ([]Repo, error) {
	c, err := g.client(ctx)
	if err != nil {
		return nil, err
	}
	set := newRepoSet(g.cfg.Exclude)
	var missing []string
	for _, path := range g.cfg.Repos {
		owner, name, err := splitOwnerName(path)
		if err != nil {
			return nil, err
		}
		r, resp, err := c.GetRepo(owner, name)
		if err = g.wrap(err, resp); err != nil {
			if errors.Is(err, ErrNotFound) {
				missing = append(missing, path)
				continue
			}
			return nil, fmt.Errorf("getting Gitea repository %s: %w", path, err)
		}
		set.add(g.repo(r))
	}
	for _, org := range g.cfg.Orgs {
		if err := g.listOrg(c, org, set); err != nil {
			return nil, err
		}
	}
	if g.cfg.Query != "" {
		opt := gitea.SearchRepoOptions{Keyword: g.cfg.Query, Sort: "id", Order: "asc",
			ListOptions: gitea.ListOptions{Page: 1, PageSize: giteaPageSize}}
		for {
			repos, resp, err := c.SearchRepos(opt)
			if err = g.wrap(err, resp); err != nil {
				return nil, fmt.Errorf("searching Gitea repositories for %q: %w", g.cfg.Query, err)
			}
			for _, r := range repos {
				set.add(g.repo(r))
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	repos := set.sorted()
	if len(missing) > 0 {
		return repos, fmt.Errorf("Gitea repositories %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return repos, nil
}

// listOrg lists an organization's repositories, or a user's when the name is a user.
func (g *giteaClient) listOrg(c *gitea.Client, org string, set *repoSet) error {
	opt := gitea.ListOrgReposOptions{ListOptions: gitea.ListOptions{Page: 1, PageSize: giteaPageSize}}
	for {
		repos, resp, err := c.ListOrgRepos(org, opt)
		if err = g.wrap(err, resp); err != nil {
			if errors.Is(err, ErrNotFound) && opt.Page == 1 {
				return g.listUser(c, org, set)
			}
			return fmt.Errorf("listing repositories of Gitea organization %s: %w", org, err)
		}
		for _, r := range repos {
			set.add(g.repo(r))
		}
		if resp.NextPage == 0 {
			return nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *giteaClient) listUser(c *gitea.Client, user string, set *repoSet) error {
	opt := gitea.ListReposOptions{ListOptions: gitea.ListOptions{Page: 1, PageSize: giteaPageSize}}
	for {
		repos, resp, err := c.ListUserRepos(user, opt)
		if err = g.wrap(err, resp); err != nil {
			return fmt.Errorf("listing repositories of Gitea organization or user %s: %w", user, err)
		}
		for _, r := range repos {
			set.add(g.repo(r))
		}
		if resp.NextPage == 0 {
			return nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *giteaClient) ownerName(repo Repo) (string, string, error) {
	path, err := repoPath(repo)
	if err != nil {
		return "", "", err
	}
	return splitOwnerName(path)
}

func (g *giteaClient) ListRepoPermissions(ctx context.Context, repo Repo) ([]string, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return nil, err
	}
	c, err := g.client(ctx)
	if err != nil {
		return nil, err
	}
	var logins []string
	opt := gitea.ListCollaboratorsOptions{ListOptions: gitea.ListOptions{Page: 1, PageSize: giteaPageSize}}
	for {
		users, resp, err := c.ListCollaborators(owner, name, opt)
		if err = g.wrap(err, resp); err != nil {
			return nil, fmt.Errorf("listing collaborators of Gitea repository %s/%s: %w", owner, name, err)
		}
		for _, u := range users {
			logins = append(logins, u.UserName, u.Email)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	// A user-owned repository is readable by its owner, who is not a collaborator.
	_, resp, err := c.GetOrg(owner)
	switch err = g.wrap(err, resp); {
	case errors.Is(err, ErrNotFound):
		logins = append(logins, owner)
	case err != nil:
		return nil, fmt.Errorf("checking whether Gitea owner %s is an organization: %w", owner, err)
	}
	return dedupeSorted(logins), nil
}

func giteaIndex(externalID string) (int64, error) {
	n, err := strconv.ParseInt(externalID, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: Gitea pull request number %q is not a number", ErrInvalidArgument, externalID)
	}
	return n, nil
}

func (g *giteaClient) CreateChangeset(ctx context.Context, repo Repo, cs Changeset) (ExternalChangeset, bool, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	c, err := g.client(ctx)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head, base := branchName(cs.HeadRef), branchName(cs.BaseRef)
	pr, resp, err := c.CreatePullRequest(owner, name, gitea.CreatePullRequestOption{
		Head:  head,
		Base:  base,
		Title: withDraftPrefix(cs.Title, cs.Draft, giteaDraftPrefixes),
		Body:  cs.Body,
	})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusConflict {
			// "pull request already exists for these targets [id: 3, issue_id: 5, ...]"
			existing, gresp, gerr := c.GetPullRequestByBaseHead(owner, name, base, head)
			if gerr = g.wrap(gerr, gresp); gerr == nil {
				ch, lerr := g.load(c, owner, name, existing)
				return ch, lerr == nil, lerr
			} else if !errors.Is(gerr, ErrNotFound) {
				return ExternalChangeset{}, false, fmt.Errorf("loading the pull request that already exists for %s: %w", head, gerr)
			}
			ch, found, ferr := g.FindChangesetByBranch(ctx, repo, head)
			if ferr != nil {
				return ExternalChangeset{}, false, fmt.Errorf("loading the pull request that already exists for %s: %w", head, ferr)
			}
			if found {
				return ch, true, nil
			}
		}
		return ExternalChangeset{}, false, fmt.Errorf("creating Gitea pull request %s -> %s in %s/%s: %w", head, base, owner, name, g.wrap(err, resp))
	}
	ch, err := g.load(c, owner, name, pr)
	return ch, false, err
}

func (g *giteaClient) UpdateChangeset(ctx context.Context, repo Repo, externalID string, cs Changeset) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, "updating", func(cur *gitea.PullRequest) gitea.EditPullRequestOption {
		opt := gitea.EditPullRequestOption{Body: &cs.Body, Base: branchName(cs.BaseRef)}
		if cs.Title != "" {
			opt.Title = withDraftPrefix(cs.Title, giteaIsDraft(cur), giteaDraftPrefixes)
		}
		return opt
	})
}

func (g *giteaClient) CloseChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, "closing", func(*gitea.PullRequest) gitea.EditPullRequestOption {
		state := gitea.StateClosed
		return gitea.EditPullRequestOption{State: &state}
	})
}

func (g *giteaClient) ReopenChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, "reopening", func(*gitea.PullRequest) gitea.EditPullRequestOption {
		state := gitea.StateOpen
		return gitea.EditPullRequestOption{State: &state}
	})
}

func (g *giteaClient) UndraftChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, "marking ready", func(cur *gitea.PullRequest) gitea.EditPullRequestOption {
		if !giteaIsDraft(cur) {
			return gitea.EditPullRequestOption{}
		}
		return gitea.EditPullRequestOption{Title: stripDraftPrefix(cur.Title, giteaDraftPrefixes)}
	})
}

// edit loads the pull request, then applies the edit that change derives from it (an
// empty edit only reloads).
func (g *giteaClient) edit(ctx context.Context, repo Repo, externalID, what string, change func(*gitea.PullRequest) gitea.EditPullRequestOption) (ExternalChangeset, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, err
	}
	n, err := giteaIndex(externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	c, err := g.client(ctx)
	if err != nil {
		return ExternalChangeset{}, err
	}
	cur, resp, err := c.GetPullRequest(owner, name, n)
	if err != nil {
		return ExternalChangeset{}, fmt.Errorf("loading Gitea pull request %s/%s#%d: %w", owner, name, n, g.wrap(err, resp))
	}
	opt := change(cur)
	if opt.Title == "" && opt.Body == nil && opt.Base == "" && opt.State == nil {
		return g.load(c, owner, name, cur)
	}
	pr, resp, err := c.EditPullRequest(owner, name, n, opt)
	if err != nil {
		return ExternalChangeset{}, fmt.Errorf("%s Gitea pull request %s/%s#%d: %w", what, owner, name, n, g.wrap(err, resp))
	}
	return g.load(c, owner, name, pr)
}

func (g *giteaClient) LoadChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, "loading", func(*gitea.PullRequest) gitea.EditPullRequestOption {
		return gitea.EditPullRequestOption{}
	})
}

func (g *giteaClient) FindChangesetByBranch(ctx context.Context, repo Repo, headRef string) (ExternalChangeset, bool, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	c, err := g.client(ctx)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head := branchName(headRef)
	// Open pull requests first: usually few, and the one to adopt.
	for _, state := range []gitea.StateType{gitea.StateOpen, gitea.StateAll} {
		var best *gitea.PullRequest
		opt := gitea.ListPullRequestsOptions{State: state, ListOptions: gitea.ListOptions{Page: 1, PageSize: giteaPageSize}}
		for {
			prs, resp, err := c.ListRepoPullRequests(owner, name, opt)
			if err = g.wrap(err, resp); err != nil {
				return ExternalChangeset{}, false, fmt.Errorf("listing Gitea pull requests of %s/%s: %w", owner, name, err)
			}
			for _, pr := range prs {
				if pr.Head == nil || pr.Head.Ref != head {
					continue
				}
				if best == nil || (pr.Created != nil && best.Created != nil && pr.Created.After(*best.Created)) {
					best = pr
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
		if best != nil {
			ch, err := g.load(c, owner, name, best)
			return ch, err == nil, err
		}
	}
	return ExternalChangeset{}, false, nil
}

func giteaIsDraft(pr *gitea.PullRequest) bool {
	return pr.Draft || hasDraftPrefix(pr.Title, giteaDraftPrefixes)
}

// load completes a pull request with its reviews and the combined status of its head.
func (g *giteaClient) load(c *gitea.Client, owner, name string, pr *gitea.PullRequest) (ExternalChangeset, error) {
	ch := ExternalChangeset{
		ExternalID: strconv.FormatInt(pr.Index, 10),
		Number:     pr.Index,
		URL:        pr.HTMLURL,
		Title:      pr.Title,
		Body:       pr.Body,
	}
	if pr.Head != nil {
		ch.HeadRef, ch.HeadSHA = pr.Head.Ref, pr.Head.Sha
	}
	if pr.Base != nil {
		ch.BaseRef = pr.Base.Ref
	}
	if pr.Created != nil {
		ch.CreatedAt = *pr.Created
	}
	if pr.Updated != nil {
		ch.UpdatedAt = *pr.Updated
	}
	for _, l := range pr.Labels {
		ch.Labels = append(ch.Labels, l.Name)
	}
	switch {
	case pr.HasMerged:
		ch.State = StateMerged
	case pr.State == gitea.StateClosed:
		ch.State = StateClosed
	case giteaIsDraft(pr):
		ch.State = StateDraft
	default:
		ch.State = StateOpen
	}

	latest := map[string]ReviewState{}
	var sum reviewSummary
	opt := gitea.ListPullReviewsOptions{ListOptions: gitea.ListOptions{Page: 1, PageSize: giteaPageSize}}
	for {
		reviews, resp, err := c.ListPullReviews(owner, name, pr.Index, opt)
		if err = g.wrap(err, resp); err != nil {
			return ExternalChangeset{}, fmt.Errorf("listing reviews of Gitea pull request %s/%s#%d: %w", owner, name, pr.Index, err)
		}
		for _, r := range reviews {
			if r.Dismissed {
				continue
			}
			reviewer := ""
			if r.Reviewer != nil {
				reviewer = r.Reviewer.UserName
			}
			switch r.State {
			case gitea.ReviewStateApproved:
				latest[reviewer] = ReviewApproved
			case gitea.ReviewStateRequestChanges:
				latest[reviewer] = ReviewChangesRequested
			case gitea.ReviewStateComment:
				sum.add(ReviewCommented)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	for _, s := range latest {
		sum.add(s)
	}
	ch.ReviewState = sum.state()

	ch.CheckState = CheckUnknown
	if ch.HeadSHA != "" {
		status, resp, err := c.GetCombinedStatus(owner, name, ch.HeadSHA)
		if err = g.wrap(err, resp); err != nil && !errors.Is(err, ErrNotFound) {
			return ExternalChangeset{}, fmt.Errorf("loading commit status of %s/%s@%s: %w", owner, name, ch.HeadSHA, err)
		}
		if status != nil && (status.TotalCount > 0 || len(status.Statuses) > 0) {
			var checks checkSummary
			for _, s := range status.Statuses {
				switch s.State {
				case gitea.StatusSuccess, gitea.StatusWarning:
					checks.add(CheckPassed)
				case gitea.StatusPending:
					checks.add(CheckPending)
				default:
					checks.add(CheckFailed)
				}
			}
			ch.CheckState = checks.state()
		}
	}
	return ch, nil
}
