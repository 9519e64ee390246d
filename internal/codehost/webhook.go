package codehost

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Webhook header names, as each host sends them.
const (
	HeaderGitHubEvent        = "X-GitHub-Event"
	HeaderGitHubSignature256 = "X-Hub-Signature-256"
	HeaderGitLabEvent        = "X-Gitlab-Event"
	HeaderGitLabToken        = "X-Gitlab-Token"
	HeaderGiteaEvent         = "X-Gitea-Event"
	HeaderGiteaEventType     = "X-Gitea-Event-Type"
	HeaderGiteaSignature     = "X-Gitea-Signature"
	HeaderBitbucketEventKey  = "X-Event-Key"
	HeaderBitbucketSignature = "X-Hub-Signature"
)

// VerifyWebhook checks that a delivery was sent by the host that knows the connection's
// webhook secret, in constant time: GitHub's X-Hub-Signature-256 (sha256=<hex HMAC>),
// GitLab's X-Gitlab-Token (the secret itself), Gitea's X-Gitea-Signature (hex HMAC) and
// Bitbucket Server's X-Hub-Signature (sha256=<hex HMAC>), all HMAC-SHA256 of the body.
// It returns [ErrNoSecret] when secret is empty and [ErrBadSignature] when the header is
// missing or wrong; the endpoint answers 401 to both.
func VerifyWebhook(kind Kind, secret string, headers http.Header, body []byte) error {
	if secret == "" {
		return ErrNoSecret
	}
	switch kind {
	case KindGitHub:
		return verifyPrefixedHMAC(secret, headers.Get(HeaderGitHubSignature256), body)
	case KindBitbucketServer:
		return verifyPrefixedHMAC(secret, headers.Get(HeaderBitbucketSignature), body)
	case KindGit:
		return verifyPrefixedHMAC(secret, headers.Get(HeaderGitHubSignature256), body)
	case KindGitea:
		return verifyHMAC(secret, headers.Get(HeaderGiteaSignature), body)
	case KindGitLab:
		token := headers.Get(HeaderGitLabToken)
		if token == "" {
			return fmt.Errorf("%w: no %s header", ErrBadSignature, HeaderGitLabToken)
		}
		// Compare digests so the comparison takes the same time whatever the lengths.
		a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("%s connections receive no webhooks: %w", kind, ErrUnsupported)
}

// CheckWebhookHeaders checks, before the body is read, that a delivery carries its
// host's signature header in the right form (sha256= and 64 hex digits, 64 hex digits,
// or a non-empty GitLab token). A delivery that fails cannot verify against any
// secret, so the endpoint refuses it without reading what may be megabytes of body.
func CheckWebhookHeaders(kind Kind, headers http.Header) error {
	var sig string
	switch kind {
	case KindGitHub, KindGit:
		sig = headers.Get(HeaderGitHubSignature256)
	case KindBitbucketServer:
		sig = headers.Get(HeaderBitbucketSignature)
	case KindGitea:
		return checkHexSignature(headers.Get(HeaderGiteaSignature))
	case KindGitLab:
		if headers.Get(HeaderGitLabToken) == "" {
			return fmt.Errorf("%w: no %s header", ErrBadSignature, HeaderGitLabToken)
		}
		return nil
	default:
		return fmt.Errorf("%s connections receive no webhooks: %w", kind, ErrUnsupported)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: no signature header of the form sha256=<hex>", ErrBadSignature)
	}
	return checkHexSignature(hexSig)
}

func checkHexSignature(hexSig string) error {
	hexSig = strings.TrimSpace(hexSig)
	if hexSig == "" {
		return fmt.Errorf("%w: no signature header", ErrBadSignature)
	}
	if b, err := hex.DecodeString(hexSig); err != nil || len(b) != sha256.Size {
		return fmt.Errorf("%w: signature is not %d hex digits", ErrBadSignature, 2*sha256.Size)
	}
	return nil
}

func verifyPrefixedHMAC(secret, header string, body []byte) error {
	if header == "" {
		return fmt.Errorf("%w: no signature header", ErrBadSignature)
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return fmt.Errorf("%w: signature is not sha256=<hex>", ErrBadSignature)
	}
	return verifyHMAC(secret, hexSig, body)
}

func verifyHMAC(secret, hexSig string, body []byte) error {
	if hexSig == "" {
		return fmt.Errorf("%w: no signature header", ErrBadSignature)
	}
	got, err := hex.DecodeString(strings.TrimSpace(hexSig))
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// Event is a parsed webhook delivery: *PushEvent, *PullRequestEvent, *ReviewEvent or
// *StatusEvent.
type Event interface{ event() }

// EventRepo identifies the repository a delivery is about, as far as the payload says.
type EventRepo struct {
	// Name is the Lookout name ("host/owner/name") when the payload gives the host's web
	// URL, else "".
	Name string
	// Path is the repository's path on its host ("owner/name", "PROJECT/slug").
	Path string
	// ExternalID is the host's repository ID, matching [Repo.ExternalID].
	ExternalID string
	// CloneURLs are the clone URLs the payload lists (https and ssh).
	CloneURLs []string
	// URL is the repository's web page.
	URL string
}

// RefChange is one ref updated by a push. Before is all zeros for a created ref and
// After for a deleted one.
type RefChange struct {
	Ref    string
	Before string
	After  string
}

// PushEvent: refs changed in a repository (GitHub push, GitLab Push Hook and Tag Push
// Hook, Gitea push, Bitbucket Server repo:refs_changed).
type PushEvent struct {
	Repo EventRepo
	// Ref, Before and After are the first change (the only one except on Bitbucket Server).
	Ref     string
	Before  string
	After   string
	Changes []RefChange
}

// PullRequestEvent: a pull request was opened, edited, pushed to, closed, merged, ...
type PullRequestEvent struct {
	Repo   EventRepo
	Number int64
	// Action is the host's own verb ("opened", "synchronize", "merge", "pr:declined", ...).
	Action string
	// State is the pull request's state after the event.
	State   ChangesetState
	Title   string
	URL     string
	HeadRef string
	BaseRef string
	HeadSHA string
}

// ReviewEvent: a review was submitted or withdrawn. State is what this review says
// (PENDING for a dismissal or unapproval); callers reload the pull request for the sum.
type ReviewEvent struct {
	Repo     EventRepo
	Number   int64
	State    ReviewState
	Reviewer string
}

// StatusEvent: a CI status or check of a commit changed.
type StatusEvent struct {
	Repo    EventRepo
	SHA     string
	Context string
	State   CheckState
	// Branches holds the branches at the commit, where the host says.
	Branches []string
	// Numbers are the pull requests the host ties the commit to (GitHub check suites
	// and runs, GitLab merge request pipelines).
	Numbers []int64
}

func (*PushEvent) event()        {}
func (*PullRequestEvent) event() {}
func (*ReviewEvent) event()      {}
func (*StatusEvent) event()      {}

// ParseWebhook parses a delivery (already verified) into an [Event]. Events Lookout does
// not act on return [ErrUnknownEvent]; a malformed payload of a known event returns
// another error (the endpoint answers 400).
func ParseWebhook(kind Kind, headers http.Header, body []byte) (Event, error) {
	switch kind {
	case KindGitHub:
		return parseGitHubWebhook(headers.Get(HeaderGitHubEvent), body)
	case KindGitLab:
		return parseGitLabWebhook(headers.Get(HeaderGitLabEvent), body)
	case KindGitea:
		eventType := headers.Get(HeaderGiteaEventType)
		if eventType == "" {
			eventType = giteaLegacyEventType(headers.Get(HeaderGiteaEvent))
		}
		return parseGiteaWebhook(eventType, body)
	case KindBitbucketServer:
		return parseBitbucketWebhook(headers.Get(HeaderBitbucketEventKey), body)
	case KindGit:
		return parseGitWebhook(body)
	}
	return nil, fmt.Errorf("%s connections receive no webhooks: %w", kind, ErrUnsupported)
}

// GitPushPayload is what /.api/webhooks/git accepts: plain git servers have no webhook
// format of their own, so a post-receive hook posts this (signed like GitHub's
// X-Hub-Signature-256). Repository is the connection's clone URL or the repository's
// Lookout name.
type GitPushPayload struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	Before     string `json:"before"`
	After      string `json:"after"`
}

func parseGitWebhook(body []byte) (Event, error) {
	var p GitPushPayload
	if err := decodePayload("git push", body, &p); err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Repository) == "" {
		return nil, errors.New(`git push payload needs "repository" (a clone URL or repository name)`)
	}
	repo := EventRepo{Name: p.Repository, CloneURLs: []string{p.Repository}}
	change := RefChange{Ref: p.Ref, Before: p.Before, After: p.After}
	return &PushEvent{Repo: repo, Ref: p.Ref, Before: p.Before, After: p.After, Changes: []RefChange{change}}, nil
}

func decodePayload(event string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding %q webhook payload: %w", event, err)
	}
	return nil
}

// nameFromURL builds "host/path" from a repository's web URL.
func nameFromURL(webURL, path string) string {
	if webURL == "" || path == "" {
		return ""
	}
	u, err := url.Parse(webURL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	return strings.ToLower(u.Hostname()) + "/" + path
}

func cloneURLs(urls ...string) []string {
	var out []string
	for _, u := range urls {
		if u != "" {
			out = append(out, stripCredentials(u))
		}
	}
	return out
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// --- GitHub ---

type githubHookRepo struct {
	ID       int64  `json:"id"`
	FullName string `json:"full_name"`
	HTMLURL  string `json:"html_url"`
	CloneURL string `json:"clone_url"`
	SSHURL   string `json:"ssh_url"`
}

func (r githubHookRepo) eventRepo() EventRepo {
	return EventRepo{
		Name:       nameFromURL(r.HTMLURL, r.FullName),
		Path:       r.FullName,
		ExternalID: idString(r.ID),
		CloneURLs:  cloneURLs(r.CloneURL, r.SSHURL),
		URL:        r.HTMLURL,
	}
}

type githubHookPR struct {
	Number  int64  `json:"number"`
	State   string `json:"state"`
	Merged  bool   `json:"merged"`
	Draft   bool   `json:"draft"`
	Title   string `json:"title"`
	HTMLURL string `json:"html_url"`
	Head    struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
	MergedAt *string `json:"merged_at"`
}

func (p githubHookPR) state() ChangesetState {
	switch {
	case p.Merged || (p.MergedAt != nil && *p.MergedAt != ""):
		return StateMerged
	case p.State == "closed":
		return StateClosed
	case p.Draft:
		return StateDraft
	}
	return StateOpen
}

type githubHookPullNumber struct {
	Number int64 `json:"number"`
}

// parseGitHubStylePush reads a push payload of GitHub or of Gitea, which copies it.
func parseGitHubStylePush(host, event string, body []byte) (Event, error) {
	var p struct {
		Ref        string         `json:"ref"`
		Before     string         `json:"before"`
		After      string         `json:"after"`
		Repository githubHookRepo `json:"repository"`
	}
	if err := decodePayload(event, body, &p); err != nil {
		return nil, err
	}
	if p.Ref == "" || p.Repository.FullName == "" {
		return nil, fmt.Errorf("%s push payload without ref or repository", host)
	}
	ch := RefChange{Ref: p.Ref, Before: p.Before, After: p.After}
	return &PushEvent{Repo: p.Repository.eventRepo(), Ref: p.Ref, Before: p.Before, After: p.After, Changes: []RefChange{ch}}, nil
}

func parseGitHubWebhook(event string, body []byte) (Event, error) {
	switch event {
	case "push":
		return parseGitHubStylePush("GitHub", event, body)

	case "pull_request":
		var p struct {
			Action      string         `json:"action"`
			Number      int64          `json:"number"`
			PullRequest githubHookPR   `json:"pull_request"`
			Repository  githubHookRepo `json:"repository"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		n := p.PullRequest.Number
		if n == 0 {
			n = p.Number
		}
		if n == 0 {
			return nil, fmt.Errorf("GitHub pull_request payload without a number")
		}
		return &PullRequestEvent{
			Repo: p.Repository.eventRepo(), Number: n, Action: p.Action, State: p.PullRequest.state(),
			Title: p.PullRequest.Title, URL: p.PullRequest.HTMLURL,
			HeadRef: p.PullRequest.Head.Ref, BaseRef: p.PullRequest.Base.Ref, HeadSHA: p.PullRequest.Head.SHA,
		}, nil

	case "pull_request_review":
		var p struct {
			Action string `json:"action"`
			Review struct {
				State string `json:"state"`
				User  struct {
					Login string `json:"login"`
				} `json:"user"`
			} `json:"review"`
			PullRequest githubHookPR   `json:"pull_request"`
			Repository  githubHookRepo `json:"repository"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		if p.PullRequest.Number == 0 {
			return nil, fmt.Errorf("GitHub pull_request_review payload without a pull request number")
		}
		state := ReviewPending
		switch strings.ToLower(p.Review.State) {
		case "approved":
			state = ReviewApproved
		case "changes_requested":
			state = ReviewChangesRequested
		case "commented":
			state = ReviewCommented
		}
		if p.Action == "dismissed" {
			state = ReviewPending
		}
		return &ReviewEvent{Repo: p.Repository.eventRepo(), Number: p.PullRequest.Number, State: state, Reviewer: p.Review.User.Login}, nil

	case "status":
		var p struct {
			SHA      string `json:"sha"`
			State    string `json:"state"`
			Context  string `json:"context"`
			Branches []struct {
				Name string `json:"name"`
			} `json:"branches"`
			Repository githubHookRepo `json:"repository"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		ev := &StatusEvent{Repo: p.Repository.eventRepo(), SHA: p.SHA, Context: p.Context, State: githubStatusState(p.State)}
		for _, b := range p.Branches {
			ev.Branches = append(ev.Branches, b.Name)
		}
		return ev, nil

	case "check_suite", "check_run":
		var p struct {
			CheckSuite *githubHookCheck `json:"check_suite"`
			CheckRun   *githubHookCheck `json:"check_run"`
			Repository githubHookRepo   `json:"repository"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		c := p.CheckSuite
		if event == "check_run" {
			c = p.CheckRun
		}
		if c == nil {
			return nil, fmt.Errorf("GitHub %s payload without %s", event, event)
		}
		ev := &StatusEvent{Repo: p.Repository.eventRepo(), SHA: c.HeadSHA, Context: c.Name, State: c.state()}
		if c.HeadBranch != "" {
			ev.Branches = []string{c.HeadBranch}
		} else if c.CheckSuite != nil && c.CheckSuite.HeadBranch != "" {
			ev.Branches = []string{c.CheckSuite.HeadBranch}
		}
		for _, pr := range c.PullRequests {
			ev.Numbers = append(ev.Numbers, pr.Number)
		}
		return ev, nil
	}
	return nil, fmt.Errorf("GitHub event %q: %w", event, ErrUnknownEvent)
}

type githubHookCheck struct {
	Name         string                 `json:"name"`
	HeadSHA      string                 `json:"head_sha"`
	HeadBranch   string                 `json:"head_branch"`
	Status       string                 `json:"status"`
	Conclusion   string                 `json:"conclusion"`
	PullRequests []githubHookPullNumber `json:"pull_requests"`
	CheckSuite   *struct {
		HeadBranch string `json:"head_branch"`
	} `json:"check_suite"`
}

func (c githubHookCheck) state() CheckState {
	if c.Status != "completed" {
		return CheckPending
	}
	switch c.Conclusion {
	case "success", "neutral", "skipped":
		return CheckPassed
	}
	return CheckFailed
}

func githubStatusState(s string) CheckState {
	switch s {
	case "success":
		return CheckPassed
	case "pending":
		return CheckPending
	case "failure", "error":
		return CheckFailed
	}
	return CheckUnknown
}

// --- GitLab ---

type gitlabHookProject struct {
	ID                int64  `json:"id"`
	PathWithNamespace string `json:"path_with_namespace"`
	WebURL            string `json:"web_url"`
	GitHTTPURL        string `json:"git_http_url"`
	GitSSHURL         string `json:"git_ssh_url"`
}

func (p gitlabHookProject) eventRepo() EventRepo {
	return EventRepo{
		Name:       nameFromURL(p.WebURL, p.PathWithNamespace),
		Path:       p.PathWithNamespace,
		ExternalID: idString(p.ID),
		CloneURLs:  cloneURLs(p.GitHTTPURL, p.GitSSHURL),
		URL:        p.WebURL,
	}
}

func parseGitLabWebhook(event string, body []byte) (Event, error) {
	kind := event
	if event == "System Hook" {
		// Instance-wide system hooks send the same payloads, told apart by object_kind.
		var k struct {
			ObjectKind string `json:"object_kind"`
		}
		if err := decodePayload(event, body, &k); err != nil {
			return nil, err
		}
		kind = map[string]string{"push": "Push Hook", "tag_push": "Tag Push Hook", "merge_request": "Merge Request Hook"}[k.ObjectKind]
	}
	switch kind {
	case "Push Hook", "Tag Push Hook":
		var p struct {
			Ref       string            `json:"ref"`
			Before    string            `json:"before"`
			After     string            `json:"after"`
			ProjectID int64             `json:"project_id"`
			Project   gitlabHookProject `json:"project"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		if p.Project.ID == 0 {
			p.Project.ID = p.ProjectID
		}
		if p.Ref == "" || p.Project.PathWithNamespace == "" {
			return nil, fmt.Errorf("GitLab %s payload without ref or project", kind)
		}
		ch := RefChange{Ref: p.Ref, Before: p.Before, After: p.After}
		return &PushEvent{Repo: p.Project.eventRepo(), Ref: p.Ref, Before: p.Before, After: p.After, Changes: []RefChange{ch}}, nil

	case "Merge Request Hook":
		var p struct {
			User struct {
				Username string `json:"username"`
			} `json:"user"`
			Project          gitlabHookProject `json:"project"`
			ObjectAttributes struct {
				IID            int64  `json:"iid"`
				State          string `json:"state"`
				Action         string `json:"action"`
				Title          string `json:"title"`
				URL            string `json:"url"`
				SourceBranch   string `json:"source_branch"`
				TargetBranch   string `json:"target_branch"`
				Draft          bool   `json:"draft"`
				WorkInProgress bool   `json:"work_in_progress"`
				LastCommit     struct {
					ID string `json:"id"`
				} `json:"last_commit"`
			} `json:"object_attributes"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		a := p.ObjectAttributes
		if a.IID == 0 {
			return nil, fmt.Errorf("GitLab Merge Request Hook payload without an iid")
		}
		switch a.Action {
		case "approved", "approval":
			return &ReviewEvent{Repo: p.Project.eventRepo(), Number: a.IID, State: ReviewApproved, Reviewer: p.User.Username}, nil
		case "unapproved", "unapproval":
			return &ReviewEvent{Repo: p.Project.eventRepo(), Number: a.IID, State: ReviewPending, Reviewer: p.User.Username}, nil
		}
		state := StateOpen
		switch a.State {
		case "merged":
			state = StateMerged
		case "closed", "locked":
			state = StateClosed
		default:
			if a.Draft || a.WorkInProgress {
				state = StateDraft
			}
		}
		return &PullRequestEvent{
			Repo: p.Project.eventRepo(), Number: a.IID, Action: a.Action, State: state, Title: a.Title, URL: a.URL,
			HeadRef: a.SourceBranch, BaseRef: a.TargetBranch, HeadSHA: a.LastCommit.ID,
		}, nil

	case "Pipeline Hook":
		var p struct {
			Project          gitlabHookProject `json:"project"`
			ObjectAttributes struct {
				Ref    string `json:"ref"`
				SHA    string `json:"sha"`
				Status string `json:"status"`
				Name   string `json:"name"`
			} `json:"object_attributes"`
			MergeRequest *struct {
				IID int64 `json:"iid"`
			} `json:"merge_request"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		ev := &StatusEvent{Repo: p.Project.eventRepo(), SHA: p.ObjectAttributes.SHA, Context: p.ObjectAttributes.Name}
		switch p.ObjectAttributes.Status {
		case "success", "skipped":
			ev.State = CheckPassed
		case "failed", "canceled", "canceling":
			ev.State = CheckFailed
		default:
			ev.State = CheckPending
		}
		if p.ObjectAttributes.Ref != "" {
			ev.Branches = []string{p.ObjectAttributes.Ref}
		}
		if p.MergeRequest != nil && p.MergeRequest.IID > 0 {
			ev.Numbers = []int64{p.MergeRequest.IID}
		}
		return ev, nil
	}
	return nil, fmt.Errorf("GitLab event %q: %w", event, ErrUnknownEvent)
}

// --- Gitea ---

// giteaLegacyEventType maps X-Gitea-Event (sent alone by old servers) to the finer
// X-Gitea-Event-Type names.
func giteaLegacyEventType(event string) string {
	switch event {
	case "pull_request_approved":
		return "pull_request_review_approved"
	case "pull_request_rejected":
		return "pull_request_review_rejected"
	case "pull_request_comment":
		return "pull_request_review_comment"
	}
	return event
}

// giteaHookRepo is the repository of Gitea's payloads, which follow GitHub's.
type giteaHookRepo = githubHookRepo

func parseGiteaWebhook(event string, body []byte) (Event, error) {
	switch event {
	case "push":
		return parseGitHubStylePush("Gitea", event, body)

	case "pull_request", "pull_request_sync", "pull_request_assign", "pull_request_label", "pull_request_milestone",
		"pull_request_review_approved", "pull_request_review_rejected", "pull_request_review_comment":
		var p struct {
			Action      string `json:"action"`
			Number      int64  `json:"number"`
			PullRequest struct {
				Number  int64  `json:"number"`
				State   string `json:"state"`
				Merged  bool   `json:"merged"`
				Draft   bool   `json:"draft"`
				Title   string `json:"title"`
				HTMLURL string `json:"html_url"`
				Head    struct {
					Ref string `json:"ref"`
					SHA string `json:"sha"`
				} `json:"head"`
				Base struct {
					Ref string `json:"ref"`
				} `json:"base"`
			} `json:"pull_request"`
			Repository giteaHookRepo `json:"repository"`
			Sender     struct {
				Login string `json:"login"`
			} `json:"sender"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		pr := p.PullRequest
		n := pr.Number
		if n == 0 {
			n = p.Number
		}
		if n == 0 {
			return nil, fmt.Errorf("Gitea %s payload without a pull request number", event)
		}
		switch event {
		case "pull_request_review_approved":
			return &ReviewEvent{Repo: p.Repository.eventRepo(), Number: n, State: ReviewApproved, Reviewer: p.Sender.Login}, nil
		case "pull_request_review_rejected":
			return &ReviewEvent{Repo: p.Repository.eventRepo(), Number: n, State: ReviewChangesRequested, Reviewer: p.Sender.Login}, nil
		case "pull_request_review_comment":
			return &ReviewEvent{Repo: p.Repository.eventRepo(), Number: n, State: ReviewCommented, Reviewer: p.Sender.Login}, nil
		}
		state := StateOpen
		switch {
		case pr.Merged:
			state = StateMerged
		case pr.State == "closed":
			state = StateClosed
		case pr.Draft || hasDraftPrefix(pr.Title, giteaDraftPrefixes):
			state = StateDraft
		}
		return &PullRequestEvent{
			Repo: p.Repository.eventRepo(), Number: n, Action: p.Action, State: state, Title: pr.Title, URL: pr.HTMLURL,
			HeadRef: pr.Head.Ref, BaseRef: pr.Base.Ref, HeadSHA: pr.Head.SHA,
		}, nil

	case "status":
		var p struct {
			SHA        string        `json:"sha"`
			State      string        `json:"state"`
			Context    string        `json:"context"`
			Repository giteaHookRepo `json:"repository"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		state := CheckUnknown
		switch p.State {
		case "success", "warning":
			state = CheckPassed
		case "pending":
			state = CheckPending
		case "failure", "error":
			state = CheckFailed
		}
		return &StatusEvent{Repo: p.Repository.eventRepo(), SHA: p.SHA, Context: p.Context, State: state}, nil
	}
	return nil, fmt.Errorf("Gitea event %q: %w", event, ErrUnknownEvent)
}

// --- Bitbucket Server ---

type bitbucketHookRepo struct {
	ID      int64  `json:"id"`
	Slug    string `json:"slug"`
	Project struct {
		Key string `json:"key"`
	} `json:"project"`
	Links struct {
		Clone []bitbucketLink `json:"clone"`
		Self  []bitbucketLink `json:"self"`
	} `json:"links"`
}

func (r bitbucketHookRepo) eventRepo() EventRepo {
	path := ""
	if r.Project.Key != "" && r.Slug != "" {
		path = r.Project.Key + "/" + r.Slug
	}
	ev := EventRepo{Path: path, ExternalID: idString(r.ID)}
	if len(r.Links.Self) > 0 {
		ev.URL = r.Links.Self[0].Href
		ev.Name = nameFromURL(ev.URL, path)
	}
	for _, l := range r.Links.Clone {
		ev.CloneURLs = append(ev.CloneURLs, cloneURLs(l.Href)...)
	}
	return ev
}

// bitbucketPREvents are the pull request events Lookout acts on.
var bitbucketPREvents = map[string]bool{
	"pr:opened": true, "pr:modified": true, "pr:merged": true, "pr:declined": true, "pr:deleted": true,
	"pr:from_ref_updated": true, "pr:to_ref_updated": true, "pr:reviewer:updated": true,
	"pr:reviewer:approved": true, "pr:reviewer:unapproved": true, "pr:reviewer:needs_work": true,
	"pr:comment:added": true, "pr:comment:edited": true, "pr:comment:deleted": true,
}

type bitbucketHookRef struct {
	ID           string            `json:"id"`
	LatestCommit string            `json:"latestCommit"`
	Repository   bitbucketHookRepo `json:"repository"`
}

func parseBitbucketWebhook(event string, body []byte) (Event, error) {
	switch {
	case event == "repo:refs_changed":
		var p struct {
			Repository bitbucketHookRepo `json:"repository"`
			Changes    []struct {
				RefID    string `json:"refId"`
				FromHash string `json:"fromHash"`
				ToHash   string `json:"toHash"`
				Ref      struct {
					ID string `json:"id"`
				} `json:"ref"`
			} `json:"changes"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		if len(p.Changes) == 0 || p.Repository.Slug == "" {
			return nil, fmt.Errorf("Bitbucket Server repo:refs_changed payload without changes or repository")
		}
		ev := &PushEvent{Repo: p.Repository.eventRepo()}
		for _, c := range p.Changes {
			ref := c.RefID
			if ref == "" {
				ref = c.Ref.ID
			}
			ev.Changes = append(ev.Changes, RefChange{Ref: ref, Before: c.FromHash, After: c.ToHash})
		}
		ev.Ref, ev.Before, ev.After = ev.Changes[0].Ref, ev.Changes[0].Before, ev.Changes[0].After
		return ev, nil

	case bitbucketPREvents[event]:
		var p struct {
			PullRequest struct {
				ID      int64            `json:"id"`
				Title   string           `json:"title"`
				State   string           `json:"state"`
				Draft   bool             `json:"draft"`
				FromRef bitbucketHookRef `json:"fromRef"`
				ToRef   bitbucketHookRef `json:"toRef"`
				Links   struct {
					Self []bitbucketLink `json:"self"`
				} `json:"links"`
			} `json:"pullRequest"`
			Participant *struct {
				User struct {
					Name string `json:"name"`
				} `json:"user"`
				Status string `json:"status"`
			} `json:"participant"`
		}
		if err := decodePayload(event, body, &p); err != nil {
			return nil, err
		}
		pr := p.PullRequest
		if pr.ID == 0 {
			return nil, fmt.Errorf("Bitbucket Server %s payload without a pull request", event)
		}
		repo := pr.ToRef.Repository.eventRepo()
		switch event {
		case "pr:reviewer:approved", "pr:reviewer:unapproved", "pr:reviewer:needs_work":
			ev := &ReviewEvent{Repo: repo, Number: pr.ID, State: ReviewPending}
			switch event {
			case "pr:reviewer:approved":
				ev.State = ReviewApproved
			case "pr:reviewer:needs_work":
				ev.State = ReviewChangesRequested
			}
			if p.Participant != nil {
				ev.Reviewer = p.Participant.User.Name
			}
			return ev, nil
		}
		state := StateOpen
		switch {
		case event == "pr:deleted":
			state = StateDeleted
		case pr.State == "MERGED":
			state = StateMerged
		case pr.State == "DECLINED":
			state = StateClosed
		case pr.Draft:
			state = StateDraft
		}
		ev := &PullRequestEvent{
			Repo: repo, Number: pr.ID, Action: event, State: state, Title: pr.Title,
			HeadRef: branchName(pr.FromRef.ID), BaseRef: branchName(pr.ToRef.ID), HeadSHA: pr.FromRef.LatestCommit,
		}
		if len(pr.Links.Self) > 0 {
			ev.URL = pr.Links.Self[0].Href
		}
		return ev, nil
	}
	return nil, fmt.Errorf("Bitbucket Server event %q: %w", event, ErrUnknownEvent)
}
