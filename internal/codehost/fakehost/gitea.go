package fakehost

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Gitea fakes Gitea's REST API (/api/v1) and git over HTTP at https://host/owner/name.git.
//
// Served: GET /version, /repos/{o}/{r}, /orgs/{org}, /orgs/{org}/repos,
// /users/{u}/repos, /repos/search?q= ({"ok":true,"data":[...]}),
// /repos/{o}/{r}/collaborators, POST and GET /repos/{o}/{r}/pulls, GET and PATCH
// /repos/{o}/{r}/pulls/{index}, GET /repos/{o}/{r}/pulls/{base}/{head},
// /repos/{o}/{r}/pulls/{index}/reviews and /repos/{o}/{r}/commits/{ref}/status. Pages
// follow page/limit with Link and X-Total-Count headers. Errors are Gitea's {"message",
// "url"} bodies: 401, 404 "The target couldn't be found.", 409 "pull request already
// exists for these targets [...]", 412 when changing a merged pull request's state.
// Gitea has no API rate limit of its own; RateLimitNext answers 429 with Retry-After as
// a reverse proxy in front of it does. Pull requests whose title starts with "WIP:" or
// "[WIP]" are drafts, as on Gitea.
type Gitea struct{ *Host }

// NewGitea starts a fake Gitea, stopped when the test ends.
func NewGitea(t testing.TB) *Gitea {
	g := &Gitea{}
	g.Host = newHost(t, func(h *Host) http.Handler {
		g.Host = h
		return g.handler()
	})
	return g
}

func (g *Gitea) handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/api/v1"
	mux.HandleFunc("GET "+p+"/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": "1.22.6"})
	})
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}", g.getRepo)
	mux.HandleFunc("GET "+p+"/orgs/{org}", g.getOrg)
	mux.HandleFunc("GET "+p+"/orgs/{org}/repos", g.ownerRepos(true))
	mux.HandleFunc("GET "+p+"/users/{org}/repos", g.ownerRepos(false))
	mux.HandleFunc("GET "+p+"/repos/search", g.search)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/collaborators", g.collaborators)
	mux.HandleFunc("POST "+p+"/repos/{owner}/{repo}/pulls", g.createPull)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls", g.listPulls)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls/{index}", g.getPull)
	mux.HandleFunc("PATCH "+p+"/repos/{owner}/{repo}/pulls/{index}", g.editPull)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls/{base}/{head...}", g.pullByBaseHead)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls/{index}/reviews", g.reviews)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/commits/{ref}/status", g.combinedStatus)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			if !g.serveGit(w, r, "") {
				http.NotFound(w, r)
			}
			return
		}
		if !g.gate(w, r, bearerOrToken, g.rateLimited, g.unauthorized) {
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			g.notFound(w, "")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (g *Gitea) rateLimited(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte("429 Too Many Requests\n"))
}

func (g *Gitea) unauthorized(w http.ResponseWriter, _ time.Duration) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "invalid username, password or token", "url": g.URL() + "/api/swagger"})
}

func (g *Gitea) notFound(w http.ResponseWriter, detail string) {
	errs := []string{}
	if detail != "" {
		errs = append(errs, detail)
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"errors": errs, "message": "The target couldn't be found.", "url": g.URL() + "/api/swagger"})
}

func (g *Gitea) message(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "url": g.URL() + "/api/swagger"})
}

func (g *Gitea) userJSON(login string) map[string]any {
	u := g.userLocked(login)
	return map[string]any{
		"id": u.ID, "login": u.Login, "login_name": "", "source_id": 0, "full_name": "", "email": u.Email,
		"avatar_url": g.URL() + "/avatars/" + u.Login, "html_url": g.URL() + "/" + u.Login, "language": "",
		"is_admin": false, "last_login": "2020-01-01T00:00:00Z", "created": "2020-01-01T00:00:00Z", "restricted": false,
		"active": true, "prohibit_login": false, "location": "", "website": "", "description": "", "visibility": "public",
		"followers_count": 0, "following_count": 0, "starred_repos_count": 0, "username": u.Login,
	}
}

func (g *Gitea) repoJSON(r *Repo) map[string]any {
	u, _ := url.Parse(g.URL())
	return map[string]any{
		"id": r.ID, "owner": g.userJSON(r.Owner), "name": r.Name, "full_name": r.Path(), "description": r.Description,
		"empty": false, "private": r.Private, "fork": r.Fork, "template": false, "parent": nil, "mirror": false,
		"size": 1, "language": "", "html_url": g.URL() + "/" + r.Path(), "url": g.URL() + "/api/v1/repos/" + r.Path(),
		"link": "", "ssh_url": "git@" + u.Hostname() + ":" + r.Path() + ".git", "clone_url": g.URL() + "/" + r.Path() + ".git",
		"original_url": "", "website": "", "stars_count": 0, "forks_count": 0, "watchers_count": 1, "open_issues_count": 0,
		"open_pr_counter": 0, "release_counter": 0, "default_branch": r.DefaultBranch, "archived": r.Archived,
		"created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "archived_at": "1970-01-01T00:00:00Z",
		"permissions": map[string]bool{"admin": true, "push": true, "pull": true}, "has_issues": true, "has_wiki": true,
		"has_pull_requests": true, "internal": false, "mirror_interval": "", "object_format_name": "sha1",
	}
}

// paginate writes one page with Gitea's Link and X-Total-Count headers. The caller holds g.mu.
func (g *Gitea) paginate(w http.ResponseWriter, r *http.Request, total int, write func(start, end int) any) {
	q := r.URL.Query()
	start, end, page, per := g.pageLocked(total, q.Get("page"), q.Get("limit"), 30)
	last := lastPage(total, per)
	var links []string
	link := func(p int, rel string) {
		q.Set("page", strconv.Itoa(p))
		q.Set("limit", strconv.Itoa(per))
		links = append(links, fmt.Sprintf(`<%s%s?%s>; rel="%s"`, g.URL(), r.URL.Path, q.Encode(), rel))
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
		link(page-1, "prev")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ","))
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, write(start, end))
}

func (g *Gitea) repos(w http.ResponseWriter, r *http.Request, repos []*Repo, wrap bool) {
	g.paginate(w, r, len(repos), func(start, end int) any {
		out := []any{}
		for _, x := range repos[start:end] {
			out = append(out, g.repoJSON(x))
		}
		if wrap {
			return map[string]any{"ok": true, "data": out}
		}
		return out
	})
}

func (g *Gitea) getRepo(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return
	}
	writeJSON(w, http.StatusOK, g.repoJSON(repo))
}

func (g *Gitea) getOrg(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	org := r.PathValue("org")
	if !g.orgs[strings.ToLower(org)] {
		g.notFound(w, "org does not exist")
		return
	}
	u := g.userLocked(org)
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "name": org, "username": org, "full_name": "", "email": "",
		"avatar_url": "", "description": "", "website": "", "location": "", "visibility": "public", "repo_admin_change_team_access": false})
}

func (g *Gitea) ownerRepos(org bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		owner := r.PathValue("org")
		if g.orgs[strings.ToLower(owner)] != org {
			g.notFound(w, "owner does not exist")
			return
		}
		g.repos(w, r, g.sortedRepos(func(x *Repo) bool { return strings.EqualFold(x.Owner, owner) }), false)
	}
}

func (g *Gitea) search(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := strings.ToLower(r.URL.Query().Get("q"))
	g.repos(w, r, g.sortedRepos(func(x *Repo) bool { return strings.Contains(strings.ToLower(x.Name), q) }), true)
}

func (g *Gitea) collaborators(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return
	}
	g.paginate(w, r, len(repo.Collaborators), func(start, end int) any {
		out := []any{}
		for _, login := range repo.Collaborators[start:end] {
			out = append(out, g.userJSON(login))
		}
		return out
	})
}

func giteaIsDraft(title string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	return strings.HasPrefix(t, "wip:") || strings.HasPrefix(t, "[wip]")
}

func (g *Gitea) branchJSON(repo *Repo, branch, sha string) map[string]any {
	return map[string]any{"label": branch, "ref": branch, "sha": sha, "repo_id": repo.ID, "repo": g.repoJSON(repo)}
}

func (g *Gitea) prJSON(repo *Repo, pr *PullRequest) map[string]any {
	labels := []any{}
	for i, l := range pr.Labels {
		labels = append(labels, map[string]any{"id": i + 1, "name": l, "exclusive": false, "is_archived": false, "color": "ededed", "description": "", "url": ""})
	}
	var mergedBy any
	if pr.Merged {
		mergedBy = g.userJSON(pr.Author)
	}
	n := strconv.FormatInt(pr.Number, 10)
	return map[string]any{
		"id": pr.ID, "url": g.URL() + "/" + repo.Path() + "/pulls/" + n, "number": pr.Number, "user": g.userJSON(pr.Author),
		"title": pr.Title, "body": pr.Body, "labels": labels, "milestone": nil, "assignee": nil, "assignees": nil,
		"requested_reviewers": nil, "requested_reviewers_teams": nil, "state": pr.State, "draft": giteaIsDraft(pr.Title),
		"is_locked": false, "comments": 0, "review_comments": 0,
		"html_url": g.URL() + "/" + repo.Path() + "/pulls/" + n, "diff_url": g.URL() + "/" + repo.Path() + "/pulls/" + n + ".diff",
		"patch_url": g.URL() + "/" + repo.Path() + "/pulls/" + n + ".patch", "mergeable": !pr.Merged, "merged": pr.Merged,
		"merged_at": tsPtr(pr.MergedAt), "merge_commit_sha": nil, "merged_by": mergedBy, "allow_maintainer_edit": false,
		"base": g.branchJSON(repo, pr.Base, ""), "head": g.branchJSON(repo, pr.Head, pr.HeadSHA), "merge_base": "",
		"due_date": nil, "created_at": ts(pr.CreatedAt), "updated_at": ts(pr.UpdatedAt), "closed_at": tsPtr(pr.ClosedAt), "pin_order": 0,
	}
}

func (g *Gitea) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Head  string `json:"head"`
		Base  string `json:"base"`
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if err := decodeBody(r, &in); err != nil {
		g.message(w, http.StatusUnprocessableEntity, "invalid JSON body")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return
	}
	switch {
	case in.Title == "":
		g.message(w, http.StatusUnprocessableEntity, "[Title]: Required")
		return
	case in.Head == "" || in.Base == "":
		g.message(w, http.StatusUnprocessableEntity, "[Head]: Required, [Base]: Required")
		return
	case in.Head == in.Base:
		g.message(w, http.StatusUnprocessableEntity, "Invalid PullRequest: There are no changes between the head and the base")
		return
	}
	for _, pr := range g.prs[strings.ToLower(repo.Path())] {
		if pr.State == "open" && pr.Head == in.Head && pr.Base == in.Base {
			g.message(w, http.StatusConflict, fmt.Sprintf(
				"pull request already exists for these targets [id: %d, issue_id: %d, head_repo: %d, base_repo: %d, head_branch: %s, base_branch: %s]",
				pr.ID, pr.ID, repo.ID, repo.ID, pr.Head, pr.Base))
			return
		}
	}
	pr := g.addPRLocked(repo, PullRequest{Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base, Draft: giteaIsDraft(in.Title)})
	writeJSON(w, http.StatusCreated, g.prJSON(repo, pr))
}

func (g *Gitea) listPulls(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return
	}
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "open"
	}
	var prs []*PullRequest
	all := g.prs[strings.ToLower(repo.Path())]
	for i := len(all) - 1; i >= 0; i-- { // newest first
		if state == "all" || all[i].State == state {
			prs = append(prs, all[i])
		}
	}
	g.paginate(w, r, len(prs), func(start, end int) any {
		out := []any{}
		for _, pr := range prs[start:end] {
			out = append(out, g.prJSON(repo, pr))
		}
		return out
	})
}

func (g *Gitea) pull(w http.ResponseWriter, r *http.Request) (*Repo, *PullRequest) {
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return nil, nil
	}
	n, _ := strconv.ParseInt(r.PathValue("index"), 10, 64)
	pr := g.prLocked(repo.Path(), n)
	if pr == nil {
		g.notFound(w, "pull request does not exist")
		return nil, nil
	}
	return repo, pr
}

func (g *Gitea) getPull(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if repo, pr := g.pull(w, r); pr != nil {
		writeJSON(w, http.StatusOK, g.prJSON(repo, pr))
	}
}

func (g *Gitea) pullByBaseHead(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return
	}
	base, head := r.PathValue("base"), r.PathValue("head")
	all := g.prs[strings.ToLower(repo.Path())]
	for i := len(all) - 1; i >= 0; i-- {
		if pr := all[i]; pr.Base == base && pr.Head == head {
			writeJSON(w, http.StatusOK, g.prJSON(repo, pr))
			return
		}
	}
	g.notFound(w, "pull request does not exist")
}

func (g *Gitea) editPull(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title string  `json:"title"`
		Body  *string `json:"body"`
		Base  string  `json:"base"`
		State *string `json:"state"`
	}
	if err := decodeBody(r, &in); err != nil {
		g.message(w, http.StatusUnprocessableEntity, "invalid JSON body")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr := g.pull(w, r)
	if pr == nil {
		return
	}
	if in.State != nil && pr.Merged {
		g.message(w, http.StatusPreconditionFailed, "cannot change state of this pull request, it was already merged")
		return
	}
	if in.Title != "" {
		pr.Title = in.Title
		pr.Draft = giteaIsDraft(pr.Title)
	}
	if in.Body != nil {
		pr.Body = *in.Body
	}
	if in.Base != "" {
		pr.Base = in.Base
	}
	if in.State != nil {
		now := time.Now().UTC().Truncate(time.Second)
		switch *in.State {
		case "closed":
			pr.State, pr.ClosedAt = "closed", &now
		case "open":
			pr.State, pr.ClosedAt = "open", nil
		}
	}
	pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	writeJSON(w, http.StatusCreated, g.prJSON(repo, pr))
}

var giteaReviewStates = map[string]string{ReviewApproved: "APPROVED", ReviewChangesRequested: "REQUEST_CHANGES", ReviewCommented: "COMMENT"}

func (g *Gitea) reviews(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr := g.pull(w, r)
	if pr == nil {
		return
	}
	g.paginate(w, r, len(pr.Reviews), func(start, end int) any {
		out := []any{}
		for _, rv := range pr.Reviews[start:end] {
			out = append(out, map[string]any{
				"id": rv.ID, "user": g.userJSON(rv.User), "team": nil, "state": giteaReviewStates[rv.State], "body": "",
				"commit_id": pr.HeadSHA, "stale": false, "official": rv.State != ReviewCommented, "dismissed": rv.Dismissed,
				"comments_count": 0, "submitted_at": ts(rv.SubmittedAt), "updated_at": ts(rv.SubmittedAt),
				"html_url":         fmt.Sprintf("%s/%s/pulls/%d#issuecomment-%d", g.URL(), repo.Path(), pr.Number, rv.ID),
				"pull_request_url": fmt.Sprintf("%s/%s/pulls/%d", g.URL(), repo.Path(), pr.Number),
			})
		}
		return out
	})
}

func (g *Gitea) combinedStatus(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w, "repository does not exist")
		return
	}
	sha := r.PathValue("ref")
	list := g.statusesLocked(sha)
	state := ""
	statuses := []any{}
	for i, s := range list {
		switch {
		case s.State == StatusFailure || s.State == "error":
			state = "failure"
		case s.State == StatusPending && state != "failure":
			state = "pending"
		case state == "":
			state = "success"
		}
		statuses = append(statuses, map[string]any{"id": i + 1, "status": s.State, "target_url": g.URL() + "/ci/" + sha,
			"description": "", "url": "", "context": s.Context, "creator": g.userJSON("ci-bot"),
			"created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": state, "sha": sha, "total_count": len(list), "statuses": statuses,
		"repository": g.repoJSON(repo), "commit_url": g.URL() + "/api/v1/repos/" + repo.Path() + "/commits/" + sha,
		"url": g.URL() + "/api/v1/repos/" + repo.Path() + "/commits/" + sha + "/status"})
}

// delivery signs a payload with every header Gitea sends: X-Gitea-Event (coarse) and
// X-Gitea-Event-Type (fine), their Gogs and GitHub aliases, and the signatures.
// The caller holds the lock.
func (g *Gitea) delivery(event, eventType string, payload any) Delivery {
	body := mustJSON(payload)
	secret := g.secret
	sig := hmacHex(secret, body)
	mac1 := hmac.New(sha1.New, []byte(secret))
	mac1.Write(body)
	id := newDeliveryID()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Go-http-client/1.1")
	h.Set("X-Gitea-Delivery", id)
	h.Set("X-Gitea-Event", event)
	h.Set("X-Gitea-Event-Type", eventType)
	h.Set("X-Gitea-Signature", sig)
	h.Set("X-Gogs-Delivery", id)
	h.Set("X-Gogs-Event", event)
	h.Set("X-Gogs-Event-Type", eventType)
	h.Set("X-Gogs-Signature", sig)
	h.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac1.Sum(nil)))
	h.Set("X-Hub-Signature-256", "sha256="+sig)
	h["X-GitHub-Delivery"] = []string{id}
	h["X-GitHub-Event"] = []string{event}
	h["X-GitHub-Event-Type"] = []string{eventType}
	return Delivery{Header: h, Body: body}
}

// PushDelivery is a "push" delivery.
func (g *Gitea) PushDelivery(repoPath, ref, before, after string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(repoPath)
	if repo == nil {
		return Delivery{}, fmt.Errorf("fakehost: no repository %s", repoPath)
	}
	return g.delivery("push", "push", map[string]any{
		"ref": ref, "before": before, "after": after,
		"compare_url": fmt.Sprintf("%s/%s/compare/%s...%s", g.URL(), repo.Path(), before, after),
		"commits":     []any{}, "total_commits": 0, "head_commit": nil, "repository": g.repoJSON(repo),
		"pusher": g.userJSON("lookout-bot"), "sender": g.userJSON("lookout-bot"),
	}), nil
}

// PullRequestDelivery is a "pull_request" delivery (event type "pull_request_sync" for
// the "synchronized" action); action is Gitea's ("opened", "closed", "reopened", "edited").
func (g *Gitea) PullRequestDelivery(repoPath string, number int64, action string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, err := g.repoPR(repoPath, number)
	if err != nil {
		return Delivery{}, err
	}
	eventType := "pull_request"
	if action == "synchronized" {
		eventType = "pull_request_sync"
	}
	return g.delivery("pull_request", eventType, map[string]any{
		"action": action, "number": pr.Number, "pull_request": g.prJSON(repo, pr), "requested_reviewer": nil,
		"repository": g.repoJSON(repo), "sender": g.userJSON(pr.Author), "commit_id": "", "review": nil,
	}), nil
}

// ReviewDelivery is the delivery of the pull request's latest review:
// pull_request_review_approved, _rejected or _comment.
func (g *Gitea) ReviewDelivery(repoPath string, number int64) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, rv, err := g.latestReview(repoPath, number)
	if err != nil {
		return Delivery{}, err
	}
	kind := map[string]string{ReviewApproved: "approved", ReviewChangesRequested: "rejected", ReviewCommented: "comment"}[rv.State]
	return g.delivery("pull_request_"+kind, "pull_request_review_"+kind, map[string]any{
		"action": "reviewed", "number": pr.Number, "pull_request": g.prJSON(repo, pr), "requested_reviewer": nil,
		"repository": g.repoJSON(repo), "sender": g.userJSON(rv.User), "commit_id": "",
		"review": map[string]any{"type": "pull_request_review_" + kind, "content": ""},
	}), nil
}

// StatusDelivery is a "status" delivery for one context of the pull request's head.
func (g *Gitea) StatusDelivery(repoPath string, number int64, context string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, state, err := g.headStatus(repoPath, number, context)
	if err != nil {
		return Delivery{}, err
	}
	now := ts(time.Now())
	return g.delivery("status", "status", map[string]any{
		"commit":  map[string]any{"id": pr.HeadSHA, "message": pr.Title, "url": g.URL() + "/" + repo.Path() + "/commit/" + pr.HeadSHA},
		"context": context, "created_at": now, "description": "", "id": 1, "repository": g.repoJSON(repo),
		"sender": g.userJSON("ci-bot"), "sha": pr.HeadSHA, "state": state, "target_url": g.URL() + "/ci/" + pr.HeadSHA, "updated_at": now,
	}), nil
}
