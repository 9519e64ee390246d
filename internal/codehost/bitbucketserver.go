package codehost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// bitbucketClient speaks Bitbucket Server / Data Center's REST API (/rest/api/1.0) over
// net/http: there is no well-kept Go client for it.
type bitbucketClient struct {
	cfg  *BitbucketServerConfig
	hc   *http.Client
	url  string
	host string
}

func newBitbucketServer(cfg *BitbucketServerConfig, hc *http.Client) (*bitbucketClient, error) {
	svc := cfg.ServiceURL()
	return &bitbucketClient{cfg: cfg, hc: hc, url: svc, host: hostOf(svc)}, nil
}

// bitbucketPageSize is the limit asked for; the server may cap it lower (its default
// cap is 1000) and paging follows nextPageStart either way.
const bitbucketPageSize = 100

// bitbucketErrors is the error body of every Bitbucket Server endpoint.
type bitbucketErrors struct {
	Errors []struct {
		Context             string       `json:"context"`
		Message             string       `json:"message"`
		ExceptionName       string       `json:"exceptionName"`
		ExistingPullRequest *bitbucketPR `json:"existingPullRequest"`
	} `json:"errors"`
}

func (e bitbucketErrors) message() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, er := range e.Errors {
		msgs = append(msgs, er.Message)
	}
	return strings.Join(msgs, "; ")
}

func (e bitbucketErrors) has(exception string) bool {
	for _, er := range e.Errors {
		if strings.HasSuffix(er.ExceptionName, exception) {
			return true
		}
	}
	return false
}

// bitbucketError is an error answer with its decoded body, for callers that react to a
// specific exception (duplicate pull request, stale version).
type bitbucketError struct {
	*APIError
	body bitbucketErrors
}

func (e *bitbucketError) Unwrap() error { return e.APIError }

// do sends one request. path is relative to the server URL ("/rest/api/1.0/...").
func (b *bitbucketClient) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := b.url + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cfg.Username != "" {
		req.SetBasicAuth(b.cfg.Username, b.cfg.Token)
	} else {
		req.Header.Set("Authorization", "Bearer "+b.cfg.Token)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, b.url+path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", method, b.url+path, err)
	}
	if resp.StatusCode >= 300 {
		var eb bitbucketErrors
		_ = json.Unmarshal(data, &eb)
		msg := eb.message()
		if msg == "" {
			msg = strings.TrimSpace(string(data))
			if len(msg) > 200 {
				msg = msg[:200]
			}
		}
		if rl := rateLimitFromResponse(KindBitbucketServer, resp, msg); rl != nil {
			return rl
		}
		return &bitbucketError{
			APIError: &APIError{Kind: KindBitbucketServer, Method: method, URL: b.url + path, StatusCode: resp.StatusCode, Message: msg},
			body:     eb,
		}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding %s %s: %w", method, b.url+path, err)
		}
	}
	return nil
}

// bitbucketPaged walks a paged collection: {values, isLastPage, nextPageStart}.
func bitbucketPaged[T any](ctx context.Context, b *bitbucketClient, path string, query url.Values, each func(T) bool) error {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	start := 0
	for {
		q.Set("start", strconv.Itoa(start))
		q.Set("limit", strconv.Itoa(bitbucketPageSize))
		var page struct {
			Values        []T  `json:"values"`
			IsLastPage    bool `json:"isLastPage"`
			NextPageStart *int `json:"nextPageStart"`
		}
		if err := b.do(ctx, http.MethodGet, path, q, nil, &page); err != nil {
			return err
		}
		for _, v := range page.Values {
			if !each(v) {
				return nil
			}
		}
		if page.IsLastPage || page.NextPageStart == nil || *page.NextPageStart <= start {
			return nil
		}
		start = *page.NextPageStart
	}
}

type bitbucketLink struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

type bitbucketRepo struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Public        bool   `json:"public"`
	Archived      bool   `json:"archived"`
	DefaultBranch string `json:"defaultBranch"`
	Project       struct {
		Key    string `json:"key"`
		Public bool   `json:"public"`
	} `json:"project"`
	Origin *struct {
		ID int64 `json:"id"`
	} `json:"origin"`
	Links struct {
		Clone []bitbucketLink `json:"clone"`
		Self  []bitbucketLink `json:"self"`
	} `json:"links"`
}

func (b *bitbucketClient) repo(r bitbucketRepo) Repo {
	path := r.Project.Key + "/" + r.Slug
	repo := Repo{
		Kind:          KindBitbucketServer,
		Name:          b.host + "/" + path,
		Path:          path,
		ExternalID:    strconv.FormatInt(r.ID, 10),
		DefaultBranch: r.DefaultBranch,
		Description:   r.Description,
		Fork:          r.Origin != nil,
		Archived:      r.Archived,
		Private:       !r.Public && !r.Project.Public,
		Credential:    CloneCredential(b.cfg),
	}
	for _, l := range r.Links.Clone {
		if l.Name == "http" || l.Name == "https" {
			repo.CloneURL = stripCredentials(l.Href)
		}
	}
	if len(r.Links.Self) > 0 {
		repo.URI = r.Links.Self[0].Href
	}
	return repo
}

func bitbucketRepoPath(project, slug string) string {
	return "/rest/api/1.0/projects/" + url.PathEscape(project) + "/repos/" + url.PathEscape(slug)
}

func (b *bitbucketClient) ListRepos(ctx context.Context) ([]Repo, error) {
	set := newRepoSet(b.cfg.Exclude)
	var missing []string
	for _, path := range b.cfg.Repos {
		project, slug, err := splitOwnerName(path)
		if err != nil {
			return nil, err
		}
		var r bitbucketRepo
		if err := b.do(ctx, http.MethodGet, bitbucketRepoPath(project, slug), nil, nil, &r); err != nil {
			if errors.Is(err, ErrNotFound) {
				missing = append(missing, path)
				continue
			}
			return nil, fmt.Errorf("getting Bitbucket Server repository %s: %w", path, err)
		}
		set.add(b.repo(r))
	}
	add := func(r bitbucketRepo) bool { set.add(b.repo(r)); return true }
	for _, project := range b.cfg.Orgs {
		if err := bitbucketPaged(ctx, b, "/rest/api/1.0/projects/"+url.PathEscape(project)+"/repos", nil, add); err != nil {
			return nil, fmt.Errorf("listing repositories of Bitbucket Server project %s: %w", project, err)
		}
	}
	if b.cfg.Query != "" {
		if err := bitbucketPaged(ctx, b, "/rest/api/1.0/repos", url.Values{"name": {b.cfg.Query}}, add); err != nil {
			return nil, fmt.Errorf("searching Bitbucket Server repositories for %q: %w", b.cfg.Query, err)
		}
	}
	repos := set.sorted()
	if len(missing) > 0 {
		return repos, fmt.Errorf("Bitbucket Server repositories %s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	return repos, nil
}

type bitbucketUser struct {
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	EmailAddress string `json:"emailAddress"`
	DisplayName  string `json:"displayName"`
	Active       *bool  `json:"active"`
}

func (b *bitbucketClient) projectSlug(repo Repo) (string, string, error) {
	path, err := repoPath(repo)
	if err != nil {
		return "", "", err
	}
	return splitOwnerName(path)
}

func (b *bitbucketClient) ListRepoPermissions(ctx context.Context, repo Repo) ([]string, error) {
	project, slug, err := b.projectSlug(repo)
	if err != nil {
		return nil, err
	}
	var logins []string
	add := func(g struct {
		User       bitbucketUser `json:"user"`
		Permission string        `json:"permission"`
	}) bool {
		if g.User.Active == nil || *g.User.Active {
			logins = append(logins, g.User.Name, g.User.EmailAddress)
		}
		return true
	}
	if err := bitbucketPaged(ctx, b, bitbucketRepoPath(project, slug)+"/permissions/users", nil, add); err != nil {
		return nil, fmt.Errorf("listing users granted on Bitbucket Server repository %s/%s: %w", project, slug, err)
	}
	// Project grants apply to every repository in the project; seeing them needs project
	// admin, so a refusal there leaves the repository grants alone.
	err = bitbucketPaged(ctx, b, "/rest/api/1.0/projects/"+url.PathEscape(project)+"/permissions/users", nil, add)
	if err != nil && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrUnauthorized) {
		return nil, fmt.Errorf("listing users granted on Bitbucket Server project %s: %w", project, err)
	}
	return dedupeSorted(logins), nil
}

type bitbucketRef struct {
	ID           string `json:"id"`
	DisplayID    string `json:"displayId,omitempty"`
	LatestCommit string `json:"latestCommit,omitempty"`
	Repository   *struct {
		Slug    string `json:"slug"`
		Project struct {
			Key string `json:"key"`
		} `json:"project"`
	} `json:"repository,omitempty"`
}

type bitbucketParticipant struct {
	User     bitbucketUser `json:"user"`
	Role     string        `json:"role"`
	Approved bool          `json:"approved"`
	Status   string        `json:"status"` // APPROVED, NEEDS_WORK, UNAPPROVED
}

type bitbucketPR struct {
	ID          int64                  `json:"id"`
	Version     int                    `json:"version"`
	Title       string                 `json:"title"`
	Description string                 `json:"description"`
	State       string                 `json:"state"` // OPEN, DECLINED, MERGED
	Draft       bool                   `json:"draft"`
	CreatedDate int64                  `json:"createdDate"`
	UpdatedDate int64                  `json:"updatedDate"`
	FromRef     bitbucketRef           `json:"fromRef"`
	ToRef       bitbucketRef           `json:"toRef"`
	Reviewers   []bitbucketParticipant `json:"reviewers"`
	Properties  struct {
		CommentCount int `json:"commentCount"`
	} `json:"properties"`
	Links struct {
		Self []bitbucketLink `json:"self"`
	} `json:"links"`
}

func bitbucketID(externalID string) (int64, error) {
	n, err := strconv.ParseInt(externalID, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: Bitbucket Server pull request ID %q is not a number", ErrInvalidArgument, externalID)
	}
	return n, nil
}

func (b *bitbucketClient) refTo(project, slug, branch string) bitbucketRef {
	r := bitbucketRef{ID: "refs/heads/" + branch}
	r.Repository = &struct {
		Slug    string `json:"slug"`
		Project struct {
			Key string `json:"key"`
		} `json:"project"`
	}{Slug: slug}
	r.Repository.Project.Key = project
	return r
}

func (b *bitbucketClient) CreateChangeset(ctx context.Context, repo Repo, cs Changeset) (ExternalChangeset, bool, error) {
	if cs.Draft {
		return ExternalChangeset{}, false, fmt.Errorf("opening a draft pull request on Bitbucket Server: %w", ErrUnsupported)
	}
	project, slug, err := b.projectSlug(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head, base := branchName(cs.HeadRef), branchName(cs.BaseRef)
	in := map[string]any{
		"title":       cs.Title,
		"description": cs.Body,
		"state":       "OPEN",
		"open":        true,
		"closed":      false,
		"locked":      false,
		"fromRef":     b.refTo(project, slug, head),
		"toRef":       b.refTo(project, slug, base),
	}
	var pr bitbucketPR
	err = b.do(ctx, http.MethodPost, bitbucketRepoPath(project, slug)+"/pull-requests", nil, in, &pr)
	if err != nil {
		var be *bitbucketError
		if errors.As(err, &be) && be.StatusCode == http.StatusConflict && be.body.has("DuplicatePullRequestException") {
			for _, e := range be.body.Errors {
				if e.ExistingPullRequest != nil && e.ExistingPullRequest.ID > 0 {
					ch, lerr := b.LoadChangeset(ctx, repo, strconv.FormatInt(e.ExistingPullRequest.ID, 10))
					return ch, lerr == nil, lerr
				}
			}
			ch, found, ferr := b.FindChangesetByBranch(ctx, repo, head)
			if ferr != nil {
				return ExternalChangeset{}, false, fmt.Errorf("loading the pull request that already exists for %s: %w", head, ferr)
			}
			if found {
				return ch, true, nil
			}
		}
		return ExternalChangeset{}, false, fmt.Errorf("creating Bitbucket Server pull request %s -> %s in %s/%s: %w", head, base, project, slug, err)
	}
	ch, err := b.load(ctx, project, slug, pr)
	return ch, false, err
}

func (b *bitbucketClient) prPath(repo Repo, externalID string) (string, string, string, error) {
	project, slug, err := b.projectSlug(repo)
	if err != nil {
		return "", "", "", err
	}
	id, err := bitbucketID(externalID)
	if err != nil {
		return "", "", "", err
	}
	return project, slug, bitbucketRepoPath(project, slug) + "/pull-requests/" + strconv.FormatInt(id, 10), nil
}

// withVersion runs a versioned change (Bitbucket's optimistic locking): it loads the
// pull request, applies the change, and tries once more if someone changed it meanwhile.
func (b *bitbucketClient) withVersion(ctx context.Context, repo Repo, externalID, what string, change func(path string, pr bitbucketPR) error) (ExternalChangeset, error) {
	project, slug, path, err := b.prPath(repo, externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	for attempt := 0; ; attempt++ {
		var pr bitbucketPR
		if err := b.do(ctx, http.MethodGet, path, nil, nil, &pr); err != nil {
			return ExternalChangeset{}, fmt.Errorf("loading Bitbucket Server pull request %s/%s#%s: %w", project, slug, externalID, err)
		}
		err := change(path, pr)
		var be *bitbucketError
		if err != nil && attempt == 0 && errors.As(err, &be) && be.StatusCode == http.StatusConflict && be.body.has("PullRequestOutOfDateException") {
			continue
		}
		if err != nil {
			return ExternalChangeset{}, fmt.Errorf("%s Bitbucket Server pull request %s/%s#%s: %w", what, project, slug, externalID, err)
		}
		if err := b.do(ctx, http.MethodGet, path, nil, nil, &pr); err != nil {
			return ExternalChangeset{}, fmt.Errorf("loading Bitbucket Server pull request %s/%s#%s: %w", project, slug, externalID, err)
		}
		return b.load(ctx, project, slug, pr)
	}
}

func (b *bitbucketClient) UpdateChangeset(ctx context.Context, repo Repo, externalID string, cs Changeset) (ExternalChangeset, error) {
	project, slug, err := b.projectSlug(repo)
	if err != nil {
		return ExternalChangeset{}, err
	}
	return b.withVersion(ctx, repo, externalID, "updating", func(path string, pr bitbucketPR) error {
		// Reviewers are sent back as they are: an update replaces the list.
		reviewers := make([]map[string]any, 0, len(pr.Reviewers))
		for _, r := range pr.Reviewers {
			reviewers = append(reviewers, map[string]any{"user": map[string]string{"name": r.User.Name}})
		}
		in := map[string]any{"version": pr.Version, "description": cs.Body, "reviewers": reviewers}
		if cs.Title != "" {
			in["title"] = cs.Title
		} else {
			in["title"] = pr.Title
		}
		if base := branchName(cs.BaseRef); base != "" {
			in["toRef"] = b.refTo(project, slug, base)
		}
		return b.do(ctx, http.MethodPut, path, nil, in, nil)
	})
}

func (b *bitbucketClient) CloseChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return b.withVersion(ctx, repo, externalID, "declining", func(path string, pr bitbucketPR) error {
		if pr.State != "OPEN" {
			return nil
		}
		return b.do(ctx, http.MethodPost, path+"/decline", url.Values{"version": {strconv.Itoa(pr.Version)}}, map[string]any{}, nil)
	})
}

func (b *bitbucketClient) ReopenChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return b.withVersion(ctx, repo, externalID, "reopening", func(path string, pr bitbucketPR) error {
		if pr.State != "DECLINED" {
			return nil
		}
		return b.do(ctx, http.MethodPost, path+"/reopen", url.Values{"version": {strconv.Itoa(pr.Version)}}, map[string]any{}, nil)
	})
}

func (b *bitbucketClient) LoadChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	project, slug, path, err := b.prPath(repo, externalID)
	if err != nil {
		return ExternalChangeset{}, err
	}
	var pr bitbucketPR
	if err := b.do(ctx, http.MethodGet, path, nil, nil, &pr); err != nil {
		return ExternalChangeset{}, fmt.Errorf("loading Bitbucket Server pull request %s/%s#%s: %w", project, slug, externalID, err)
	}
	return b.load(ctx, project, slug, pr)
}

func (b *bitbucketClient) FindChangesetByBranch(ctx context.Context, repo Repo, headRef string) (ExternalChangeset, bool, error) {
	project, slug, err := b.projectSlug(repo)
	if err != nil {
		return ExternalChangeset{}, false, err
	}
	head := branchName(headRef)
	var best *bitbucketPR
	q := url.Values{"state": {"ALL"}, "direction": {"OUTGOING"}, "at": {"refs/heads/" + head}, "order": {"NEWEST"}}
	err = bitbucketPaged(ctx, b, bitbucketRepoPath(project, slug)+"/pull-requests", q, func(pr bitbucketPR) bool {
		if pr.FromRef.ID != "refs/heads/"+head {
			return true
		}
		if best == nil || (pr.State == "OPEN" && best.State != "OPEN") {
			p := pr
			best = &p
		}
		return best.State != "OPEN"
	})
	if err != nil {
		return ExternalChangeset{}, false, fmt.Errorf("listing Bitbucket Server pull requests of %s/%s for branch %s: %w", project, slug, head, err)
	}
	if best == nil {
		return ExternalChangeset{}, false, nil
	}
	ch, err := b.load(ctx, project, slug, *best)
	return ch, err == nil, err
}

func (b *bitbucketClient) UndraftChangeset(ctx context.Context, repo Repo, externalID string) (ExternalChangeset, error) {
	return ExternalChangeset{}, fmt.Errorf("Bitbucket Server drafts: %w", ErrUnsupported)
}

// load completes a pull request with the build statuses of its head commit.
func (b *bitbucketClient) load(ctx context.Context, project, slug string, pr bitbucketPR) (ExternalChangeset, error) {
	ch := ExternalChangeset{
		ExternalID: strconv.FormatInt(pr.ID, 10),
		Number:     pr.ID,
		Title:      pr.Title,
		Body:       pr.Description,
		HeadRef:    branchName(pr.FromRef.ID),
		BaseRef:    branchName(pr.ToRef.ID),
		HeadSHA:    pr.FromRef.LatestCommit,
		CreatedAt:  time.UnixMilli(pr.CreatedDate).UTC(),
		UpdatedAt:  time.UnixMilli(pr.UpdatedDate).UTC(),
	}
	if len(pr.Links.Self) > 0 {
		ch.URL = pr.Links.Self[0].Href
	}
	switch pr.State {
	case "MERGED":
		ch.State = StateMerged
	case "DECLINED":
		ch.State = StateClosed
	default:
		if pr.Draft {
			ch.State = StateDraft
		} else {
			ch.State = StateOpen
		}
	}
	var sum reviewSummary
	for _, r := range pr.Reviewers {
		switch {
		case r.Status == "NEEDS_WORK":
			sum.add(ReviewChangesRequested)
		case r.Status == "APPROVED" || r.Approved:
			sum.add(ReviewApproved)
		}
	}
	if pr.Properties.CommentCount > 0 {
		sum.add(ReviewCommented)
	}
	ch.ReviewState = sum.state()

	ch.CheckState = CheckUnknown
	if ch.HeadSHA != "" {
		var checks checkSummary
		err := bitbucketPaged(ctx, b, "/rest/build-status/1.0/commits/"+url.PathEscape(ch.HeadSHA), nil, func(s struct {
			State string `json:"state"`
		}) bool {
			switch s.State {
			case "SUCCESSFUL":
				checks.add(CheckPassed)
			case "INPROGRESS":
				checks.add(CheckPending)
			default: // FAILED, CANCELLED, UNKNOWN
				checks.add(CheckFailed)
			}
			return true
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return ExternalChangeset{}, fmt.Errorf("loading build statuses of %s/%s@%s: %w", project, slug, ch.HeadSHA, err)
		}
		ch.CheckState = checks.state()
	}
	return ch, nil
}
