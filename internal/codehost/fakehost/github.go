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

// GitHub fakes GitHub Enterprise Server: the REST API under /api/v3 (where go-github
// sends requests for a non-github.com URL), the markPullRequestReadyForReview mutation at
// /api/graphql, and git over HTTP at https://host/owner/name.git.
//
// Served: GET /repos/{o}/{r}, /orgs/{org}/repos, /users/{u}/repos, /search/repositories
// (words match name or description; org:, user:, fork:, archived:, is:public|private
// qualifiers), /repos/{o}/{r}/collaborators, POST and GET /repos/{o}/{r}/pulls, GET and
// PATCH /repos/{o}/{r}/pulls/{n}, GET /repos/{o}/{r}/pulls/{n}/reviews,
// /repos/{o}/{r}/commits/{ref}/status and /check-runs. Pages follow per_page/page with
// Link headers; errors are GitHub's {"message", "documentation_url", "errors"} bodies:
// 401 "Bad credentials", 404 "Not Found", 422 "Validation Failed" (including "A pull
// request already exists for owner:branch."), and rate limits as 403 with
// X-RateLimit-Remaining: 0 (or, see RateLimitSecondaryNext, with Retry-After).
type GitHub struct {
	*Host
	checkRuns map[string][]githubCheckRun
	tooQuick  int // pull request creations to refuse with "was submitted too quickly"
}

type githubCheckRun struct{ Name, Status, Conclusion string }

// NewGitHub starts a fake GitHub, stopped when the test ends.
func NewGitHub(t testing.TB) *GitHub {
	g := &GitHub{checkRuns: map[string][]githubCheckRun{}}
	g.Host = newHost(t, func(h *Host) http.Handler {
		g.Host = h
		return g.handler()
	})
	return g
}

// RateLimitSecondaryNext makes the next n requests answer GitHub's secondary rate limit
// (403 with Retry-After and the secondary-rate-limit documentation URL).
func (g *GitHub) RateLimitSecondaryNext(n int, retryAfter time.Duration) {
	g.mu.Lock()
	g.limited, g.retryAfter, g.secondary = n, retryAfter, true
	g.mu.Unlock()
}

// SubmittedTooQuicklyNext makes the next n pull request creations answer GitHub's
// content-creation limit: 422 Validation Failed "was submitted too quickly", without
// rate-limit headers.
func (g *GitHub) SubmittedTooQuicklyNext(n int) {
	g.mu.Lock()
	g.tooQuick = n
	g.mu.Unlock()
}

// SetCheckRun sets a GitHub Actions-style check run on a commit. status is "queued",
// "in_progress" or "completed"; conclusion (for completed runs) "success", "failure", ...
func (g *GitHub) SetCheckRun(sha, name, status, conclusion string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	runs := g.checkRuns[sha]
	for i := range runs {
		if runs[i].Name == name {
			runs[i].Status, runs[i].Conclusion = status, conclusion
			return
		}
	}
	g.checkRuns[sha] = append(runs, githubCheckRun{name, status, conclusion})
}

func (g *GitHub) handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/api/v3"
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}", g.getRepo)
	mux.HandleFunc("GET "+p+"/orgs/{org}/repos", g.listOwnerRepos(true))
	mux.HandleFunc("GET "+p+"/users/{org}/repos", g.listOwnerRepos(false))
	mux.HandleFunc("GET "+p+"/search/repositories", g.searchRepos)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/collaborators", g.listCollaborators)
	mux.HandleFunc("POST "+p+"/repos/{owner}/{repo}/pulls", g.createPull)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls", g.listPulls)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls/{number}", g.getPull)
	mux.HandleFunc("PATCH "+p+"/repos/{owner}/{repo}/pulls/{number}", g.editPull)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/pulls/{number}/reviews", g.listReviews)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/commits/{ref}/status", g.combinedStatus)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/commits/{ref}/check-runs", g.checkRunsFor)
	mux.HandleFunc("POST /api/graphql", g.graphql)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			if !g.serveGit(w, r, "") {
				http.NotFound(w, r)
			}
			return
		}
		g.rateHeaders(w)
		if !g.gate(w, r, bearerOrToken, g.rateLimited, g.unauthorized) {
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			g.notFound(w)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (g *GitHub) rateHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Request-Id", "FAKE:"+strconv.FormatInt(time.Now().UnixNano(), 36))
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4999")
	h.Set("X-RateLimit-Used", "1")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (g *GitHub) rateLimited(w http.ResponseWriter, wait time.Duration) {
	g.mu.Lock()
	secondary := g.secondary
	if g.limited == 0 {
		g.secondary = false
	}
	g.mu.Unlock()
	if secondary {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		writeJSON(w, http.StatusForbidden, map[string]any{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE.",
			"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
		return
	}
	h := w.Header()
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", "5000")
	// The reset is a whole epoch second: round up, as a host's window does not lift
	// before the time it announced.
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(wait+time.Second-1).Unix(), 10))
	writeJSON(w, http.StatusForbidden, map[string]any{
		"message":           "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID FAKE.",
		"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
	})
}

func (g *GitHub) unauthorized(w http.ResponseWriter, _ time.Duration) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{
		"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401",
	})
}

func (g *GitHub) notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{
		"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404",
	})
}

func (g *GitHub) validationFailed(w http.ResponseWriter, errs ...map[string]any) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
		"status":            "422",
	})
}

func (g *GitHub) hostname() string {
	u, _ := url.Parse(g.URL())
	return u.Hostname()
}

func (g *GitHub) userJSON(login string) map[string]any {
	u := g.userLocked(login)
	typ := "User"
	if g.orgs[strings.ToLower(login)] {
		typ = "Organization"
	}
	return map[string]any{
		"login": u.Login, "id": u.ID, "node_id": fmt.Sprintf("U_fake%d", u.ID), "type": typ, "site_admin": false,
		"html_url": g.URL() + "/" + u.Login, "url": g.URL() + "/api/v3/users/" + u.Login,
	}
}

func (g *GitHub) repoJSON(r *Repo) map[string]any {
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	var desc any
	if r.Description != "" {
		desc = r.Description
	}
	return map[string]any{
		"id": r.ID, "node_id": fmt.Sprintf("R_fake%d", r.ID), "name": r.Name, "full_name": r.Path(),
		"private": r.Private, "owner": g.userJSON(r.Owner), "html_url": g.URL() + "/" + r.Path(),
		"description": desc, "fork": r.Fork, "url": g.URL() + "/api/v3/repos/" + r.Path(),
		"clone_url": g.URL() + "/" + r.Path() + ".git", "git_url": "git://" + g.hostname() + "/" + r.Path() + ".git",
		"ssh_url": "git@" + g.hostname() + ":" + r.Path() + ".git", "default_branch": r.DefaultBranch,
		"archived": r.Archived, "disabled": false, "visibility": visibility,
		"created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "pushed_at": "2020-01-01T00:00:00Z",
	}
}

// paginate writes one page of items with GitHub's Link header. The caller holds g.mu.
func (g *GitHub) paginate(w http.ResponseWriter, r *http.Request, total int, write func(start, end int) any) {
	q := r.URL.Query()
	start, end, page, per := g.pageLocked(total, q.Get("page"), q.Get("per_page"), 30)
	last := lastPage(total, per)
	var links []string
	link := func(p int, rel string) {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		links = append(links, fmt.Sprintf(`<%s%s?%s>; rel="%s"`, g.URL(), r.URL.Path, q.Encode(), rel))
	}
	if page > 1 {
		link(page-1, "prev")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, write(start, end))
}

func (g *GitHub) getRepo(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, g.repoJSON(repo))
}

func (g *GitHub) listOwnerRepos(org bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		owner := r.PathValue("org")
		if g.orgs[strings.ToLower(owner)] != org {
			g.notFound(w)
			return
		}
		repos := g.sortedRepos(func(x *Repo) bool { return strings.EqualFold(x.Owner, owner) })
		g.paginate(w, r, len(repos), func(start, end int) any {
			out := []any{}
			for _, x := range repos[start:end] {
				out = append(out, g.repoJSON(x))
			}
			return out
		})
	}
}

func (g *GitHub) searchRepos(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var words []string
	var owner, visibility string
	forks, archived := "false", ""
	for _, tok := range strings.Fields(r.URL.Query().Get("q")) {
		k, v, ok := strings.Cut(tok, ":")
		switch {
		case ok && (k == "org" || k == "user"):
			owner = v
		case ok && k == "fork":
			forks = v
		case ok && k == "archived":
			archived = v
		case ok && k == "is":
			visibility = v
		case ok:
		default:
			words = append(words, strings.ToLower(tok))
		}
	}
	repos := g.sortedRepos(func(x *Repo) bool {
		if owner != "" && !strings.EqualFold(x.Owner, owner) {
			return false
		}
		if (forks == "false" && x.Fork) || (forks == "only" && !x.Fork) {
			return false
		}
		if archived != "" && strconv.FormatBool(x.Archived) != archived {
			return false
		}
		if (visibility == "private" && !x.Private) || (visibility == "public" && x.Private) {
			return false
		}
		text := strings.ToLower(x.Path() + " " + x.Description)
		for _, w := range words {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	})
	g.paginate(w, r, len(repos), func(start, end int) any {
		items := []any{}
		for _, x := range repos[start:end] {
			items = append(items, g.repoJSON(x))
		}
		return map[string]any{"total_count": len(repos), "incomplete_results": false, "items": items}
	})
}

func (g *GitHub) listCollaborators(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w)
		return
	}
	g.paginate(w, r, len(repo.Collaborators), func(start, end int) any {
		out := []any{}
		for _, login := range repo.Collaborators[start:end] {
			u := g.userJSON(login)
			u["permissions"] = map[string]bool{"pull": true, "triage": false, "push": false, "maintain": false, "admin": false}
			u["role_name"] = "read"
			out = append(out, u)
		}
		return out
	})
}

func (g *GitHub) prJSON(repo *Repo, pr *PullRequest) map[string]any {
	labels := []any{}
	for i, l := range pr.Labels {
		labels = append(labels, map[string]any{"id": i + 1, "name": l, "color": "ededed", "default": false})
	}
	base := repo.DefaultBranch
	if pr.Base != "" {
		base = pr.Base
	}
	return map[string]any{
		"url":      g.URL() + "/api/v3/repos/" + repo.Path() + "/pulls/" + strconv.FormatInt(pr.Number, 10),
		"id":       pr.ID,
		"node_id":  githubNodeID(pr),
		"html_url": g.URL() + "/" + repo.Path() + "/pull/" + strconv.FormatInt(pr.Number, 10),
		"number":   pr.Number, "state": pr.State, "locked": false, "title": pr.Title, "body": pr.Body,
		"user": g.userJSON(pr.Author), "labels": labels, "draft": pr.Draft,
		"created_at": ts(pr.CreatedAt), "updated_at": ts(pr.UpdatedAt),
		"closed_at": tsPtr(pr.ClosedAt), "merged_at": tsPtr(pr.MergedAt), "merged": pr.Merged,
		"head": map[string]any{"label": repo.Owner + ":" + pr.Head, "ref": pr.Head, "sha": pr.HeadSHA,
			"user": g.userJSON(repo.Owner), "repo": g.repoJSON(repo)},
		"base": map[string]any{"label": repo.Owner + ":" + base, "ref": base,
			"user": g.userJSON(repo.Owner), "repo": g.repoJSON(repo)},
		"mergeable": nil, "mergeable_state": "unknown", "comments": 0, "review_comments": 0,
		"author_association": "MEMBER",
	}
}

func githubNodeID(pr *PullRequest) string { return fmt.Sprintf("PR_fake%d", pr.ID) }

func (g *GitHub) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w)
		return
	}
	if g.tooQuick > 0 {
		g.tooQuick--
		g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "custom", "message": "was submitted too quickly"})
		return
	}
	head := in.Head
	if owner, branch, ok := strings.Cut(head, ":"); ok && strings.EqualFold(owner, repo.Owner) {
		head = branch
	}
	for field, v := range map[string]string{"title": in.Title, "head": head, "base": in.Base} {
		if v == "" {
			g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "missing_field", "field": field})
			return
		}
	}
	if repo.GitDir != "" {
		for field, branch := range map[string]string{"head": head, "base": in.Base} {
			if _, ok := gitResolve(repo.GitDir, branch); !ok {
				g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "invalid", "field": field})
				return
			}
		}
	}
	for _, pr := range g.prs[strings.ToLower(repo.Path())] {
		if pr.State == "open" && pr.Head == head && pr.Base == in.Base {
			g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "custom",
				"message": fmt.Sprintf("A pull request already exists for %s:%s.", repo.Owner, head)})
			return
		}
	}
	pr := g.addPRLocked(repo, PullRequest{Title: in.Title, Body: in.Body, Head: head, Base: in.Base, Draft: in.Draft})
	w.Header().Set("Location", g.URL()+"/api/v3/repos/"+repo.Path()+"/pulls/"+strconv.FormatInt(pr.Number, 10))
	writeJSON(w, http.StatusCreated, g.prJSON(repo, pr))
}

func (g *GitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w)
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var prs []*PullRequest
	for _, pr := range g.prs[strings.ToLower(repo.Path())] {
		if state != "all" && pr.State != state {
			continue
		}
		if head := q.Get("head"); head != "" {
			owner, branch, ok := strings.Cut(head, ":")
			if !ok || !strings.EqualFold(owner, repo.Owner) || branch != pr.Head {
				continue
			}
		}
		if base := q.Get("base"); base != "" && base != pr.Base {
			continue
		}
		prs = append(prs, pr)
	}
	if q.Get("direction") != "asc" { // newest first is the default for sort=created
		for i, j := 0, len(prs)-1; i < j; i, j = i+1, j-1 {
			prs[i], prs[j] = prs[j], prs[i]
		}
	}
	g.paginate(w, r, len(prs), func(start, end int) any {
		out := []any{}
		for _, pr := range prs[start:end] {
			j := g.prJSON(repo, pr)
			delete(j, "merged") // the list endpoint has merged_at but not merged
			out = append(out, j)
		}
		return out
	})
}

func (g *GitHub) pull(w http.ResponseWriter, r *http.Request) (*Repo, *PullRequest) {
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	n, _ := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if repo == nil {
		g.notFound(w)
		return nil, nil
	}
	pr := g.prLocked(repo.Path(), n)
	if pr == nil {
		g.notFound(w)
		return nil, nil
	}
	return repo, pr
}

func (g *GitHub) getPull(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if repo, pr := g.pull(w, r); pr != nil {
		writeJSON(w, http.StatusOK, g.prJSON(repo, pr))
	}
}

func (g *GitHub) editPull(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr := g.pull(w, r)
	if pr == nil {
		return
	}
	if in.State != nil {
		switch {
		case *in.State != "open" && *in.State != "closed":
			g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "invalid", "field": "state"})
			return
		case *in.State == "open" && pr.Merged:
			g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "custom", "field": "state",
				"message": "state cannot be changed. The pull request cannot be reopened because it has been merged."})
			return
		}
	}
	if in.Base != nil && pr.State == "closed" && (in.State == nil || *in.State != "open") {
		g.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "custom", "field": "base",
			"message": "Cannot change the base branch of a closed pull request."})
		return
	}
	if in.Title != nil {
		pr.Title = *in.Title
	}
	if in.Body != nil {
		pr.Body = *in.Body
	}
	if in.Base != nil {
		pr.Base = *in.Base
	}
	if in.State != nil && *in.State != pr.State {
		now := time.Now().UTC().Truncate(time.Second)
		pr.State = *in.State
		if pr.State == "closed" {
			pr.ClosedAt = &now
		} else {
			pr.ClosedAt = nil
		}
	}
	pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	writeJSON(w, http.StatusOK, g.prJSON(repo, pr))
}

func (g *GitHub) listReviews(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr := g.pull(w, r)
	if pr == nil {
		return
	}
	g.paginate(w, r, len(pr.Reviews), func(start, end int) any {
		out := []any{}
		for _, rv := range pr.Reviews[start:end] {
			state := rv.State
			if rv.Dismissed {
				state = "DISMISSED"
			}
			out = append(out, map[string]any{
				"id": rv.ID, "node_id": fmt.Sprintf("PRR_fake%d", rv.ID), "user": g.userJSON(rv.User), "body": "",
				"state": state, "submitted_at": ts(rv.SubmittedAt), "commit_id": pr.HeadSHA,
				"html_url":         fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", g.URL(), repo.Path(), pr.Number, rv.ID),
				"pull_request_url": fmt.Sprintf("%s/api/v3/repos/%s/pulls/%d", g.URL(), repo.Path(), pr.Number),
			})
		}
		return out
	})
}

func (g *GitHub) combinedStatus(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(r.PathValue("owner") + "/" + r.PathValue("repo"))
	if repo == nil {
		g.notFound(w)
		return
	}
	sha := r.PathValue("ref")
	list := g.statusesLocked(sha)
	combined := "pending" // GitHub says pending when there are no statuses
	if len(list) > 0 {
		combined = "success"
		for _, s := range list {
			switch {
			case s.State == StatusFailure || s.State == "error":
				combined = "failure"
			case s.State == StatusPending && combined != "failure":
				combined = "pending"
			}
		}
	}
	statuses := []any{}
	for i, s := range list {
		statuses = append(statuses, map[string]any{"id": i + 1, "state": s.State, "context": s.Context,
			"description": "", "target_url": g.URL() + "/ci/" + sha, "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"state": combined, "statuses": statuses, "sha": sha, "total_count": len(list),
		"repository": g.repoJSON(repo), "commit_url": g.URL() + "/api/v3/repos/" + repo.Path() + "/commits/" + sha,
	})
}

func (g *GitHub) checkRunsFor(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.repoLocked(r.PathValue("owner")+"/"+r.PathValue("repo")) == nil {
		g.notFound(w)
		return
	}
	sha := r.PathValue("ref")
	runs := g.checkRuns[sha]
	g.paginate(w, r, len(runs), func(start, end int) any {
		out := []any{}
		for i, c := range runs[start:end] {
			var conclusion any
			if c.Status == "completed" {
				conclusion = c.Conclusion
			}
			out = append(out, map[string]any{"id": start + i + 1, "name": c.Name, "head_sha": sha, "status": c.Status, "conclusion": conclusion})
		}
		return map[string]any{"total_count": len(runs), "check_runs": out}
	})
}

func (g *GitHub) graphql(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	if !strings.Contains(in.Query, "markPullRequestReadyForReview") {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": "fakehost: only markPullRequestReadyForReview is implemented"}}})
		return
	}
	id, _ := in.Variables["id"].(string)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, list := range g.prs {
		for _, pr := range list {
			if githubNodeID(pr) == id {
				pr.Draft = false
				pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
				writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"markPullRequestReadyForReview": map[string]any{
					"pullRequest": map[string]any{"number": pr.Number, "isDraft": false}}}})
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{"markPullRequestReadyForReview": nil},
		"errors": []any{map[string]any{"type": "NOT_FOUND", "path": []string{"markPullRequestReadyForReview"},
			"message": fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id)}},
	})
}

// delivery signs a payload the way GitHub does (X-Hub-Signature-256 and the legacy
// SHA-1 X-Hub-Signature).
// The caller holds the lock.
func (g *GitHub) delivery(event string, payload any) Delivery {
	body := mustJSON(payload)
	secret := g.secret
	mac1 := hmac.New(sha1.New, []byte(secret))
	mac1.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/fake")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", newDeliveryID())
	h.Set("X-GitHub-Hook-ID", "1")
	h.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac1.Sum(nil)))
	h.Set("X-Hub-Signature-256", "sha256="+hmacHex(secret, body))
	return Delivery{Header: h, Body: body}
}

// PushDelivery is a "push" delivery for ref moving from before to after.
func (g *GitHub) PushDelivery(repoPath, ref, before, after string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(repoPath)
	if repo == nil {
		return Delivery{}, fmt.Errorf("fakehost: no repository %s", repoPath)
	}
	const zero = "0000000000000000000000000000000000000000"
	rj := g.repoJSON(repo)
	rj["owner"] = map[string]any{"name": repo.Owner, "login": repo.Owner, "email": nil, "id": g.userLocked(repo.Owner).ID, "type": "User"}
	rj["pushed_at"] = time.Now().Unix()
	rj["created_at"] = 1577836800
	return g.delivery("push", map[string]any{
		"ref": ref, "before": before, "after": after, "created": before == zero, "deleted": after == zero, "forced": false,
		"base_ref": nil, "compare": fmt.Sprintf("%s/%s/compare/%.12s...%.12s", g.URL(), repo.Path(), before, after),
		"commits": []any{}, "head_commit": nil, "repository": rj,
		"pusher": map[string]any{"name": "lookout-bot", "email": "bot@example.com"},
		"sender": g.userJSON("lookout-bot"),
	}), nil
}

// PullRequestDelivery is a "pull_request" delivery with the pull request as it is now;
// action is GitHub's ("opened", "closed", "reopened", "synchronize", "ready_for_review", ...).
func (g *GitHub) PullRequestDelivery(repoPath string, number int64, action string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, err := g.repoPR(repoPath, number)
	if err != nil {
		return Delivery{}, err
	}
	return g.delivery("pull_request", map[string]any{
		"action": action, "number": pr.Number, "pull_request": g.prJSON(repo, pr),
		"repository": g.repoJSON(repo), "sender": g.userJSON(pr.Author),
	}), nil
}

// ReviewDelivery is a "pull_request_review" delivery for the pull request's latest review.
func (g *GitHub) ReviewDelivery(repoPath string, number int64) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, rv, err := g.latestReview(repoPath, number)
	if err != nil {
		return Delivery{}, err
	}
	return g.delivery("pull_request_review", map[string]any{
		"action": "submitted",
		"review": map[string]any{"id": rv.ID, "node_id": fmt.Sprintf("PRR_fake%d", rv.ID), "user": g.userJSON(rv.User),
			"body": nil, "commit_id": pr.HeadSHA, "submitted_at": ts(rv.SubmittedAt), "state": strings.ToLower(rv.State),
			"html_url": fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", g.URL(), repo.Path(), pr.Number, rv.ID)},
		"pull_request": g.prJSON(repo, pr), "repository": g.repoJSON(repo), "sender": g.userJSON(rv.User),
	}), nil
}

// StatusDelivery is a "status" delivery for one context of the pull request's head.
func (g *GitHub) StatusDelivery(repoPath string, number int64, context string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, state, err := g.headStatus(repoPath, number, context)
	if err != nil {
		return Delivery{}, err
	}
	return g.delivery("status", map[string]any{
		"id": 1, "sha": pr.HeadSHA, "name": repo.Path(), "target_url": g.URL() + "/ci/" + pr.HeadSHA,
		"context": context, "description": "", "state": state,
		"commit":     map[string]any{"sha": pr.HeadSHA, "url": g.URL() + "/api/v3/repos/" + repo.Path() + "/commits/" + pr.HeadSHA},
		"branches":   []any{map[string]any{"name": pr.Head, "commit": map[string]any{"sha": pr.HeadSHA}, "protected": false}},
		"created_at": ts(time.Now()), "updated_at": ts(time.Now()),
		"repository": g.repoJSON(repo), "sender": g.userJSON("ci-bot"),
	}), nil
}
