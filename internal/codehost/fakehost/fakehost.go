// Package fakehost has in-process fakes of the code hosts Lookout talks to: GitHub,
// GitLab, Gitea and Bitbucket Server. Each is an httptest server speaking the host's
// real REST wire format for the calls Lookout makes (paths, JSON shapes, pagination
// headers, error bodies, auth and rate-limit answers), so codehost's clients are tested
// through their real libraries. A test adds repositories and users, watches the pull
// requests Lookout opens, moves them along (merge, review, CI) and builds correctly
// signed webhook deliveries of the host's real payload shapes.
//
// The fakes are test doubles for remote services that cannot run here. They implement
// what Lookout uses and no more; anything else answers the host's 404.
package fakehost

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of every fake; tests may change them with SetToken and SetWebhookSecret.
const (
	DefaultToken         = "fake-token"
	DefaultWebhookSecret = "fake-webhook-secret"
)

// Repo is a repository on a fake host.
type Repo struct {
	// Owner is the GitHub/Gitea owner, the GitLab namespace ("group/sub") or the
	// Bitbucket Server project key; Name the repository name (slug).
	Owner string
	Name  string
	// ID is assigned by AddRepo when zero.
	ID            int64
	Description   string
	DefaultBranch string // "main" when empty
	Private       bool
	Fork          bool
	Archived      bool
	// Collaborators are logins (see AddUser) with read access: GitHub collaborators,
	// GitLab members, Gitea collaborators, Bitbucket Server user grants.
	Collaborators []string
	// GitDir, when set, is a git repository served over smart HTTP at the repository's
	// clone URL (clone and push, with the token as password); pull requests then take
	// their head commit from it, and GitHub refuses a head branch that does not exist.
	GitDir string
}

// Path is the repository's path on its host.
func (r Repo) Path() string { return r.Owner + "/" + r.Name }

// User is an account on a fake host.
type User struct {
	Login string
	Email string
	ID    int64 // assigned when zero
}

// Review states, as tests give them to AddReview.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
)

// Commit status states, as tests give them to SetCommitStatus and SetChecks.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusPending = "pending"
)

// PullRequest is a pull request (GitLab: merge request) stored by a fake.
type PullRequest struct {
	Repo      string // repository path
	Number    int64  // per repository (GitLab IID, Bitbucket ID)
	ID        int64  // global
	Title     string
	Body      string
	Head      string // branch names
	Base      string
	HeadSHA   string
	State     string // "open" or "closed"
	Merged    bool
	Draft     bool
	Labels    []string
	Author    string
	Reviews   []PRReview
	Version   int // Bitbucket Server's optimistic-locking version
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
	MergedAt  *time.Time
}

// PRReview is one review of a pull request.
type PRReview struct {
	ID          int64
	User        string
	State       string // ReviewApproved, ReviewChangesRequested, ReviewCommented
	Dismissed   bool
	SubmittedAt time.Time
}

// CommitStatus is a CI status of a commit.
type CommitStatus struct {
	Context string
	State   string // StatusSuccess, StatusFailure, StatusPending
}

// Delivery is a webhook delivery as a host would send it: headers (event name,
// signature or token) and the JSON body.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// Request builds the POST of the delivery to target. It panics on a malformed target,
// which is a mistake in the test.
func (d Delivery) Request(target string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(d.Body))
	if err != nil {
		panic(fmt.Sprintf("fakehost: bad webhook target %q: %v", target, err))
	}
	for k, v := range d.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	return req
}

// Host is the state shared by every fake: repositories, users, pull requests, commit
// statuses, and the knobs tests turn. Its methods are safe for concurrent use.
type Host struct {
	srv *httptest.Server

	mu         sync.Mutex
	token      string
	username   string
	secret     string
	orgs       map[string]bool
	users      map[string]*User
	repos      []*Repo
	prs        map[string][]*PullRequest // by lower-case repo path
	statuses   map[string][]CommitStatus // by commit SHA
	nextID     int64
	maxPerPage int
	limited    int
	retryAfter time.Duration
	secondary  bool
	requests   []string
	shaSeq     int
	onRequest  func(*http.Request)
}

func newHost(t testing.TB, handler func(h *Host) http.Handler) *Host {
	h := &Host{
		token:      DefaultToken,
		secret:     DefaultWebhookSecret,
		orgs:       map[string]bool{},
		users:      map[string]*User{},
		prs:        map[string][]*PullRequest{},
		statuses:   map[string][]CommitStatus{},
		nextID:     1000,
		maxPerPage: 100,
	}
	h.srv = httptest.NewServer(handler(h))
	if t != nil {
		t.Cleanup(h.srv.Close)
	}
	return h
}

// URL is the host's base URL, to use as a connection's "url".
func (h *Host) URL() string { return h.srv.URL }

// Close stops the server (done automatically at the end of the test).
func (h *Host) Close() { h.srv.Close() }

// Client is an HTTP client for the server.
func (h *Host) Client() *http.Client { return h.srv.Client() }

// SetToken sets the token the host accepts (DefaultToken by default).
func (h *Host) SetToken(token string) { h.mu.Lock(); h.token = token; h.mu.Unlock() }

// Token is the token the host accepts.
func (h *Host) Token() string { h.mu.Lock(); defer h.mu.Unlock(); return h.token }

// SetWebhookSecret sets the secret deliveries are signed with (DefaultWebhookSecret).
func (h *Host) SetWebhookSecret(s string) { h.mu.Lock(); h.secret = s; h.mu.Unlock() }

// SetMaxPerPage caps page sizes, as real servers cap per_page/limit, so a test sees
// several pages without creating hundreds of repositories.
func (h *Host) SetMaxPerPage(n int) { h.mu.Lock(); h.maxPerPage = n; h.mu.Unlock() }

// RateLimitNext makes the next n API requests answer the host's rate-limit response,
// asking the client to wait retryAfter.
func (h *Host) RateLimitNext(n int, retryAfter time.Duration) {
	h.mu.Lock()
	h.limited, h.retryAfter = n, retryAfter
	h.mu.Unlock()
}

// OnRequest calls f (without the host's lock held) before each API request is served,
// so a test can act as someone else changing things between a client's requests.
func (h *Host) OnRequest(f func(*http.Request)) { h.mu.Lock(); h.onRequest = f; h.mu.Unlock() }

// Requests lists the API requests served so far, as "METHOD /path?query".
func (h *Host) Requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.requests...)
}

// AddOrg declares an organization (GitHub, Gitea) or group (GitLab) or project
// (Bitbucket Server); owners of repositories that are not declared are users.
func (h *Host) AddOrg(name string) { h.mu.Lock(); h.orgs[strings.ToLower(name)] = true; h.mu.Unlock() }

// AddUser adds an account.
func (h *Host) AddUser(u User) User {
	h.mu.Lock()
	defer h.mu.Unlock()
	if u.ID == 0 {
		h.nextID++
		u.ID = h.nextID
	}
	cp := u
	h.users[strings.ToLower(u.Login)] = &cp
	return u
}

// AddRepo adds a repository and returns it with its ID and default branch filled in.
func (h *Host) AddRepo(r Repo) Repo {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.ID == 0 {
		h.nextID++
		r.ID = h.nextID
	}
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	cp := r
	cp.Collaborators = append([]string(nil), r.Collaborators...)
	h.repos = append(h.repos, &cp)
	return r
}

// Repo returns a repository by path.
func (h *Host) Repo(path string) (Repo, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.repoLocked(path); r != nil {
		return *r, true
	}
	return Repo{}, false
}

func (h *Host) repoLocked(path string) *Repo {
	for _, r := range h.repos {
		if strings.EqualFold(r.Path(), path) {
			return r
		}
	}
	return nil
}

func (h *Host) repoByIDLocked(id int64) *Repo {
	for _, r := range h.repos {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// sortedRepos returns the repositories matching keep, by ID (creation order).
func (h *Host) sortedRepos(keep func(*Repo) bool) []*Repo {
	var out []*Repo
	for _, r := range h.repos {
		if keep(r) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (h *Host) userLocked(login string) *User {
	if u, ok := h.users[strings.ToLower(login)]; ok {
		return u
	}
	return &User{Login: login, ID: int64(len(login))*7919 + 1}
}

// PullRequests lists a repository's pull requests, oldest first.
func (h *Host) PullRequests(repoPath string) []PullRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []PullRequest
	for _, pr := range h.prs[strings.ToLower(repoPath)] {
		out = append(out, pr.clone())
	}
	return out
}

// PullRequest returns one pull request.
func (h *Host) PullRequest(repoPath string, number int64) (PullRequest, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if pr := h.prLocked(repoPath, number); pr != nil {
		return pr.clone(), true
	}
	return PullRequest{}, false
}

func (pr *PullRequest) clone() PullRequest {
	cp := *pr
	cp.Labels = append([]string(nil), pr.Labels...)
	cp.Reviews = append([]PRReview(nil), pr.Reviews...)
	return cp
}

func (h *Host) prLocked(repoPath string, number int64) *PullRequest {
	for _, pr := range h.prs[strings.ToLower(repoPath)] {
		if pr.Number == number {
			return pr
		}
	}
	return nil
}

// AddPullRequest stores a pull request as if someone had opened it (number, head SHA,
// times and state filled in when empty) and returns it.
func (h *Host) AddPullRequest(repoPath string, pr PullRequest) (PullRequest, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.repoLocked(repoPath)
	if r == nil {
		return PullRequest{}, fmt.Errorf("fakehost: no repository %s", repoPath)
	}
	return h.addPRLocked(r, pr).clone(), nil
}

func (h *Host) addPRLocked(r *Repo, pr PullRequest) *PullRequest {
	key := strings.ToLower(r.Path())
	pr.Repo = r.Path()
	if pr.Number == 0 {
		pr.Number = int64(len(h.prs[key]) + 1)
	}
	h.nextID++
	pr.ID = h.nextID
	if pr.State == "" {
		pr.State = "open"
	}
	if pr.Base == "" {
		pr.Base = r.DefaultBranch
	}
	if pr.HeadSHA == "" {
		pr.HeadSHA = h.headSHALocked(r, pr.Head)
	}
	if pr.Author == "" {
		pr.Author = "lookout-bot"
	}
	now := time.Now().UTC().Truncate(time.Second)
	if pr.CreatedAt.IsZero() {
		pr.CreatedAt = now
	}
	pr.UpdatedAt = now
	p := &pr
	h.prs[key] = append(h.prs[key], p)
	return p
}

// headSHALocked resolves a branch in the repository's GitDir, or makes up a stable SHA.
func (h *Host) headSHALocked(r *Repo, branch string) string {
	if r.GitDir != "" {
		if sha, ok := gitResolve(r.GitDir, branch); ok {
			return sha
		}
	}
	h.shaSeq++
	sum := sha1.Sum([]byte(fmt.Sprintf("%s\x00%s\x00%d", r.Path(), branch, h.shaSeq)))
	return hex.EncodeToString(sum[:])
}

// gitResolve returns the commit a branch points at in dir.
func gitResolve(dir, branch string) (string, bool) {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch+"^{commit}").Output()
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

// MergePullRequest marks a pull request merged (and closed).
func (h *Host) MergePullRequest(repoPath string, number int64) error {
	return h.updatePR(repoPath, number, func(pr *PullRequest) {
		now := time.Now().UTC().Truncate(time.Second)
		pr.State, pr.Merged, pr.MergedAt, pr.ClosedAt = "closed", true, &now, &now
	})
}

// ClosePullRequest closes a pull request without merging, as a person on the host would.
func (h *Host) ClosePullRequest(repoPath string, number int64) error {
	return h.updatePR(repoPath, number, func(pr *PullRequest) {
		now := time.Now().UTC().Truncate(time.Second)
		pr.State, pr.ClosedAt = "closed", &now
	})
}

// AddReview records a review (ReviewApproved, ReviewChangesRequested, ReviewCommented)
// by user; the user is added if unknown.
func (h *Host) AddReview(repoPath string, number int64, user, state string) error {
	h.mu.Lock()
	if _, ok := h.users[strings.ToLower(user)]; !ok {
		h.nextID++
		h.users[strings.ToLower(user)] = &User{Login: user, ID: h.nextID}
	}
	h.mu.Unlock()
	return h.updatePR(repoPath, number, func(pr *PullRequest) {
		h.nextID++
		pr.Reviews = append(pr.Reviews, PRReview{ID: h.nextID, User: user, State: state, SubmittedAt: time.Now().UTC().Truncate(time.Second)})
	})
}

// SetLabels sets a pull request's labels.
func (h *Host) SetLabels(repoPath string, number int64, labels ...string) error {
	return h.updatePR(repoPath, number, func(pr *PullRequest) { pr.Labels = append([]string(nil), labels...) })
}

func (h *Host) updatePR(repoPath string, number int64, f func(*PullRequest)) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	pr := h.prLocked(repoPath, number)
	if pr == nil {
		return fmt.Errorf("fakehost: no pull request %s#%d", repoPath, number)
	}
	f(pr)
	pr.Version++
	pr.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	return nil
}

// SetCommitStatus sets the status of one CI context on a commit.
func (h *Host) SetCommitStatus(sha, context, state string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.statuses[sha]
	for i := range list {
		if list[i].Context == context {
			list[i].State = state
			return
		}
	}
	h.statuses[sha] = append(list, CommitStatus{Context: context, State: state})
}

// SetChecks sets the CI status (context "ci/fake") of a pull request's head commit.
func (h *Host) SetChecks(repoPath string, number int64, state string) error {
	pr, ok := h.PullRequest(repoPath, number)
	if !ok {
		return fmt.Errorf("fakehost: no pull request %s#%d", repoPath, number)
	}
	h.SetCommitStatus(pr.HeadSHA, "ci/fake", state)
	return nil
}

func (h *Host) statusesLocked(sha string) []CommitStatus {
	return append([]CommitStatus(nil), h.statuses[sha]...)
}

// hasCollaborator reports whether login is a collaborator.
func (r *Repo) hasCollaborator(login string) bool {
	for _, c := range r.Collaborators {
		if strings.EqualFold(c, login) {
			return true
		}
	}
	return false
}

// gate runs the checks every API request goes through, in the order hosts apply them:
// log, rate limit, authentication. It returns false when it has answered.
func (h *Host) gate(w http.ResponseWriter, r *http.Request, authorized func(*http.Request, string, string) bool, rateLimited, unauthorized func(http.ResponseWriter, time.Duration)) bool {
	h.mu.Lock()
	h.requests = append(h.requests, r.Method+" "+r.URL.RequestURI())
	limited := h.limited > 0
	if limited {
		h.limited--
	}
	wait, token, username, hook := h.retryAfter, h.token, h.username, h.onRequest
	h.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	if limited {
		rateLimited(w, wait)
		return false
	}
	if !authorized(r, token, username) {
		unauthorized(w, wait)
		return false
	}
	return true
}

// bearerOrToken accepts "Authorization: Bearer <t>" or "token <t>" or Basic with the
// token as password (any username unless username is set).
func bearerOrToken(r *http.Request, token, username string) bool {
	auth := r.Header.Get("Authorization")
	if v, ok := strings.CutPrefix(auth, "Bearer "); ok {
		return hmac.Equal([]byte(v), []byte(token))
	}
	if v, ok := strings.CutPrefix(auth, "token "); ok {
		return hmac.Equal([]byte(v), []byte(token))
	}
	if u, p, ok := r.BasicAuth(); ok {
		return hmac.Equal([]byte(p), []byte(token)) && (username == "" || u == username)
	}
	return false
}

// pageLocked cuts items [start, end) for a 1-based page of size per (capped by
// maxPerPage). The caller holds h.mu.
func (h *Host) pageLocked(total int, pageParam, perParam string, defPer int) (start, end, page, per int) {
	max := h.maxPerPage
	page, _ = strconv.Atoi(pageParam)
	if page < 1 {
		page = 1
	}
	per, _ = strconv.Atoi(perParam)
	if per < 1 {
		per = defPer
	}
	if per > max {
		per = max
	}
	start = (page - 1) * per
	if start > total {
		start = total
	}
	end = start + per
	if end > total {
		end = total
	}
	return start, end, page, per
}

func lastPage(total, per int) int {
	if total == 0 {
		return 1
	}
	return (total + per - 1) / per
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeBody(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}

func hmacHex(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakehost: marshaling payload: %v", err))
	}
	return data
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func newDeliveryID() string {
	b := make([]byte, 16)
	sum := sha1.Sum([]byte(time.Now().String()))
	copy(b, sum[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// repoPR finds a pull request and its repository. The caller holds h.mu.
func (h *Host) repoPR(repoPath string, number int64) (*Repo, *PullRequest, error) {
	repo := h.repoLocked(repoPath)
	if repo == nil {
		return nil, nil, fmt.Errorf("fakehost: no repository %s", repoPath)
	}
	pr := h.prLocked(repoPath, number)
	if pr == nil {
		return nil, nil, fmt.Errorf("fakehost: no pull request %s#%d", repoPath, number)
	}
	return repo, pr, nil
}

// latestReview is repoPR with the pull request's latest review, which review
// deliveries describe. The caller holds h.mu.
func (h *Host) latestReview(repoPath string, number int64) (*Repo, *PullRequest, PRReview, error) {
	repo, pr, err := h.repoPR(repoPath, number)
	if err != nil {
		return nil, nil, PRReview{}, err
	}
	if len(pr.Reviews) == 0 {
		return nil, nil, PRReview{}, fmt.Errorf("fakehost: %s#%d has no review", repoPath, number)
	}
	return repo, pr, pr.Reviews[len(pr.Reviews)-1], nil
}

// headStatus is repoPR with the state of one status context on the pull request's
// head, which status deliveries describe. The caller holds h.mu.
func (h *Host) headStatus(repoPath string, number int64, context string) (*Repo, *PullRequest, string, error) {
	repo, pr, err := h.repoPR(repoPath, number)
	if err != nil {
		return nil, nil, "", err
	}
	state := ""
	for _, s := range h.statuses[pr.HeadSHA] {
		if s.Context == context {
			state = s.State
		}
	}
	if state == "" {
		return nil, nil, "", fmt.Errorf("fakehost: no status %q on %s", context, pr.HeadSHA)
	}
	return repo, pr, state, nil
}
