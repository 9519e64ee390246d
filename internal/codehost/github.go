package codehost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v93/github"
)

// githubClient speaks to GitHub.com or GitHub Enterprise Server through go-github, plus
// one GraphQL mutation (marking a draft ready) that the REST API does not offer.
type githubClient struct {
	cfg        *GitHubConfig
	c          *github.Client
	hc         *http.Client
	host       string
	graphqlURL string
}

func newGitHub(cfg *GitHubConfig, hc *http.Client) (*githubClient, error) {
	svc := cfg.ServiceURL()
	host := hostOf(svc)
	opts := []github.ClientOptionsFunc{github.WithHTTPClient(hc), github.WithAuthToken(cfg.Token)}
	graphqlURL := "https://api.github.com/graphql"
	if host == "api.github.com" {
		host = "github.com"
	}
	if host != "github.com" {
		// GitHub Enterprise Server serves its REST API under /api/v3 and GraphQL at /api/graphql.
		opts = append(opts, github.WithEnterpriseURLs(svc+"/", svc+"/"))
		graphqlURL = svc + "/api/graphql"
	}
	c, err := github.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating GitHub client for %s: %w", svc, err)
	}
	return &githubClient{cfg: cfg, c: c, hc: hc, host: host, graphqlURL: graphqlURL}, nil
}

const githubPerPage = 100

// contentCreationWait is how long to hold back after GitHub's content-creation limit
// ("was submitted too quickly"), which gives no Retry-After.
const contentCreationWait = 10 * time.Minute

// wrap turns go-github's errors into this package's: rate limits into *RateLimitError,
// other HTTP answers into *APIError.
func (g *githubClient) wrap(err error) error {
	if err == nil {
		return nil
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		wait := defaultRetryAfter
		if !rl.Rate.Reset.IsZero() {
			wait = atLeastOneSecond(time.Until(rl.Rate.Reset.Time))
		}
		if rl.Response != nil && rl.Response.Header.Get("Retry-After") != "" {
			wait = retryAfter(rl.Response.Header, time.Now())
		}
		return &RateLimitError{Kind: KindGitHub, RetryAfter: wait, Message: rl.Message}
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		wait := defaultRetryAfter
		if abuse.RetryAfter != nil {
			wait = atLeastOneSecond(*abuse.RetryAfter)
		}
		return &RateLimitError{Kind: KindGitHub, RetryAfter: wait, Message: abuse.Message}
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if rle := rateLimitFromResponse(KindGitHub, er.Response, er.Message); rle != nil {
			return rle
		}
		msg := er.Message
		for _, e := range er.Errors {
			if e.Message != "" {
				msg += "; " + e.Message
			} else if e.Field != "" {
				msg += fmt.Sprintf("; %s %s", e.Field, e.Code)
			}
		}
		// GitHub's undocumented content-creation limit answers 422 "was submitted too
		// quickly" with no headers; it lifts after minutes, so it is a rate limit, not a
		// failure of the pull request.
		if er.Response.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(msg), "submitted too quickly") {
			return &RateLimitError{Kind: KindGitHub, RetryAfter: contentCreationWait, Message: msg}
		}
		apiErr := &APIError{Kind: KindGitHub, StatusCode: er.Response.StatusCode, Message: msg}
		if er.Response.Request != nil {
			apiErr.Method = er.Response.Request.Method
			apiErr.URL = urlWithoutQuery(er.Response.Request.URL.String())
		}
		return apiErr
	}
	return err
}

func (g *githubClient) repo(r *github.Repository) Repo {
	return Repo{
		Kind:          KindGitHub,
		Name:          g.host + "/" + r.GetFullName(),
		Path:          r.GetFullName(),
		URI:           r.GetHTMLURL(),
		CloneURL:      stripCredentials(r.GetCloneURL()),
		ExternalID:    strconv.FormatInt(r.GetID(), 10),
		DefaultBranch: r.GetDefaultBranch(),
		Description:   r.GetDescription(),
		Fork:          r.GetFork(),
		Archived:      r.GetArchived(),
		Private:       r.GetPrivate() || r.GetVisibility() == "internal",
		Credential:    CloneCredential(g.cfg),
	}
}

func (g *githubClient) ListRepos(ctx context.Context) ([]Repo, error) {
	set := newRepoSet(g.cfg.Exclude)
	var missing []string
	for _, path := range g.cfg.Repos {
		owner, name, err := splitOwnerName(path)
		if err != nil {
			return nil, err
		}
		r, _, err := g.c.Repositories.Get(ctx, owner, name)
		if err = g.wrap(err); err != nil {
			if errors.Is(err, ErrNotFound) {
				missing = append(missing, path)
				continue
			}
			return nil, fmt.Errorf("getting GitHub repository %s: %w", path, err)
		}
		set.add(g.repo(r))
	}
	for _, org := range g.cfg.Orgs {
		if err := g.listOrg(ctx, org, set); err != nil {
			return nil, err
		}
	}
	if g.cfg.Query != "" {
		opt := &github.SearchOptions{ListOptions: github.ListOptions{PerPage: githubPerPage}}
		for {
			res, resp, err := g.c.Search.Repositories(ctx, g.cfg.Query, opt)
			if err = g.wrap(err); err != nil {
				return nil, fmt.Errorf("searching GitHub repositories for %q: %w", g.cfg.Query, err)
			}
			for _, r := range res.Repositories {
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
		return repos, fmt.Errorf("GitHub repositories %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return repos, nil
}

// listOrg lists an organization's repositories, or a user's when the name is a user.
func (g *githubClient) listOrg(ctx context.Context, org string, set *repoSet) error {
	opt := &github.RepositoryListByOrgOptions{Type: "all", ListOptions: github.ListOptions{PerPage: githubPerPage}}
	for {
		repos, resp, err := g.c.Repositories.ListByOrg(ctx, org, opt)
		if err = g.wrap(err); err != nil {
			if errors.Is(err, ErrNotFound) && opt.Page == 0 {
				return g.listUser(ctx, org, set)
			}
			return fmt.Errorf("listing repositories of GitHub organization %s: %w", org, err)
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

func (g *githubClient) listUser(ctx context.Context, user string, set *repoSet) error {
	opt := &github.RepositoryListByUserOptions{Type: "owner", ListOptions: github.ListOptions{PerPage: githubPerPage}}
	for {
		repos, resp, err := g.c.Repositories.ListByUser(ctx, user, opt)
		if err = g.wrap(err); err != nil {
			return fmt.Errorf("listing repositories of GitHub organization or user %s: %w", user, err)
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

func (g *githubClient) ListRepoPermissions(ctx context.Context, repo Repo) ([]string, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return nil, err
	}
	var logins []string
	opt := &github.ListCollaboratorsOptions{Affiliation: "all", ListOptions: github.ListOptions{PerPage: githubPerPage}}
	for {
		users, resp, err := g.c.Repositories.ListCollaborators(ctx, owner, name, opt)
		if err = g.wrap(err); err != nil {
			return nil, fmt.Errorf("listing collaborators of GitHub repository %s/%s: %w", owner, name, err)
		}
		for _, u := range users {
			logins = append(logins, u.GetLogin(), u.GetEmail())
		}
		if resp.NextPage == 0 {
			return dedupeSorted(logins), nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *githubClient) ownerName(repo Repo) (string, string, error) {
	path, err := repoPath(repo)
	if err != nil {
		return "", "", err
	}
	return splitOwnerName(path)
}

func githubNumber(externalID string) (int, error) {
	n, err := strconv.Atoi(externalID)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: GitHub pull request ID %q is not a number", ErrInvalidArgument, externalID)
	}
	return n, nil
}

func (g *githubClient) CreateChangeset(ctx context.Context, repo Repo, cs Changeset) (ExternalChangeset, bool, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head, base := branchName(cs.HeadRef), branchName(cs.BaseRef)
	req := github.CreatePullRequest{Title: &cs.Title, Head: head, Base: base, Body: &cs.Body}
	if cs.Draft {
		req.Draft = github.Ptr(true)
	}
	pr, _, err := g.c.PullRequests.Create(ctx, owner, name, req)
	if err != nil {
		if githubAlreadyExists(err) {
			ch, found, ferr := g.FindChangesetByBranch(ctx, repo, head)
			if ferr != nil {
				return ExternalChangeset{}, false, fmt.Errorf("loading the pull request that already exists for %s:%s: %w", owner, head, ferr)
			}
			if !found {
				return ExternalChangeset{}, false, fmt.Errorf("GitHub says a pull request exists for %s:%s but lists none: %w", owner, head, g.wrap(err))
			}
			return ch, true, nil
		}
		return ExternalChangeset{}, false, fmt.Errorf("creating GitHub pull request %s:%s -> %s in %s/%s: %w", owner, head, base, owner, name, g.wrap(err))
	}
	ch, err := g.load(ctx, owner, name, pr)
	return ch, false, err
}

// githubAlreadyExists recognises GitHub's 422 "A pull request already exists for owner:branch."
func githubAlreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.Contains(e.Message, "A pull request already exists") {
			return true
		}
	}
	return strings.Contains(er.Message, "A pull request already exists")
}

func (g *githubClient) UpdateChangeset(ctx context.Context, repo Repo, externalID string, cs Changeset) (ExternalChangeset, error) {
	edit := &github.PullRequest{Body: &cs.Body}
	if cs.Title != "" {
		edit.Title = &cs.Title
	}
	if base := branchName(cs.BaseRef); base != "" {
		edit.Base = &github.PullRequestBranch{Ref: &base}
	}
	return g.edit(ctx, repo, externalID, edit, "updating")
}

func (g *githubClient) CloseChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, &github.PullRequest{State: github.Ptr("closed")}, "closing")
}

func (g *githubClient) ReopenChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return g.edit(ctx, repo, externalID, &github.PullRequest{State: github.Ptr("open")}, "reopening")
}

func (g *githubClient) edit(ctx context.Context, repo Repo, externalID string, edit *github.PullRequest, what string) (ExternalChangeset, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, err
	}
	n, err := githubNumber(externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	pr, _, err := g.c.PullRequests.Edit(ctx, owner, name, n, edit)
	if err != nil {
		return ExternalChangeset{}, fmt.Errorf("%s GitHub pull request %s/%s#%d: %w", what, owner, name, n, g.wrap(err))
	}
	return g.load(ctx, owner, name, pr)
}

func (g *githubClient) LoadChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, err
	}
	n, err := githubNumber(externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	pr, _, err := g.c.PullRequests.Get(ctx, owner, name, n)
	if err != nil {
		return ExternalChangeset{}, fmt.Errorf("loading GitHub pull request %s/%s#%d: %w", owner, name, n, g.wrap(err))
	}
	return g.load(ctx, owner, name, pr)
}

func (g *githubClient) FindChangesetByBranch(ctx context.Context, repo Repo, headRef string) (ExternalChangeset, bool, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head := branchName(headRef)
	opt := &github.PullRequestListOptions{State: "all", Head: owner + ":" + head, Sort: "created", Direction: "desc",
		ListOptions: github.ListOptions{PerPage: githubPerPage}}
	var best *github.PullRequest
	for {
		prs, resp, err := g.c.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return ExternalChangeset{}, false, fmt.Errorf("listing GitHub pull requests of %s/%s for branch %s: %w", owner, name, head, g.wrap(err))
		}
		for _, pr := range prs {
			if pr.GetHead().GetRef() != head {
				continue
			}
			if best == nil || (pr.GetState() == "open" && best.GetState() != "open") {
				best = pr
			}
		}
		if resp.NextPage == 0 || (best != nil && best.GetState() == "open") {
			break
		}
		opt.Page = resp.NextPage
	}
	if best == nil {
		return ExternalChangeset{}, false, nil
	}
	ch, err := g.LoadChangeset(ctx, repo, strconv.Itoa(best.GetNumber()))
	return ch, err == nil, err
}

func (g *githubClient) UndraftChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	owner, name, err := g.ownerName(repo)
	if err != nil {
		return ExternalChangeset{}, err
	}
	n, err := githubNumber(externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	pr, _, err := g.c.PullRequests.Get(ctx, owner, name, n)
	if err != nil {
		return ExternalChangeset{}, fmt.Errorf("loading GitHub pull request %s/%s#%d: %w", owner, name, n, g.wrap(err))
	}
	if pr.GetDraft() {
		const mutation = `mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { number isDraft } } }`
		if err := g.graphql(ctx, mutation, map[string]any{"id": pr.GetNodeID()}); err != nil {
			return ExternalChangeset{}, fmt.Errorf("marking GitHub pull request %s/%s#%d ready for review: %w", owner, name, n, err)
		}
	}
	return g.LoadChangeset(ctx, repo, externalID)
}

// graphql runs one GraphQL operation, for the few things REST cannot do.
func (g *githubClient) graphql(ctx context.Context, query string, vars map[string]any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.graphqlURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", g.graphqlURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading GraphQL answer: %w", err)
	}
	var out struct {
		Message string `json:"message"`
		Errors  []struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(data, &out)
	if resp.StatusCode != http.StatusOK {
		if rl := rateLimitFromResponse(KindGitHub, resp, out.Message); rl != nil {
			return rl
		}
		return &APIError{Kind: KindGitHub, Method: http.MethodPost, URL: g.graphqlURL, StatusCode: resp.StatusCode, Message: out.Message}
	}
	for _, e := range out.Errors {
		if e.Type == "RATE_LIMITED" {
			return &RateLimitError{Kind: KindGitHub, RetryAfter: retryAfter(resp.Header, time.Now()), Message: e.Message}
		}
	}
	if len(out.Errors) > 0 {
		msgs := make([]string, len(out.Errors))
		for i, e := range out.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("GitHub GraphQL: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// load completes a pull request with its reviews and the checks of its head commit.
func (g *githubClient) load(ctx context.Context, owner, name string, pr *github.PullRequest) (ExternalChangeset, error) {
	ch := ExternalChangeset{
		ExternalID: strconv.Itoa(pr.GetNumber()),
		Number:     int64(pr.GetNumber()),
		URL:        pr.GetHTMLURL(),
		Title:      pr.GetTitle(),
		Body:       pr.GetBody(),
		HeadRef:    pr.GetHead().GetRef(),
		BaseRef:    pr.GetBase().GetRef(),
		HeadSHA:    pr.GetHead().GetSHA(),
		CreatedAt:  pr.GetCreatedAt().Time,
		UpdatedAt:  pr.GetUpdatedAt().Time,
	}
	switch {
	case pr.GetMerged() || pr.MergedAt != nil:
		ch.State = StateMerged
	case pr.GetState() == "closed":
		ch.State = StateClosed
	case pr.GetDraft():
		ch.State = StateDraft
	default:
		ch.State = StateOpen
	}
	for _, l := range pr.Labels {
		ch.Labels = append(ch.Labels, l.GetName())
	}

	review, err := g.reviewState(ctx, owner, name, pr.GetNumber())
	if err != nil {
		return ExternalChangeset{}, err
	}
	ch.ReviewState = review
	checks, err := g.checkState(ctx, owner, name, ch.HeadSHA)
	if err != nil {
		return ExternalChangeset{}, err
	}
	ch.CheckState = checks
	return ch, nil
}

func (g *githubClient) reviewState(ctx context.Context, owner, name string, n int) (ReviewState, error) {
	latest := map[string]ReviewState{} // reviewer -> latest approving/blocking review
	var sum reviewSummary
	opt := &github.ListOptions{PerPage: githubPerPage}
	for {
		reviews, resp, err := g.c.PullRequests.ListReviews(ctx, owner, name, n, opt)
		if err != nil {
			return "", fmt.Errorf("listing reviews of GitHub pull request %s/%s#%d: %w", owner, name, n, g.wrap(err))
		}
		for _, r := range reviews { // oldest first
			user := r.GetUser().GetLogin()
			switch r.GetState() {
			case "APPROVED":
				latest[user] = ReviewApproved
			case "CHANGES_REQUESTED":
				latest[user] = ReviewChangesRequested
			case "DISMISSED":
				delete(latest, user)
			case "COMMENTED":
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
	return sum.state(), nil
}

// checkState combines commit statuses and check runs of the head commit. Hosts or tokens
// that cannot read check runs (403/404) count as having none.
func (g *githubClient) checkState(ctx context.Context, owner, name, sha string) (CheckState, error) {
	if sha == "" {
		return CheckUnknown, nil
	}
	var sum checkSummary
	opt := &github.ListOptions{PerPage: githubPerPage}
	for {
		combined, resp, err := g.c.Repositories.GetCombinedStatus(ctx, owner, name, sha, opt)
		if err != nil {
			return "", fmt.Errorf("loading commit statuses of %s/%s@%s: %w", owner, name, sha, g.wrap(err))
		}
		for _, s := range combined.Statuses {
			switch s.GetState() {
			case "success":
				sum.add(CheckPassed)
			case "pending":
				sum.add(CheckPending)
			default: // failure, error
				sum.add(CheckFailed)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	runOpt := &github.ListCheckRunsOptions{ListOptions: github.ListOptions{PerPage: githubPerPage}}
	for {
		runs, resp, err := g.c.Checks.ListCheckRunsForRef(ctx, owner, name, sha, runOpt)
		if err = g.wrap(err); err != nil {
			if errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) {
				break
			}
			return "", fmt.Errorf("loading check runs of %s/%s@%s: %w", owner, name, sha, err)
		}
		for _, r := range runs.CheckRuns {
			if r.GetStatus() != "completed" {
				sum.add(CheckPending)
				continue
			}
			switch r.GetConclusion() {
			case "success", "neutral", "skipped":
				sum.add(CheckPassed)
			default: // failure, cancelled, timed_out, action_required, stale, startup_failure
				sum.add(CheckFailed)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		runOpt.Page = resp.NextPage
	}
	return sum.state(), nil
}
