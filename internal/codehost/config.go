package codehost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Redacted replaces secrets in a config shown by the API. An update that sends it back
// keeps the stored secret (see [MergeRedacted]), the convention Sourcegraph users know.
const Redacted = "REDACTED"

// Default URLs of the hosted services.
const (
	GitHubDotCom = "https://github.com"
	GitLabDotCom = "https://gitlab.com"
)

// Config is the parsed, validated configuration of one code host connection. The
// concrete types are [*GitHubConfig], [*GitLabConfig], [*GiteaConfig],
// [*BitbucketServerConfig] and [*GitConfig]; they marshal back to the JSON they came from.
type Config interface {
	Kind() Kind
	// ServiceURL is the host's web URL without a trailing slash, with the default filled
	// in for github.com and gitlab.com; "" for GIT. It identifies the host in
	// user_external_accounts.service_url.
	ServiceURL() string
	// Secret is the webhook secret, "" when none is configured.
	Secret() string
	// Redacted returns a copy with the token and webhook secret replaced by "REDACTED".
	Redacted() Config
	// Exclusions are the "exclude" entries, compiled.
	Exclusions() []Exclusion
	// IndexedBranchesFor returns the branches "indexedBranches" lists for a repository
	// of the connection (see [IndexedBranches]).
	IndexedBranchesFor(repoName string) []string

	secrets() map[string]*string
	// tokenDestinations are where the token goes: each origin (scheme://host[:port])
	// an API call or an http(s) clone sends it to, with the field that names it.
	tokenDestinations() []destination
}

// HostedConfig holds the fields common to the kinds with an API.
type HostedConfig struct {
	// URL of the host's web UI (not its API); defaults to https://github.com for GITHUB
	// and https://gitlab.com for GITLAB, required for the others.
	URL string `json:"url,omitempty"`
	// Token authenticates API calls and clones. Never returned by the API.
	Token string `json:"token,omitempty"`
	// WebhookSecret verifies push and pull request webhooks.
	WebhookSecret string `json:"webhookSecret,omitempty"`
	// Repos is an explicit list of "owner/name" (GitLab: "group/subgroup/project";
	// Bitbucket Server: "PROJECT/slug").
	Repos []string `json:"repos,omitempty"`
	// Orgs are GitHub organizations (or users), GitLab groups (with subgroups), Gitea
	// organizations (or users), Bitbucket Server project keys: all their repositories.
	Orgs []string `json:"orgs,omitempty"`
	// Query is a GitHub repository search query, or the search term of GitLab's
	// /projects?search=, Gitea's /repos/search?q= and Bitbucket Server's /repos?name=.
	Query string `json:"query,omitempty"`
	// Exclude drops repositories from the result, by name or pattern.
	Exclude []Exclusion `json:"exclude,omitempty"`
	// IndexedBranches lists branches indexed for search besides the default branch.
	IndexedBranches IndexedBranches `json:"indexedBranches,omitempty"`
}

// Secret implements [Config].
func (c *HostedConfig) Secret() string { return c.WebhookSecret }

// Exclusions implements [Config].
func (c *HostedConfig) Exclusions() []Exclusion { return c.Exclude }

func (c *HostedConfig) secrets() map[string]*string {
	return map[string]*string{"token": &c.Token, "webhookSecret": &c.WebhookSecret}
}

func (c *HostedConfig) serviceURL(def string) string {
	if c.URL == "" {
		return def
	}
	return strings.TrimRight(c.URL, "/")
}

// GitHubConfig configures a GitHub.com or GitHub Enterprise Server connection.
type GitHubConfig struct{ HostedConfig }

// GitLabConfig configures a GitLab.com or self-managed GitLab connection.
type GitLabConfig struct{ HostedConfig }

// GiteaConfig configures a Gitea (or Forgejo) connection.
type GiteaConfig struct{ HostedConfig }

// BitbucketServerConfig configures a Bitbucket Server / Data Center connection.
type BitbucketServerConfig struct {
	HostedConfig
	// Username goes with the token for Basic authentication and clones; without it the
	// token is sent as a Bearer token (HTTP access tokens) and clones use "x-token-auth".
	Username string `json:"username,omitempty"`
}

// GitConfig configures plain git remotes: clone URLs or local paths, no API.
type GitConfig struct {
	Repos   []GitRepo   `json:"repos"`
	Exclude []Exclusion `json:"exclude,omitempty"`
	// Username and Token, when set, are the credential for https remotes.
	Username string `json:"username,omitempty"`
	Token    string `json:"token,omitempty"`
	// WebhookSecret verifies push notifications sent to /.api/webhooks/git (for example
	// by a post-receive hook), signed like GitHub's X-Hub-Signature-256.
	WebhookSecret string `json:"webhookSecret,omitempty"`
	// IndexedBranches lists branches indexed for search besides the default branch.
	IndexedBranches IndexedBranches `json:"indexedBranches,omitempty"`
}

// GitRepo is one remote of a GIT connection. In JSON it is a plain string (the URL) or
// an object {"url": ..., "name": ...}.
type GitRepo struct {
	URL string `json:"url"`
	// Name overrides the derived repository name.
	Name string `json:"name,omitempty"`
	// Private makes the repository visible only to site admins and users granted access
	// (plain git remotes have no API to say so).
	Private bool `json:"private,omitempty"`
}

// MarshalJSON writes a GitRepo without a name as a plain string.
func (r GitRepo) MarshalJSON() ([]byte, error) {
	if r.Name == "" && !r.Private {
		return json.Marshal(r.URL)
	}
	type plain GitRepo
	return json.Marshal(plain(r))
}

// Exclusion drops repositories from a listing: Name matches a repository's name exactly
// (case-insensitive, with or without the host: "owner/name" or "github.com/owner/name"),
// Pattern is a regular expression matched, case-insensitively, against both. In JSON a
// plain string is a name; {"pattern": "..."} a regular expression.
type Exclusion struct {
	Name    string `json:"name,omitempty"`
	Pattern string `json:"pattern,omitempty"`

	re *regexp.Regexp
}

// MarshalJSON writes a name-only exclusion as a plain string.
func (e Exclusion) MarshalJSON() ([]byte, error) {
	if e.Pattern == "" {
		return json.Marshal(e.Name)
	}
	return json.Marshal(struct {
		Name    string `json:"name,omitempty"`
		Pattern string `json:"pattern,omitempty"`
	}{e.Name, e.Pattern})
}

// Matches reports whether a repository with the given full name ("host/owner/name") and
// path on its host ("owner/name") is excluded.
func (e Exclusion) Matches(name, path string) bool {
	if e.Name != "" && (strings.EqualFold(e.Name, name) || strings.EqualFold(e.Name, path)) {
		return true
	}
	if e.Pattern != "" {
		re := e.re
		if re == nil {
			var err error
			if re, err = regexp.Compile("(?i)" + e.Pattern); err != nil {
				return false
			}
		}
		return re.MatchString(name) || re.MatchString(path)
	}
	return false
}

func excluded(exclusions []Exclusion, name, path string) bool {
	for _, e := range exclusions {
		if e.Matches(name, path) {
			return true
		}
	}
	return false
}

// Kind implements [Config].
func (c *GitHubConfig) Kind() Kind { return KindGitHub }

// Kind implements [Config].
func (c *GitLabConfig) Kind() Kind { return KindGitLab }

// Kind implements [Config].
func (c *GiteaConfig) Kind() Kind { return KindGitea }

// Kind implements [Config].
func (c *BitbucketServerConfig) Kind() Kind { return KindBitbucketServer }

// Kind implements [Config].
func (c *GitConfig) Kind() Kind { return KindGit }

// ServiceURL implements [Config].
func (c *GitHubConfig) ServiceURL() string { return c.serviceURL(GitHubDotCom) }

// ServiceURL implements [Config].
func (c *GitLabConfig) ServiceURL() string { return c.serviceURL(GitLabDotCom) }

// ServiceURL implements [Config].
func (c *GiteaConfig) ServiceURL() string { return c.serviceURL("") }

// ServiceURL implements [Config].
func (c *BitbucketServerConfig) ServiceURL() string { return c.serviceURL("") }

// ServiceURL implements [Config].
func (c *GitConfig) ServiceURL() string { return "" }

// Secret implements [Config]: plain remotes send no webhooks.
func (c *GitConfig) Secret() string { return c.WebhookSecret }

// Exclusions implements [Config].
func (c *GitConfig) Exclusions() []Exclusion { return c.Exclude }

func (c *GitConfig) secrets() map[string]*string {
	return map[string]*string{"token": &c.Token, "webhookSecret": &c.WebhookSecret}
}

// Redacted implements [Config].
func (c *GitHubConfig) Redacted() Config { cp := *c; cp.HostedConfig = c.redacted(); return &cp }

// Redacted implements [Config].
func (c *GitLabConfig) Redacted() Config { cp := *c; cp.HostedConfig = c.redacted(); return &cp }

// Redacted implements [Config].
func (c *GiteaConfig) Redacted() Config { cp := *c; cp.HostedConfig = c.redacted(); return &cp }

// Redacted implements [Config].
func (c *BitbucketServerConfig) Redacted() Config {
	cp := *c
	cp.HostedConfig = c.redacted()
	return &cp
}

// Redacted implements [Config].
func (c *GitConfig) Redacted() Config {
	cp := *c
	cp.Repos = slices.Clone(c.Repos)
	cp.Exclude = slices.Clone(c.Exclude)
	if cp.Token != "" {
		cp.Token = Redacted
	}
	if cp.WebhookSecret != "" {
		cp.WebhookSecret = Redacted
	}
	return &cp
}

func (c HostedConfig) redacted() HostedConfig {
	cp := c
	cp.Repos = slices.Clone(c.Repos)
	cp.Orgs = slices.Clone(c.Orgs)
	cp.Exclude = slices.Clone(c.Exclude)
	if cp.Token != "" {
		cp.Token = Redacted
	}
	if cp.WebhookSecret != "" {
		cp.WebhookSecret = Redacted
	}
	return cp
}

// ConfigError lists every problem found in a connection's config, each naming the field.
type ConfigError struct {
	Kind     Kind
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s config: %s", e.Kind, strings.Join(e.Problems, "; "))
}

// fieldsByKind are the JSON fields each kind accepts; anything else is an error.
var fieldsByKind = map[Kind][]string{
	KindGitHub:          {"url", "token", "webhookSecret", "repos", "orgs", "query", "exclude", "indexedBranches"},
	KindGitLab:          {"url", "token", "webhookSecret", "repos", "orgs", "query", "exclude", "indexedBranches"},
	KindGitea:           {"url", "token", "webhookSecret", "repos", "orgs", "query", "exclude", "indexedBranches"},
	KindBitbucketServer: {"url", "token", "username", "webhookSecret", "repos", "orgs", "query", "exclude", "indexedBranches"},
	KindGit:             {"repos", "exclude", "username", "token", "webhookSecret", "indexedBranches"},
}

// ParseConfig parses and validates the JSON config of a connection of the given kind.
// It is strict: unknown fields, wrong types and invalid values are all reported, each
// with its field name, in one [*ConfigError].
func ParseConfig(kind Kind, raw []byte) (Config, error) {
	if !kind.Valid() {
		_, err := ParseKind(string(kind))
		return nil, err
	}
	p := &configParser{kind: kind}
	fields, ok := p.object(raw)
	if !ok {
		return nil, p.err()
	}
	allowed := fieldsByKind[kind]
	var unknown []string
	for k := range fields {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.problem("unknown field %q (%s accepts %s)", k, kind, quoteList(allowed))
	}

	var cfg Config
	if kind == KindGit {
		cfg = p.gitConfig(fields)
	} else {
		cfg = p.hostedConfig(fields)
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return cfg, nil
}

// MergeRedacted returns update with every secret that is exactly "REDACTED" replaced by
// the stored value, so an API client can send back the config it was shown. The result
// still needs [ParseConfig].
//
// It holds the one rule, for every kind, that keeps a stored token from being sent
// somewhere new: a redacted token is refused when the update would send it to an origin
// (scheme, host and port) the stored config did not send it to, by a changed "url" or a
// GIT remote on another host. The token must then be sent again. A redacted webhook
// secret is always kept: Lookout only checks incoming deliveries with it.
func MergeRedacted(kind Kind, stored, update []byte) ([]byte, error) {
	p := &configParser{kind: kind}
	upd, ok := p.object(update)
	if !ok {
		return nil, p.err()
	}
	old, ok := p.object(stored)
	if !ok {
		return nil, fmt.Errorf("stored config of kind %s is not a JSON object: %w", kind, p.err())
	}
	keptToken := false
	changed := false
	for _, field := range []string{"token", "webhookSecret"} {
		var v string
		if raw, ok := upd[field]; !ok || json.Unmarshal(raw, &v) != nil || v != Redacted {
			continue
		}
		var prev string
		if raw, ok := old[field]; ok {
			_ = json.Unmarshal(raw, &prev)
		}
		if prev == "" {
			return nil, &ConfigError{Kind: kind, Problems: []string{fmt.Sprintf("%q is %q but no value is stored; send the real value", field, Redacted)}}
		}
		upd[field], _ = json.Marshal(prev)
		changed = true
		keptToken = keptToken || field == "token"
	}
	if !changed {
		return update, nil
	}
	merged, err := json.Marshal(upd)
	if err != nil {
		return nil, err
	}
	if keptToken {
		if err := checkTokenDestinations(kind, stored, merged); err != nil {
			return nil, err
		}
	}
	return merged, nil
}

// destination is an origin a config sends its token to, and the field that names it.
type destination struct {
	field  string
	origin string
}

// checkTokenDestinations refuses merged when it sends the stored token to an origin
// stored does not.
func checkTokenDestinations(kind Kind, stored, merged []byte) error {
	after, err := ParseConfig(kind, merged)
	if err != nil {
		return err // the problems of the update itself
	}
	before, err := ParseConfig(kind, stored)
	if err != nil {
		return &ConfigError{Kind: kind, Problems: []string{fmt.Sprintf(`the stored config no longer parses, so the stored token cannot be kept: send "token" again (not %q)`, Redacted)}}
	}
	known := map[string]bool{}
	for _, d := range before.tokenDestinations() {
		known[d.origin] = true
	}
	var problems []string
	for _, d := range after.tokenDestinations() {
		if !known[d.origin] {
			problems = append(problems, fmt.Sprintf(`"token" must be sent again (not %q): %q sends it to %s, where the stored token was never sent`, Redacted, d.field, d.origin))
			known[d.origin] = true // one problem per origin
		}
	}
	if len(problems) > 0 {
		return &ConfigError{Kind: kind, Problems: problems}
	}
	return nil
}

// originOf returns scheme://host[:port] of an http(s) URL, lower-cased and without the
// scheme's default port; "" for anything else.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if scheme != "https" && scheme != "http" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

func (c *GitHubConfig) tokenDestinations() []destination { return c.destination(c.ServiceURL()) }
func (c *GitLabConfig) tokenDestinations() []destination { return c.destination(c.ServiceURL()) }
func (c *GiteaConfig) tokenDestinations() []destination  { return c.destination(c.ServiceURL()) }
func (c *BitbucketServerConfig) tokenDestinations() []destination {
	return c.destination(c.ServiceURL())
}

func (c *HostedConfig) destination(serviceURL string) []destination {
	return []destination{{field: "url", origin: originOf(serviceURL)}}
}

// tokenDestinations of GIT are its http(s) remotes: the clone credential is handed to
// git for the remote's origin (ssh remotes authenticate with keys, local ones not at all).
func (c *GitConfig) tokenDestinations() []destination {
	var out []destination
	for i, r := range c.Repos {
		if o := originOf(r.URL); o != "" {
			out = append(out, destination{field: fmt.Sprintf("repos[%d]", i), origin: o})
		}
	}
	return out
}

type configParser struct {
	kind     Kind
	problems []string
}

func (p *configParser) problem(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *configParser) err() error { return &ConfigError{Kind: p.kind, Problems: p.problems} }

func (p *configParser) object(raw []byte) (map[string]json.RawMessage, bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			p.problem("JSON syntax error at offset %d: %v", syn.Offset, err)
		case errors.As(err, &typ):
			p.problem("the config must be a JSON object, not %s", typ.Value)
		default:
			p.problem("not valid JSON: %v", err)
		}
		return nil, false
	}
	if fields == nil {
		p.problem("the config must be a JSON object, not null")
		return nil, false
	}
	if dec.More() {
		p.problem("unexpected data after the JSON object")
		return nil, false
	}
	return fields, true
}

func (p *configParser) str(fields map[string]json.RawMessage, name string) string {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.problem("%q must be a string", name)
		return ""
	}
	return s
}

func (p *configParser) list(fields map[string]json.RawMessage, name string) []json.RawMessage {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.problem("%q must be a list", name)
		return nil
	}
	return items
}

func (p *configParser) strList(fields map[string]json.RawMessage, name string) []string {
	items := p.list(fields, name)
	out := make([]string, 0, len(items))
	for i, raw := range items {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			p.problem("\"%s[%d]\" must be a string", name, i)
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// secret validates a token-like value: no surrounding whitespace (a pasted newline
// otherwise surfaces as a confusing authentication failure), not the redaction marker.
func (p *configParser) secret(name, v string) {
	switch {
	case v == Redacted:
		p.problem("%q is %q; send the real value (or the stored config's redacted form only when updating)", name, Redacted)
	case strings.TrimSpace(v) != v:
		p.problem("%q must not start or end with whitespace", name)
	}
}

func (p *configParser) exclusions(fields map[string]json.RawMessage) []Exclusion {
	items := p.list(fields, "exclude")
	var out []Exclusion
	for i, raw := range items {
		field := fmt.Sprintf("exclude[%d]", i)
		var e Exclusion
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			e.Name = s
		} else {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			var obj struct {
				Name    string `json:"name"`
				Pattern string `json:"pattern"`
			}
			if err := dec.Decode(&obj); err != nil {
				p.problem("%q must be a repository name or an object {\"name\": ...} or {\"pattern\": ...}: %s", field, jsonProblem(err))
				continue
			}
			e.Name, e.Pattern = obj.Name, obj.Pattern
		}
		if strings.TrimSpace(e.Name) == "" && e.Pattern == "" {
			p.problem("%q must give a non-empty name or pattern", field)
			continue
		}
		if e.Pattern != "" {
			re, err := regexp.Compile("(?i)" + e.Pattern)
			if err != nil {
				p.problem("\"%s.pattern\" is not a valid regular expression: %v", field, err)
				continue
			}
			e.re = re
		}
		out = append(out, e)
	}
	return out
}

func jsonProblem(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

var (
	// Path segments of owner/name on GitHub, Gitea and Bitbucket Server.
	repoSegment = regexp.MustCompile(`^[A-Za-z0-9_.~-]+$`)
)

func (p *configParser) hostedConfig(fields map[string]json.RawMessage) Config {
	var c HostedConfig
	c.URL = strings.TrimSpace(p.str(fields, "url"))
	c.Token = p.str(fields, "token")
	c.WebhookSecret = p.str(fields, "webhookSecret")
	c.Repos = p.strList(fields, "repos")
	c.Orgs = p.strList(fields, "orgs")
	c.Query = strings.TrimSpace(p.str(fields, "query"))
	c.Exclude = p.exclusions(fields)
	c.IndexedBranches = p.indexedBranches(fields)

	switch {
	case c.URL == "" && (p.kind == KindGitea || p.kind == KindBitbucketServer):
		p.problem(`"url" is required for %s`, p.kind)
	case c.URL != "":
		if err := checkHTTPURL(c.URL, p.kind); err != nil {
			p.problem(`"url" %s`, err)
		}
	}
	if c.Token == "" {
		p.problem(`"token" is required for %s`, p.kind)
	} else {
		p.secret("token", c.Token)
	}
	if c.WebhookSecret != "" {
		p.secret("webhookSecret", c.WebhookSecret)
	}
	for i, r := range c.Repos {
		if msg := p.checkRepoPath(r); msg != "" {
			p.problem("\"repos[%d]\" %s, got %q", i, msg, r)
		}
	}
	for i, o := range c.Orgs {
		if msg := p.checkOrg(o); msg != "" {
			p.problem("\"orgs[%d]\" %s, got %q", i, msg, o)
		}
	}
	if len(c.Repos) == 0 && len(c.Orgs) == 0 && c.Query == "" {
		p.problem(`at least one of "repos", "orgs" or "query" is required for %s`, p.kind)
	}

	switch p.kind {
	case KindGitHub:
		return &GitHubConfig{c}
	case KindGitLab:
		return &GitLabConfig{c}
	case KindGitea:
		return &GiteaConfig{c}
	default:
		bc := &BitbucketServerConfig{HostedConfig: c, Username: strings.TrimSpace(p.str(fields, "username"))}
		return bc
	}
}

func (p *configParser) checkRepoPath(r string) string {
	segs := strings.Split(r, "/")
	switch p.kind {
	case KindGitLab:
		if len(segs) < 2 {
			return `must be "group/project" (subgroups allowed: "group/sub/project")`
		}
	case KindBitbucketServer:
		if len(segs) != 2 {
			return `must be "PROJECT/repo"`
		}
	default:
		if len(segs) != 2 {
			return `must be "owner/name"`
		}
	}
	for _, s := range segs {
		if !repoSegment.MatchString(s) || s == "." || s == ".." {
			return "has an empty or invalid path segment"
		}
	}
	return ""
}

func (p *configParser) checkOrg(o string) string {
	if p.kind == KindGitLab {
		for _, s := range strings.Split(o, "/") {
			if !repoSegment.MatchString(s) {
				return "must be a group path like \"group\" or \"group/subgroup\""
			}
		}
		return ""
	}
	if !repoSegment.MatchString(o) {
		return "must be a single name without \"/\""
	}
	return ""
}

// checkHTTPURL returns the end of a sentence that starts with the field name.
func checkHTTPURL(s string, kind Kind) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.User != nil {
		return errCredentialsInURL(kind)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

// errCredentialsInURL refuses a URL with userinfo, naming the fields the kind takes its
// credential in: a credential in a URL is stored and shown wherever the URL is (a
// repository's uri is readable by every user who can see the repository).
func errCredentialsInURL(kind Kind) error {
	fields := `"token"`
	if kind == KindGit || kind == KindBitbucketServer {
		fields = `"username" and "token"`
	}
	return fmt.Errorf(`must not contain credentials ("user@" or "user:password@"); put them in the config's %s fields`, fields)
}

func (p *configParser) gitConfig(fields map[string]json.RawMessage) Config {
	c := &GitConfig{
		Username:        strings.TrimSpace(p.str(fields, "username")),
		Token:           p.str(fields, "token"),
		WebhookSecret:   p.str(fields, "webhookSecret"),
		Exclude:         p.exclusions(fields),
		IndexedBranches: p.indexedBranches(fields),
	}
	if c.Token != "" {
		p.secret("token", c.Token)
	}
	if c.WebhookSecret != "" {
		p.secret("webhookSecret", c.WebhookSecret)
	}
	before := len(p.problems)
	items := p.list(fields, "repos")
	if len(items) == 0 && len(p.problems) == before {
		p.problem(`"repos" is required for GIT and must list at least one clone URL or local path`)
	}
	seen := map[string]int{}
	for i, raw := range items {
		field := fmt.Sprintf("repos[%d]", i)
		var r GitRepo
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			r.URL = s
		} else {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				p.problem("%q must be a clone URL or an object {\"url\": ..., \"name\": ...}: %s", field, jsonProblem(err))
				continue
			}
		}
		r.URL = strings.TrimSpace(r.URL)
		r.Name = strings.TrimSpace(r.Name)
		remote, err := ParseGitRemote(r.URL)
		if err != nil {
			p.problem("%q %s", field, err)
			continue
		}
		name := remote.Name
		if r.Name != "" {
			if err := checkRepoName(r.Name); err != nil {
				p.problem("\"%s.name\" %s", field, err)
				continue
			}
			name = r.Name
		}
		if j, dup := seen[strings.ToLower(name)]; dup {
			p.problem("%q has the name %q, already used by \"repos[%d]\"; set \"name\" to tell them apart", field, name, j)
			continue
		}
		seen[strings.ToLower(name)] = i
		c.Repos = append(c.Repos, r)
	}
	return c
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
