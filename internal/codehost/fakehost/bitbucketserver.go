package fakehost

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BitbucketServer fakes Bitbucket Server / Data Center: the REST API under
// /rest/api/1.0 and /rest/build-status/1.0, and git over HTTP at /scm/{key}/{slug}.git.
// A repository's Owner is its project key.
//
// Served: GET /projects/{key}/repos/{slug}, /projects/{key}/repos, /repos?name=,
// /projects/{key}/repos/{slug}/permissions/users, /projects/{key}/permissions/users,
// POST and GET /projects/{key}/repos/{slug}/pull-requests (state, direction, at, order),
// GET and PUT .../pull-requests/{id} (optimistic locking by version), POST
// .../pull-requests/{id}/decline and /reopen (?version=), GET
// /rest/build-status/1.0/commits/{sha}. Collections are pages of {size, limit,
// isLastPage, values, start, nextPageStart} following start/limit. Errors are
// Bitbucket's {"errors":[{context, message, exceptionName}]}: 401
// IncorrectPasswordAuthenticationException, 404 NoSuchRepositoryException, 409
// DuplicatePullRequestException (with existingPullRequest),
// PullRequestOutOfDateException and IllegalPullRequestStateException, 429 with
// Retry-After. Tokens come as Bearer, or Basic with the token as password (and the
// username set with SetUsername, if any).
type BitbucketServer struct {
	*Host
	projectGrants map[string][]string
}

// NewBitbucketServer starts a fake Bitbucket Server, stopped when the test ends.
func NewBitbucketServer(t testing.TB) *BitbucketServer {
	b := &BitbucketServer{projectGrants: map[string][]string{}}
	b.Host = newHost(t, func(h *Host) http.Handler {
		b.Host = h
		return b.handler()
	})
	return b
}

// SetUsername requires Basic authentication to name this user.
func (b *BitbucketServer) SetUsername(u string) { b.mu.Lock(); b.username = u; b.mu.Unlock() }

// GrantProject gives users read access to every repository of a project.
func (b *BitbucketServer) GrantProject(project string, logins ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := strings.ToUpper(project)
	b.projectGrants[key] = append(b.projectGrants[key], logins...)
}

func (b *BitbucketServer) handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/rest/api/1.0"
	const repo = p + "/projects/{key}/repos/{slug}"
	mux.HandleFunc("GET "+repo, b.getRepo)
	mux.HandleFunc("GET "+p+"/projects/{key}/repos", b.projectRepos)
	mux.HandleFunc("GET "+p+"/repos", b.searchRepos)
	mux.HandleFunc("GET "+repo+"/permissions/users", b.repoGrants)
	mux.HandleFunc("GET "+p+"/projects/{key}/permissions/users", b.projectGrantsHandler)
	mux.HandleFunc("POST "+repo+"/pull-requests", b.createPR)
	mux.HandleFunc("GET "+repo+"/pull-requests", b.listPRs)
	mux.HandleFunc("GET "+repo+"/pull-requests/{id}", b.getPR)
	mux.HandleFunc("PUT "+repo+"/pull-requests/{id}", b.updatePR)
	mux.HandleFunc("POST "+repo+"/pull-requests/{id}/decline", b.transition("OPEN", "DECLINED"))
	mux.HandleFunc("POST "+repo+"/pull-requests/{id}/reopen", b.transition("DECLINED", "OPEN"))
	mux.HandleFunc("GET /rest/build-status/1.0/commits/{sha}", b.buildStatus)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/rest/") {
			if !b.serveGit(w, r, "/scm") {
				http.NotFound(w, r)
			}
			return
		}
		if !b.gate(w, r, bearerOrToken, b.rateLimited, b.unauthorized) {
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			b.fail(w, http.StatusNotFound, "com.atlassian.bitbucket.rest.NoSuchResourceException", "The requested resource does not exist.", nil)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (b *BitbucketServer) fail(w http.ResponseWriter, status int, exception, message string, extra map[string]any) {
	e := map[string]any{"context": nil, "message": message, "exceptionName": exception}
	for k, v := range extra {
		e[k] = v
	}
	writeJSON(w, status, map[string]any{"errors": []any{e}})
}

func (b *BitbucketServer) rateLimited(w http.ResponseWriter, wait time.Duration) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
	h.Set("X-RateLimit-Limit", "60")
	h.Set("X-RateLimit-Interval-Seconds", "1")
	h.Set("X-RateLimit-FillRate", "5")
	b.fail(w, http.StatusTooManyRequests, "com.atlassian.bitbucket.ratelimit.RateLimitedException",
		"You have been rate limited. Wait a moment and try again.", nil)
}

func (b *BitbucketServer) unauthorized(w http.ResponseWriter, _ time.Duration) {
	b.fail(w, http.StatusUnauthorized, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
		"Authentication failed. Please check your credentials and try again.", nil)
}

func (b *BitbucketServer) userJSON(login string) map[string]any {
	u := b.userLocked(login)
	return map[string]any{"name": u.Login, "emailAddress": u.Email, "id": u.ID, "displayName": u.Login,
		"active": true, "slug": strings.ToLower(u.Login), "type": "NORMAL",
		"links": map[string]any{"self": []any{map[string]string{"href": b.URL() + "/users/" + strings.ToLower(u.Login)}}}}
}

func (b *BitbucketServer) projectJSON(key string) map[string]any {
	return map[string]any{"key": key, "id": int64(len(key))*31 + 1, "name": key, "public": false, "type": "NORMAL",
		"links": map[string]any{"self": []any{map[string]string{"href": b.URL() + "/projects/" + key}}}}
}

func (b *BitbucketServer) repoJSON(r *Repo) map[string]any {
	u, _ := url.Parse(b.URL())
	withUser := *u
	withUser.User = url.User("admin")
	lowerPath := strings.ToLower(r.Owner) + "/" + r.Name
	j := map[string]any{
		"slug": r.Name, "id": r.ID, "name": r.Name, "hierarchyId": fmt.Sprintf("%020x", r.ID), "scmId": "git",
		"state": "AVAILABLE", "statusMessage": "Available", "forkable": true, "project": b.projectJSON(r.Owner),
		"public": !r.Private, "archived": r.Archived,
		"links": map[string]any{
			"clone": []any{
				map[string]string{"href": withUser.String() + "/scm/" + lowerPath + ".git", "name": "http"},
				map[string]string{"href": "ssh://git@" + u.Hostname() + ":7999/" + lowerPath + ".git", "name": "ssh"},
			},
			"self": []any{map[string]string{"href": b.URL() + "/projects/" + r.Owner + "/repos/" + r.Name + "/browse"}},
		},
	}
	if r.Description != "" {
		j["description"] = r.Description
	}
	if r.Fork {
		j["origin"] = map[string]any{"slug": r.Name, "id": r.ID + 1000000, "name": r.Name, "project": b.projectJSON("UPSTREAM")}
	}
	return j
}

// paginate writes one page of a Bitbucket collection. The caller holds b.mu.
func (b *BitbucketServer) paginate(w http.ResponseWriter, r *http.Request, values []any) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	if start < 0 {
		start = 0
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 25
	}
	if limit > b.maxPerPage {
		limit = b.maxPerPage
	}
	if start > len(values) {
		start = len(values)
	}
	end := start + limit
	if end > len(values) {
		end = len(values)
	}
	page := map[string]any{"size": end - start, "limit": limit, "isLastPage": end >= len(values), "values": values[start:end], "start": start}
	if end < len(values) {
		page["nextPageStart"] = end
	}
	writeJSON(w, http.StatusOK, page)
}

func (b *BitbucketServer) repo(w http.ResponseWriter, r *http.Request) *Repo {
	key, slug := r.PathValue("key"), r.PathValue("slug")
	repo := b.repoLocked(key + "/" + slug)
	if repo == nil {
		b.fail(w, http.StatusNotFound, "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
			fmt.Sprintf("Repository %s/%s does not exist.", key, slug), nil)
	}
	return repo
}

func (b *BitbucketServer) getRepo(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if repo := b.repo(w, r); repo != nil {
		writeJSON(w, http.StatusOK, b.repoJSON(repo))
	}
}

func (b *BitbucketServer) repoValues(keep func(*Repo) bool) []any {
	values := []any{}
	for _, x := range b.sortedRepos(keep) {
		values = append(values, b.repoJSON(x))
	}
	return values
}

func (b *BitbucketServer) projectRepos(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := r.PathValue("key")
	values := b.repoValues(func(x *Repo) bool { return strings.EqualFold(x.Owner, key) })
	if len(values) == 0 && !b.orgs[strings.ToLower(key)] {
		b.fail(w, http.StatusNotFound, "com.atlassian.bitbucket.project.NoSuchProjectException", fmt.Sprintf("Project %s does not exist.", key), nil)
		return
	}
	b.paginate(w, r, values)
}

func (b *BitbucketServer) searchRepos(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	name := strings.ToLower(r.URL.Query().Get("name"))
	b.paginate(w, r, b.repoValues(func(x *Repo) bool { return strings.Contains(strings.ToLower(x.Name), name) }))
}

func (b *BitbucketServer) grants(logins []string, permission string) []any {
	values := []any{}
	for _, l := range logins {
		values = append(values, map[string]any{"user": b.userJSON(l), "permission": permission})
	}
	return values
}

func (b *BitbucketServer) repoGrants(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if repo := b.repo(w, r); repo != nil {
		b.paginate(w, r, b.grants(repo.Collaborators, "REPO_READ"))
	}
}

func (b *BitbucketServer) projectGrantsHandler(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paginate(w, r, b.grants(b.projectGrants[strings.ToUpper(r.PathValue("key"))], "PROJECT_READ"))
}

func bitbucketState(pr *PullRequest) string {
	switch {
	case pr.Merged:
		return "MERGED"
	case pr.State == "closed":
		return "DECLINED"
	}
	return "OPEN"
}

func (b *BitbucketServer) refJSON(repo *Repo, branch, sha string) map[string]any {
	return map[string]any{"id": "refs/heads/" + branch, "displayId": branch, "latestCommit": sha, "type": "BRANCH", "repository": b.repoJSON(repo)}
}

func (b *BitbucketServer) prJSON(repo *Repo, pr *PullRequest) map[string]any {
	comments := 0
	reviewers := []any{}
	for _, rv := range pr.Reviews {
		if rv.State == ReviewCommented {
			comments++
		}
	}
	for _, rv := range latestReviews(pr) {
		status := map[string]string{ReviewApproved: "APPROVED", ReviewChangesRequested: "NEEDS_WORK"}[rv.State]
		if status == "" {
			status = "UNAPPROVED"
		}
		reviewers = append(reviewers, map[string]any{"user": b.userJSON(rv.User), "role": "REVIEWER",
			"approved": status == "APPROVED", "status": status, "lastReviewedCommit": pr.HeadSHA})
	}
	state := bitbucketState(pr)
	j := map[string]any{
		"id": pr.Number, "version": pr.Version, "title": pr.Title, "description": pr.Body, "state": state,
		"open": state == "OPEN", "closed": state != "OPEN", "createdDate": pr.CreatedAt.UnixMilli(), "updatedDate": pr.UpdatedAt.UnixMilli(),
		"fromRef": b.refJSON(repo, pr.Head, pr.HeadSHA), "toRef": b.refJSON(repo, pr.Base, strings.Repeat("b", 40)),
		"locked": false, "author": map[string]any{"user": b.userJSON(pr.Author), "role": "AUTHOR", "approved": false, "status": "UNAPPROVED"},
		"reviewers": reviewers, "participants": []any{},
		"properties": map[string]any{"commentCount": comments, "openTaskCount": 0, "resolvedTaskCount": 0},
		"links":      map[string]any{"self": []any{map[string]string{"href": fmt.Sprintf("%s/projects/%s/repos/%s/pull-requests/%d", b.URL(), repo.Owner, repo.Name, pr.Number)}}},
	}
	if pr.ClosedAt != nil {
		j["closedDate"] = pr.ClosedAt.UnixMilli()
	}
	return j
}

type bitbucketRefIn struct {
	ID string `json:"id"`
}

func (b *BitbucketServer) createPR(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title       string         `json:"title"`
		Description string         `json:"description"`
		FromRef     bitbucketRefIn `json:"fromRef"`
		ToRef       bitbucketRefIn `json:"toRef"`
	}
	if err := decodeBody(r, &in); err != nil {
		b.fail(w, http.StatusBadRequest, "com.atlassian.bitbucket.rest.BadRequestException", "The request body is not valid JSON.", nil)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	repo := b.repo(w, r)
	if repo == nil {
		return
	}
	head, base := strings.TrimPrefix(in.FromRef.ID, "refs/heads/"), strings.TrimPrefix(in.ToRef.ID, "refs/heads/")
	switch {
	case strings.TrimSpace(in.Title) == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []any{map[string]any{"context": "title", "message": "Please enter a non-empty value", "exceptionName": nil}}})
		return
	case head == "" || base == "":
		b.fail(w, http.StatusBadRequest, "com.atlassian.bitbucket.rest.BadRequestException", "fromRef and toRef are required.", nil)
		return
	case head == base:
		b.fail(w, http.StatusConflict, "com.atlassian.bitbucket.pull.InvalidPullRequestTargetException",
			"You are attempting to create a pull request where the source and target are the same branch.", nil)
		return
	}
	for _, pr := range b.prs[strings.ToLower(repo.Path())] {
		if pr.State == "open" && pr.Head == head && pr.Base == base {
			b.fail(w, http.StatusConflict, "com.atlassian.bitbucket.pull.DuplicatePullRequestException",
				"Only one pull request may be open for a given source and target branch",
				map[string]any{"existingPullRequest": b.prJSON(repo, pr)})
			return
		}
	}
	pr := b.addPRLocked(repo, PullRequest{Title: in.Title, Body: in.Description, Head: head, Base: base})
	writeJSON(w, http.StatusCreated, b.prJSON(repo, pr))
}

func (b *BitbucketServer) listPRs(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	repo := b.repo(w, r)
	if repo == nil {
		return
	}
	q := r.URL.Query()
	state := strings.ToUpper(q.Get("state"))
	if state == "" {
		state = "OPEN"
	}
	var values []any
	all := b.prs[strings.ToLower(repo.Path())]
	for i := range all {
		pr := all[len(all)-1-i] // NEWEST first
		if strings.ToUpper(q.Get("order")) == "OLDEST" {
			pr = all[i]
		}
		if state != "ALL" && bitbucketState(pr) != state {
			continue
		}
		if at := q.Get("at"); at != "" {
			ref := pr.Base
			if strings.ToUpper(q.Get("direction")) == "OUTGOING" {
				ref = pr.Head
			}
			if strings.TrimPrefix(at, "refs/heads/") != ref {
				continue
			}
		}
		values = append(values, b.prJSON(repo, pr))
	}
	if values == nil {
		values = []any{}
	}
	b.paginate(w, r, values)
}

func (b *BitbucketServer) pr(w http.ResponseWriter, r *http.Request) (*Repo, *PullRequest) {
	repo := b.repo(w, r)
	if repo == nil {
		return nil, nil
	}
	n, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	pr := b.prLocked(repo.Path(), n)
	if pr == nil {
		b.fail(w, http.StatusNotFound, "com.atlassian.bitbucket.pull.NoSuchPullRequestException",
			fmt.Sprintf("Pull request %s does not exist in %s/%s.", r.PathValue("id"), repo.Owner, repo.Name), nil)
		return nil, nil
	}
	return repo, pr
}

func (b *BitbucketServer) getPR(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if repo, pr := b.pr(w, r); pr != nil {
		writeJSON(w, http.StatusOK, b.prJSON(repo, pr))
	}
}

// checkVersion answers 409 PullRequestOutOfDateException when a change is based on a
// stale version, as Bitbucket's optimistic locking does.
func (b *BitbucketServer) checkVersion(w http.ResponseWriter, repo *Repo, pr *PullRequest, version int) bool {
	if version == pr.Version {
		return true
	}
	b.fail(w, http.StatusConflict, "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
		"You are attempting to modify a pull request based on out-of-date information.",
		map[string]any{"currentVersion": pr.Version, "expectedVersion": version, "pullRequest": b.prJSON(repo, pr)})
	return false
}

func (b *BitbucketServer) updatePR(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Version     *int            `json:"version"`
		Title       *string         `json:"title"`
		Description *string         `json:"description"`
		ToRef       *bitbucketRefIn `json:"toRef"`
	}
	if err := decodeBody(r, &in); err != nil || in.Version == nil {
		b.fail(w, http.StatusBadRequest, "com.atlassian.bitbucket.rest.BadRequestException", "A version is required.", nil)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	repo, pr := b.pr(w, r)
	if pr == nil || !b.checkVersion(w, repo, pr, *in.Version) {
		return
	}
	if in.Title != nil {
		pr.Title = *in.Title
	}
	if in.Description != nil {
		pr.Body = *in.Description
	}
	if in.ToRef != nil && in.ToRef.ID != "" {
		pr.Base = strings.TrimPrefix(in.ToRef.ID, "refs/heads/")
	}
	pr.Version++
	pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	writeJSON(w, http.StatusOK, b.prJSON(repo, pr))
}

func (b *BitbucketServer) transition(from, to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		repo, pr := b.pr(w, r)
		if pr == nil {
			return
		}
		version, err := strconv.Atoi(r.URL.Query().Get("version"))
		if err != nil {
			b.fail(w, http.StatusBadRequest, "com.atlassian.bitbucket.rest.BadRequestException", "A version is required.", nil)
			return
		}
		if !b.checkVersion(w, repo, pr, version) {
			return
		}
		if bitbucketState(pr) != from {
			b.fail(w, http.StatusConflict, "com.atlassian.bitbucket.pull.IllegalPullRequestStateException",
				fmt.Sprintf("Pull request %d is %s; it cannot be changed to %s.", pr.Number, strings.ToLower(bitbucketState(pr)), strings.ToLower(to)), nil)
			return
		}
		now := time.Now().UTC().Truncate(time.Second)
		if to == "DECLINED" {
			pr.State, pr.ClosedAt = "closed", &now
		} else {
			pr.State, pr.ClosedAt = "open", nil
		}
		pr.Version++
		pr.UpdatedAt = now
		writeJSON(w, http.StatusOK, b.prJSON(repo, pr))
	}
}

func (b *BitbucketServer) buildStatus(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	values := []any{}
	for _, s := range b.statusesLocked(r.PathValue("sha")) {
		state := map[string]string{StatusSuccess: "SUCCESSFUL", StatusFailure: "FAILED", StatusPending: "INPROGRESS"}[s.State]
		if state == "" {
			state = "FAILED"
		}
		values = append(values, map[string]any{"state": state, "key": s.Context, "name": s.Context,
			"url": b.URL() + "/ci/" + r.PathValue("sha"), "description": "", "dateAdded": time.Now().UnixMilli()})
	}
	b.paginate(w, r, values)
}

// RefUpdate is one ref change of a repo:refs_changed delivery.
type RefUpdate struct {
	Ref    string // "refs/heads/main"
	Before string
	After  string
}

// delivery builds a signed delivery. The caller holds the lock.
func (b *BitbucketServer) delivery(eventKey string, payload map[string]any) Delivery {
	payload["eventKey"] = eventKey
	payload["date"] = time.Now().UTC().Format("2006-01-02T15:04:05-0700")
	body := mustJSON(payload)
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Atlassian HttpClient 4.2.0 / Bitbucket-8.19.0 (8019000) / Default")
	h.Set("X-Event-Key", eventKey)
	h.Set("X-Request-Id", newDeliveryID())
	h.Set("X-Hub-Signature", "sha256="+hmacHex(b.secret, body))
	return Delivery{Header: h, Body: body}
}

// PushDelivery is a "repo:refs_changed" delivery listing every updated ref.
func (b *BitbucketServer) PushDelivery(repoPath string, changes ...RefUpdate) (Delivery, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	repo := b.repoLocked(repoPath)
	if repo == nil {
		return Delivery{}, fmt.Errorf("fakehost: no repository %s", repoPath)
	}
	const zero = "0000000000000000000000000000000000000000"
	var list []any
	for _, c := range changes {
		typ := "UPDATE"
		switch {
		case c.Before == zero:
			typ = "ADD"
		case c.After == zero:
			typ = "DELETE"
		}
		refType := "BRANCH"
		if strings.HasPrefix(c.Ref, "refs/tags/") {
			refType = "TAG"
		}
		display := strings.TrimPrefix(strings.TrimPrefix(c.Ref, "refs/heads/"), "refs/tags/")
		list = append(list, map[string]any{"ref": map[string]any{"id": c.Ref, "displayId": display, "type": refType},
			"refId": c.Ref, "fromHash": c.Before, "toHash": c.After, "type": typ})
	}
	return b.delivery("repo:refs_changed", map[string]any{"actor": b.userJSON("lookout-bot"), "repository": b.repoJSON(repo), "changes": list}), nil
}

// PullRequestDelivery is a pull request delivery: eventKey is Bitbucket's ("pr:opened",
// "pr:modified", "pr:from_ref_updated", "pr:merged", "pr:declined", "pr:deleted", ...).
func (b *BitbucketServer) PullRequestDelivery(repoPath string, id int64, eventKey string) (Delivery, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	repo, pr, err := b.repoPR(repoPath, id)
	if err != nil {
		return Delivery{}, err
	}
	return b.delivery(eventKey, map[string]any{"actor": b.userJSON(pr.Author), "pullRequest": b.prJSON(repo, pr)}), nil
}

// ReviewDelivery is the delivery of the pull request's latest review:
// pr:reviewer:approved or pr:reviewer:needs_work.
func (b *BitbucketServer) ReviewDelivery(repoPath string, id int64) (Delivery, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	repo, pr, rv, err := b.latestReview(repoPath, id)
	if err != nil {
		return Delivery{}, err
	}
	event, status := "pr:reviewer:approved", "APPROVED"
	switch rv.State {
	case ReviewChangesRequested:
		event, status = "pr:reviewer:needs_work", "NEEDS_WORK"
	case ReviewCommented:
		event, status = "pr:comment:added", "UNAPPROVED"
	}
	return b.delivery(event, map[string]any{
		"actor": b.userJSON(rv.User), "pullRequest": b.prJSON(repo, pr),
		"participant":    map[string]any{"user": b.userJSON(rv.User), "role": "REVIEWER", "approved": status == "APPROVED", "status": status, "lastReviewedCommit": pr.HeadSHA},
		"previousStatus": "UNAPPROVED",
	}), nil
}
