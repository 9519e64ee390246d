package fakehost

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// GitLab fakes GitLab's REST API v4 (/api/v4) and git over HTTP at
// https://host/namespace/project.git.
//
// Served: GET /projects/{id} (numeric ID or URL-encoded path), /groups/{id}/projects
// (include_subgroups), /projects?search=, /projects/{id}/members/all, POST and GET
// /projects/{id}/merge_requests (source_branch, state filters), GET and PUT
// /projects/{id}/merge_requests/{iid} (title, description, target_branch, state_event),
// GET .../approvals and .../reviewers. Pages follow page/per_page with X-Page,
// X-Per-Page, X-Total, X-Total-Pages, X-Next-Page, X-Prev-Page and Link headers. Errors
// are GitLab's: 401 {"message":"401 Unauthorized"}, 404 {"message":"404 Project Not
// Found"}, 409 {"message":["Another open merge request already exists for this source
// branch: !N"]}, and 429 "Retry later" with RateLimit-* and Retry-After headers. Tokens
// come as PRIVATE-TOKEN or Authorization: Bearer. Merge requests are drafts when their
// title starts with "Draft:", "[Draft]" or "(Draft)", as on GitLab.
type GitLab struct{ *Host }

// NewGitLab starts a fake GitLab, stopped when the test ends.
func NewGitLab(t testing.TB) *GitLab {
	g := &GitLab{}
	g.Host = newHost(t, func(h *Host) http.Handler {
		g.Host = h
		return g.handler()
	})
	return g
}

func gitlabAuthorized(r *http.Request, token, username string) bool {
	if v := r.Header.Get("PRIVATE-TOKEN"); v != "" {
		return v == token
	}
	return bearerOrToken(r, token, username)
}

func (g *GitLab) handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/api/v4"
	mux.HandleFunc("GET "+p+"/projects/{id}", g.getProject)
	mux.HandleFunc("GET "+p+"/projects", g.searchProjects)
	mux.HandleFunc("GET "+p+"/groups/{id}/projects", g.groupProjects)
	mux.HandleFunc("GET "+p+"/projects/{id}/members/all", g.members)
	mux.HandleFunc("POST "+p+"/projects/{id}/merge_requests", g.createMR)
	mux.HandleFunc("GET "+p+"/projects/{id}/merge_requests", g.listMRs)
	mux.HandleFunc("GET "+p+"/projects/{id}/merge_requests/{iid}", g.getMR)
	mux.HandleFunc("PUT "+p+"/projects/{id}/merge_requests/{iid}", g.updateMR)
	mux.HandleFunc("GET "+p+"/projects/{id}/merge_requests/{iid}/approvals", g.approvals)
	mux.HandleFunc("GET "+p+"/projects/{id}/merge_requests/{iid}/reviewers", g.reviewers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			if !g.serveGit(w, r, "") {
				http.NotFound(w, r)
			}
			return
		}
		if !g.gate(w, r, gitlabAuthorized, g.rateLimited, g.unauthorized) {
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (g *GitLab) rateLimited(w http.ResponseWriter, wait time.Duration) {
	reset := time.Now().Add(wait)
	h := w.Header()
	h.Set("RateLimit-Name", "throttle_authenticated_api")
	h.Set("RateLimit-Limit", "2000")
	h.Set("RateLimit-Observed", "2001")
	h.Set("RateLimit-Remaining", "0")
	h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
	h.Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
	h.Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte("Retry later\n"))
}

func (g *GitLab) unauthorized(w http.ResponseWriter, _ time.Duration) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401 Unauthorized"})
}

func (g *GitLab) notFound(w http.ResponseWriter, what string) {
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 " + what + " Not Found"})
}

func gitlabTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func gitlabTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return gitlabTime(*t)
}

// project finds a project by numeric ID or path. The caller holds g.mu.
func (g *GitLab) project(id string) *Repo {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return g.repoByIDLocked(n)
	}
	return g.repoLocked(id)
}

func (g *GitLab) namespaceJSON(path string) map[string]any {
	kind := "user"
	if g.orgs[strings.ToLower(path)] || strings.Contains(path, "/") {
		kind = "group"
	}
	name := path[strings.LastIndex(path, "/")+1:]
	return map[string]any{"id": int64(len(path))*104729 + 7, "name": name, "path": name, "kind": kind,
		"full_path": path, "parent_id": nil, "web_url": g.URL() + "/" + path}
}

func (g *GitLab) projectJSON(r *Repo) map[string]any {
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	var desc any
	if r.Description != "" {
		desc = r.Description
	}
	u, _ := url.Parse(g.URL())
	j := map[string]any{
		"id": r.ID, "description": desc, "name": r.Name, "name_with_namespace": strings.ReplaceAll(r.Owner, "/", " / ") + " / " + r.Name,
		"path": r.Name, "path_with_namespace": r.Path(), "created_at": "2020-01-01T00:00:00.000Z",
		"default_branch": r.DefaultBranch, "tag_list": []string{}, "topics": []string{},
		"ssh_url_to_repo": "git@" + u.Hostname() + ":" + r.Path() + ".git", "http_url_to_repo": g.URL() + "/" + r.Path() + ".git",
		"web_url": g.URL() + "/" + r.Path(), "readme_url": nil, "avatar_url": nil, "forks_count": 0, "star_count": 0,
		"last_activity_at": "2020-01-01T00:00:00.000Z", "namespace": g.namespaceJSON(r.Owner),
		"visibility": visibility, "archived": r.Archived, "empty_repo": false,
	}
	if r.Fork {
		j["forked_from_project"] = map[string]any{"id": r.ID + 1000000, "name": r.Name, "path_with_namespace": "upstream/" + r.Name}
	}
	return j
}

func (g *GitLab) userJSON(login string) map[string]any {
	u := g.userLocked(login)
	return map[string]any{"id": u.ID, "username": u.Login, "name": u.Login, "state": "active",
		"avatar_url": nil, "web_url": g.URL() + "/" + u.Login}
}

// paginate writes one page with GitLab's pagination headers. The caller holds g.mu.
func (g *GitLab) paginate(w http.ResponseWriter, r *http.Request, total int, write func(start, end int) any) {
	q := r.URL.Query()
	start, end, page, per := g.pageLocked(total, q.Get("page"), q.Get("per_page"), 20)
	last := lastPage(total, per)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(last))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	var links []string
	link := func(p int, rel string) {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		links = append(links, fmt.Sprintf(`<%s%s?%s>; rel="%s"`, g.URL(), r.URL.EscapedPath(), q.Encode(), rel))
	}
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		link(page-1, "prev")
	}
	if page < last {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		link(page+1, "next")
	}
	link(1, "first")
	link(last, "last")
	h.Set("Link", strings.Join(links, ", "))
	writeJSON(w, http.StatusOK, write(start, end))
}

func (g *GitLab) writeProjects(w http.ResponseWriter, r *http.Request, repos []*Repo) {
	g.paginate(w, r, len(repos), func(start, end int) any {
		out := []any{}
		for _, x := range repos[start:end] {
			out = append(out, g.projectJSON(x))
		}
		return out
	})
}

func (g *GitLab) getProject(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.project(r.PathValue("id"))
	if repo == nil {
		g.notFound(w, "Project")
		return
	}
	writeJSON(w, http.StatusOK, g.projectJSON(repo))
}

func (g *GitLab) searchProjects(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	search := strings.ToLower(r.URL.Query().Get("search"))
	g.writeProjects(w, r, g.sortedRepos(func(x *Repo) bool {
		return strings.Contains(strings.ToLower(x.Path()+" "+x.Description), search)
	}))
}

func (g *GitLab) groupProjects(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	group := r.PathValue("id")
	sub := r.URL.Query().Get("include_subgroups") == "true"
	inGroup := func(x *Repo) bool {
		return strings.EqualFold(x.Owner, group) || (sub && strings.HasPrefix(strings.ToLower(x.Owner), strings.ToLower(group)+"/"))
	}
	repos := g.sortedRepos(inGroup)
	if len(repos) == 0 && !g.orgs[strings.ToLower(group)] {
		g.notFound(w, "Group")
		return
	}
	g.writeProjects(w, r, repos)
}

func (g *GitLab) members(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.project(r.PathValue("id"))
	if repo == nil {
		g.notFound(w, "Project")
		return
	}
	g.paginate(w, r, len(repo.Collaborators), func(start, end int) any {
		out := []any{}
		for _, login := range repo.Collaborators[start:end] {
			m := g.userJSON(login)
			m["access_level"] = 20
			m["created_at"] = "2020-01-01T00:00:00.000Z"
			m["expires_at"] = nil
			out = append(out, m)
		}
		return out
	})
}

var gitlabDraftPrefixes = []string{"draft:", "[draft]", "(draft)"}

func gitlabIsDraft(title string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	for _, p := range gitlabDraftPrefixes {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

func gitlabState(pr *PullRequest) string {
	switch {
	case pr.Merged:
		return "merged"
	case pr.State == "closed":
		return "closed"
	}
	return "opened"
}

// latestReviews is each reviewer's latest non-dismissed review, in first-review order.
func latestReviews(pr *PullRequest) []PRReview {
	var order []string
	latest := map[string]PRReview{}
	for _, rv := range pr.Reviews {
		if rv.Dismissed {
			continue
		}
		if _, ok := latest[rv.User]; !ok {
			order = append(order, rv.User)
		}
		if prev, ok := latest[rv.User]; ok && rv.State == ReviewCommented && prev.State != ReviewCommented {
			continue // a comment does not withdraw an approval or a change request
		}
		latest[rv.User] = rv
	}
	out := make([]PRReview, 0, len(order))
	for _, u := range order {
		out = append(out, latest[u])
	}
	return out
}

// pipelineStatus sums a commit's statuses the way a GitLab pipeline reports them.
func pipelineStatus(statuses []CommitStatus) string {
	if len(statuses) == 0 {
		return ""
	}
	status := "success"
	for _, s := range statuses {
		switch s.State {
		case StatusFailure, "error":
			return "failed"
		case StatusPending:
			status = "running"
		}
	}
	return status
}

func (g *GitLab) mrJSON(repo *Repo, pr *PullRequest) map[string]any {
	notes := 0
	var reviewers []any
	for _, rv := range pr.Reviews {
		if rv.State == ReviewCommented {
			notes++
		}
	}
	for _, rv := range latestReviews(pr) {
		reviewers = append(reviewers, g.userJSON(rv.User))
	}
	if reviewers == nil {
		reviewers = []any{}
	}
	var pipeline any
	if status := pipelineStatus(g.statusesLocked(pr.HeadSHA)); status != "" {
		pipeline = map[string]any{"id": pr.ID + 500000, "iid": pr.Number, "project_id": repo.ID, "sha": pr.HeadSHA,
			"ref": pr.Head, "status": status, "source": "merge_request_event",
			"web_url":    fmt.Sprintf("%s/%s/-/pipelines/%d", g.URL(), repo.Path(), pr.ID+500000),
			"created_at": gitlabTime(pr.CreatedAt), "updated_at": gitlabTime(pr.UpdatedAt)}
	}
	labels := append([]string{}, pr.Labels...)
	draft := gitlabIsDraft(pr.Title)
	return map[string]any{
		"id": pr.ID, "iid": pr.Number, "project_id": repo.ID, "title": pr.Title, "description": pr.Body,
		"state": gitlabState(pr), "created_at": gitlabTime(pr.CreatedAt), "updated_at": gitlabTime(pr.UpdatedAt),
		"merged_at": gitlabTimePtr(pr.MergedAt), "closed_at": gitlabTimePtr(pr.ClosedAt),
		"target_branch": pr.Base, "source_branch": pr.Head, "user_notes_count": notes, "upvotes": 0, "downvotes": 0,
		"author": g.userJSON(pr.Author), "assignees": []any{}, "reviewers": reviewers,
		"source_project_id": repo.ID, "target_project_id": repo.ID, "labels": labels,
		"draft": draft, "work_in_progress": draft, "merge_when_pipeline_succeeds": false,
		"merge_status": "can_be_merged", "detailed_merge_status": "mergeable", "sha": pr.HeadSHA,
		"merge_commit_sha": nil, "squash_commit_sha": nil,
		"web_url":       fmt.Sprintf("%s/%s/-/merge_requests/%d", g.URL(), repo.Path(), pr.Number),
		"references":    map[string]any{"short": fmt.Sprintf("!%d", pr.Number), "relative": fmt.Sprintf("!%d", pr.Number), "full": fmt.Sprintf("%s!%d", repo.Path(), pr.Number)},
		"head_pipeline": pipeline, "has_conflicts": false, "blocking_discussions_resolved": true,
		"diff_refs": map[string]any{"base_sha": nil, "head_sha": pr.HeadSHA, "start_sha": nil},
	}
}

func (g *GitLab) createMR(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title        string `json:"title"`
		Description  string `json:"description"`
		SourceBranch string `json:"source_branch"`
		TargetBranch string `json:"target_branch"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is invalid JSON"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.project(r.PathValue("id"))
	if repo == nil {
		g.notFound(w, "Project")
		return
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"source_branch", in.SourceBranch}, {"target_branch", in.TargetBranch}, {"title", in.Title}} {
		if f.v == "" {
			missing = append(missing, f.name+" is missing")
		}
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": strings.Join(missing, ", ")})
		return
	}
	if in.SourceBranch == in.TargetBranch {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": []string{"You can't use same project/branch for source and target"}})
		return
	}
	for _, pr := range g.prs[strings.ToLower(repo.Path())] {
		if pr.State == "open" && pr.Head == in.SourceBranch {
			writeJSON(w, http.StatusConflict, map[string]any{"message": []string{
				fmt.Sprintf("Another open merge request already exists for this source branch: !%d", pr.Number)}})
			return
		}
	}
	pr := g.addPRLocked(repo, PullRequest{Title: in.Title, Body: in.Description, Head: in.SourceBranch, Base: in.TargetBranch, Draft: gitlabIsDraft(in.Title)})
	writeJSON(w, http.StatusCreated, g.mrJSON(repo, pr))
}

func (g *GitLab) listMRs(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.project(r.PathValue("id"))
	if repo == nil {
		g.notFound(w, "Project")
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	var prs []*PullRequest
	for _, pr := range g.prs[strings.ToLower(repo.Path())] {
		if state != "" && state != "all" && gitlabState(pr) != state {
			continue
		}
		if sb := q.Get("source_branch"); sb != "" && pr.Head != sb {
			continue
		}
		prs = append(prs, pr)
	}
	if q.Get("sort") != "asc" {
		sort.SliceStable(prs, func(i, j int) bool { return prs[i].Number > prs[j].Number })
	}
	g.paginate(w, r, len(prs), func(start, end int) any {
		out := []any{}
		for _, pr := range prs[start:end] {
			j := g.mrJSON(repo, pr)
			delete(j, "head_pipeline") // only the single merge request has it
			delete(j, "diff_refs")
			out = append(out, j)
		}
		return out
	})
}

func (g *GitLab) mr(w http.ResponseWriter, r *http.Request) (*Repo, *PullRequest) {
	repo := g.project(r.PathValue("id"))
	if repo == nil {
		g.notFound(w, "Project")
		return nil, nil
	}
	n, _ := strconv.ParseInt(r.PathValue("iid"), 10, 64)
	pr := g.prLocked(repo.Path(), n)
	if pr == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Not found"})
		return nil, nil
	}
	return repo, pr
}

func (g *GitLab) getMR(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if repo, pr := g.mr(w, r); pr != nil {
		writeJSON(w, http.StatusOK, g.mrJSON(repo, pr))
	}
}

func (g *GitLab) updateMR(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title        *string `json:"title"`
		Description  *string `json:"description"`
		TargetBranch *string `json:"target_branch"`
		StateEvent   *string `json:"state_event"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is invalid JSON"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr := g.mr(w, r)
	if pr == nil {
		return
	}
	if in.Title != nil {
		pr.Title = *in.Title
		pr.Draft = gitlabIsDraft(pr.Title)
	}
	if in.Description != nil {
		pr.Body = *in.Description
	}
	if in.TargetBranch != nil {
		pr.Base = *in.TargetBranch
	}
	if in.StateEvent != nil && !pr.Merged { // a merged merge request's state does not change
		now := time.Now().UTC().Truncate(time.Second)
		switch *in.StateEvent {
		case "close":
			pr.State, pr.ClosedAt = "closed", &now
		case "reopen":
			pr.State, pr.ClosedAt = "open", nil
		}
	}
	pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	writeJSON(w, http.StatusOK, g.mrJSON(repo, pr))
}

func (g *GitLab) approvals(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr := g.mr(w, r)
	if pr == nil {
		return
	}
	approvedBy := []any{}
	for _, rv := range latestReviews(pr) {
		if rv.State == ReviewApproved {
			approvedBy = append(approvedBy, map[string]any{"user": g.userJSON(rv.User)})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": pr.ID, "iid": pr.Number, "project_id": repo.ID, "title": pr.Title, "description": pr.Body,
		"state": gitlabState(pr), "created_at": gitlabTime(pr.CreatedAt), "updated_at": gitlabTime(pr.UpdatedAt),
		"merge_status": "can_be_merged", "approved": len(approvedBy) > 0, "approvals_required": 0, "approvals_left": 0,
		"approved_by": approvedBy, "suggested_approvers": []any{}, "approvers": []any{}, "approver_groups": []any{},
	})
}

func (g *GitLab) reviewers(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, pr := g.mr(w, r)
	if pr == nil {
		return
	}
	out := []any{}
	for _, rv := range latestReviews(pr) {
		state := map[string]string{ReviewApproved: "approved", ReviewChangesRequested: "requested_changes", ReviewCommented: "reviewed"}[rv.State]
		out = append(out, map[string]any{"user": g.userJSON(rv.User), "state": state, "created_at": gitlabTime(rv.SubmittedAt)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *GitLab) hookProject(r *Repo) map[string]any {
	u, _ := url.Parse(g.URL())
	visibility := 20
	if r.Private {
		visibility = 0
	}
	return map[string]any{
		"id": r.ID, "name": r.Name, "description": r.Description, "web_url": g.URL() + "/" + r.Path(), "avatar_url": nil,
		"git_ssh_url": "git@" + u.Hostname() + ":" + r.Path() + ".git", "git_http_url": g.URL() + "/" + r.Path() + ".git",
		"namespace": r.Owner, "visibility_level": visibility, "path_with_namespace": r.Path(),
		"default_branch": r.DefaultBranch, "homepage": g.URL() + "/" + r.Path(),
		"url": "git@" + u.Hostname() + ":" + r.Path() + ".git", "ssh_url": "git@" + u.Hostname() + ":" + r.Path() + ".git",
		"http_url": g.URL() + "/" + r.Path() + ".git",
	}
}

// delivery builds a signed delivery. The caller holds the lock.
func (g *GitLab) delivery(event string, payload any) Delivery {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitLab/17.0.0")
	h.Set("X-Gitlab-Event", event)
	h.Set("X-Gitlab-Token", g.secret)
	h.Set("X-Gitlab-Event-UUID", newDeliveryID())
	h.Set("X-Gitlab-Webhook-UUID", newDeliveryID())
	h.Set("X-Gitlab-Instance", g.URL())
	return Delivery{Header: h, Body: mustJSON(payload)}
}

// PushDelivery is a "Push Hook" delivery (a "Tag Push Hook" for refs/tags/ refs).
func (g *GitLab) PushDelivery(repoPath, ref, before, after string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repoLocked(repoPath)
	if repo == nil {
		return Delivery{}, fmt.Errorf("fakehost: no repository %s", repoPath)
	}
	event, kind := "Push Hook", "push"
	if strings.HasPrefix(ref, "refs/tags/") {
		event, kind = "Tag Push Hook", "tag_push"
	}
	user := g.userLocked("lookout-bot")
	project := g.hookProject(repo)
	return g.delivery(event, map[string]any{
		"object_kind": kind, "event_name": kind, "before": before, "after": after, "ref": ref, "ref_protected": false,
		"checkout_sha": after, "user_id": user.ID, "user_name": user.Login, "user_username": user.Login,
		"user_email": "", "user_avatar": nil, "project_id": repo.ID, "project": project, "commits": []any{},
		"total_commits_count": 0,
		"repository": map[string]any{"name": repo.Name, "url": project["url"], "description": repo.Description,
			"homepage": project["homepage"], "git_http_url": project["git_http_url"], "git_ssh_url": project["git_ssh_url"],
			"visibility_level": project["visibility_level"]},
	}), nil
}

// MergeRequestDelivery is a "Merge Request Hook" delivery; action is GitLab's ("open",
// "update", "close", "reopen", "merge", "approved", "unapproved", ...).
func (g *GitLab) MergeRequestDelivery(repoPath string, iid int64, action string) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, err := g.repoPR(repoPath, iid)
	if err != nil {
		return Delivery{}, err
	}
	actor := pr.Author
	if (action == "approved" || action == "approval") && len(pr.Reviews) > 0 {
		actor = pr.Reviews[len(pr.Reviews)-1].User
	}
	draft := gitlabIsDraft(pr.Title)
	return g.delivery("Merge Request Hook", map[string]any{
		"object_kind": "merge_request", "event_type": "merge_request", "user": g.userJSON(actor),
		"project": g.hookProject(repo),
		"object_attributes": map[string]any{
			"id": pr.ID, "iid": pr.Number, "target_branch": pr.Base, "source_branch": pr.Head,
			"source_project_id": repo.ID, "target_project_id": repo.ID, "author_id": g.userLocked(pr.Author).ID,
			"title": pr.Title, "description": pr.Body, "created_at": gitlabTime(pr.CreatedAt), "updated_at": gitlabTime(pr.UpdatedAt),
			"state": gitlabState(pr), "action": action, "draft": draft, "work_in_progress": draft,
			"merge_status": "can_be_merged", "detailed_merge_status": "mergeable",
			"url":         fmt.Sprintf("%s/%s/-/merge_requests/%d", g.URL(), repo.Path(), pr.Number),
			"last_commit": map[string]any{"id": pr.HeadSHA, "message": pr.Title, "url": fmt.Sprintf("%s/%s/-/commit/%s", g.URL(), repo.Path(), pr.HeadSHA)},
		},
		"labels": []any{}, "changes": map[string]any{}, "reviewers": []any{},
		"repository": map[string]any{"name": repo.Name, "url": g.URL() + "/" + repo.Path() + ".git", "homepage": g.URL() + "/" + repo.Path()},
	}), nil
}

// PipelineDelivery is a "Pipeline Hook" delivery for the merge request's head pipeline
// (its status summed from the head commit's statuses).
func (g *GitLab) PipelineDelivery(repoPath string, iid int64) (Delivery, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, pr, err := g.repoPR(repoPath, iid)
	if err != nil {
		return Delivery{}, err
	}
	status := pipelineStatus(g.statusesLocked(pr.HeadSHA))
	if status == "" {
		return Delivery{}, fmt.Errorf("fakehost: no statuses on %s", pr.HeadSHA)
	}
	return g.delivery("Pipeline Hook", map[string]any{
		"object_kind": "pipeline",
		"object_attributes": map[string]any{"id": pr.ID + 500000, "iid": pr.Number, "name": nil, "ref": pr.Head, "tag": false,
			"sha": pr.HeadSHA, "before_sha": "0000000000000000000000000000000000000000", "source": "merge_request_event",
			"status": status, "detailed_status": status, "stages": []string{"test"}, "created_at": gitlabTime(pr.CreatedAt),
			"finished_at": nil, "duration": nil, "variables": []any{}},
		"merge_request": map[string]any{"id": pr.ID, "iid": pr.Number, "title": pr.Title, "source_branch": pr.Head,
			"target_branch": pr.Base, "state": gitlabState(pr), "merge_status": "can_be_merged",
			"url": fmt.Sprintf("%s/%s/-/merge_requests/%d", g.URL(), repo.Path(), pr.Number)},
		"user": g.userJSON("ci-bot"), "project": g.hookProject(repo),
		"commit": map[string]any{"id": pr.HeadSHA, "message": pr.Title, "url": fmt.Sprintf("%s/%s/-/commit/%s", g.URL(), repo.Path(), pr.HeadSHA)},
		"builds": []any{},
	}), nil
}
