package codehost_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/codehost"
)

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind codehost.Kind
		raw  string
		want []string // each must appear in the message
	}{
		{"syntax", codehost.KindGitHub, `{"token": }`, []string{"JSON syntax error"}},
		{"not an object", codehost.KindGitHub, `[1]`, []string{"must be a JSON object"}},
		{"null", codehost.KindGitHub, `null`, []string{"must be a JSON object, not null"}},
		{"unknown fields", codehost.KindGitHub, `{"token":"t","orgs":["a"],"tokn":"x","urll":"y"}`,
			[]string{`unknown field "tokn"`, `unknown field "urll"`}},
		{"token required", codehost.KindGitHub, `{"orgs":["a"]}`, []string{`"token" is required for GITHUB`}},
		{"token whitespace", codehost.KindGitLab, `{"token":"abc\n","orgs":["a"]}`, []string{`"token" must not start or end with whitespace`}},
		{"redacted token", codehost.KindGitHub, `{"token":"REDACTED","orgs":["a"]}`, []string{`"token" is "REDACTED"`}},
		{"url scheme", codehost.KindGitHub, `{"url":"ftp://x","token":"t","orgs":["a"]}`, []string{`"url" must be an absolute http(s) URL`}},
		{"url relative", codehost.KindGitLab, `{"url":"gitlab.example.com","token":"t","orgs":["a"]}`, []string{`"url" must be an absolute http(s) URL`}},
		{"url credentials", codehost.KindGitea, `{"url":"https://u:p@h","token":"t","orgs":["a"]}`, []string{`"url" must not contain credentials`, `put them in the config's "token" fields`}},
		{"url token as user", codehost.KindGitHub, `{"url":"https://ghp_x@ghe.example.com","token":"t","orgs":["a"]}`, []string{`"url" must not contain credentials`}},
		{"url credentials gitlab", codehost.KindGitLab, `{"url":"https://oauth2:glpat@gitlab.example.com","token":"t","orgs":["a"]}`, []string{`"url" must not contain credentials`}},
		{"url credentials bbs", codehost.KindBitbucketServer, `{"url":"https://svc@bb.example.com","token":"t","orgs":["A"]}`, []string{`"url" must not contain credentials`, `"username" and "token" fields`}},
		{"url required", codehost.KindGitea, `{"token":"t","orgs":["a"]}`, []string{`"url" is required for GITEA`}},
		{"url required bbs", codehost.KindBitbucketServer, `{"token":"t","orgs":["A"]}`, []string{`"url" is required for BITBUCKETSERVER`}},
		{"nothing selected", codehost.KindGitHub, `{"token":"t"}`, []string{`at least one of "repos", "orgs" or "query" is required for GITHUB`}},
		{"bad repo", codehost.KindGitHub, `{"token":"t","repos":["a/b","onlyname","a/b/c"]}`,
			[]string{`"repos[1]" must be "owner/name", got "onlyname"`, `"repos[2]" must be "owner/name"`}},
		{"repos type", codehost.KindGitHub, `{"token":"t","repos":"a/b"}`, []string{`"repos" must be a list`}},
		{"repos item type", codehost.KindGitHub, `{"token":"t","repos":[1]}`, []string{`"repos[0]" must be a string`}},
		{"gitlab group project", codehost.KindGitLab, `{"token":"t","repos":["proj"]}`, []string{`"repos[0]" must be "group/project"`}},
		{"org with slash", codehost.KindGitHub, `{"token":"t","orgs":["a/b"]}`, []string{`"orgs[0]" must be a single name`}},
		{"bad exclude pattern", codehost.KindGitHub, `{"token":"t","orgs":["a"],"exclude":[{"pattern":"("}]}`,
			[]string{`"exclude[0].pattern" is not a valid regular expression`}},
		{"exclude unknown key", codehost.KindGitHub, `{"token":"t","orgs":["a"],"exclude":[{"nam":"x"}]}`,
			[]string{`"exclude[0]" must be a repository name or an object`, `unknown field "nam"`}},
		{"exclude empty", codehost.KindGitHub, `{"token":"t","orgs":["a"],"exclude":[""]}`, []string{`"exclude[0]" must give a non-empty name or pattern`}},
		{"git needs repos", codehost.KindGit, `{}`, []string{`"repos" is required for GIT`}},
		{"git rejects hosted fields", codehost.KindGit, `{"repos":["/x"],"url":"https://h","orgs":["a"]}`,
			[]string{`unknown field "orgs"`, `unknown field "url"`}},
		{"git bad url", codehost.KindGit, `{"repos":["ftp://h/x","relative/path",""]}`,
			[]string{`"repos[0]" has unsupported scheme "ftp"`, `"repos[1]" must be a clone URL`, `"repos[2]" must be a clone URL or an absolute local path`}},
		{"git password", codehost.KindGit, `{"repos":["https://u:secret@h/a/b"]}`, []string{`"repos[0]" must not contain credentials`, `"username" and "token" fields`}},
		{"git token as user", codehost.KindGit, `{"repos":["/ok/x","http://TOKEN@h/r.git",{"url":"https://ghp_1@github.com/a/b"}]}`,
			[]string{`"repos[1]" must not contain credentials`, `"repos[2]" must not contain credentials`}},
		{"git protocol user", codehost.KindGit, `{"repos":["git://u@h/r.git"]}`, []string{`"repos[0]" must not contain credentials`}},
		{"git file user", codehost.KindGit, `{"repos":["file://u@/srv/r.git"]}`, []string{`"repos[0]" must not contain credentials`}},
		{"git ssh password", codehost.KindGit, `{"repos":["ssh://git:pw@h/r.git"]}`, []string{`"repos[0]" must not contain credentials`}},
		{"git duplicate name", codehost.KindGit, `{"repos":["/a/proj","/b/proj.git"]}`,
			[]string{`"repos[1]" has the name "local/proj", already used by "repos[0]"`}},
		{"git bad name", codehost.KindGit, `{"repos":[{"url":"/a/proj","name":"noslash"}]}`, []string{`"repos[0].name" must have at least two path segments`}},
		{"git object unknown key", codehost.KindGit, `{"repos":[{"url":"/a/x","nme":"a/b"}]}`, []string{`unknown field "nme"`}},
		{"unknown kind", codehost.Kind("SVN"), `{}`, []string{`unknown code host kind "SVN"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codehost.ParseConfig(tc.kind, []byte(tc.raw))
			if err == nil {
				t.Fatalf("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var ce *codehost.ConfigError
			if tc.kind.Valid() && !errors.As(err, &ce) {
				t.Errorf("error is %T, want *ConfigError", err)
			}
		})
	}
}

func TestParseConfigValid(t *testing.T) {
	cfg, err := codehost.ParseConfig(codehost.KindGitHub, []byte(`{
		"token": "ghp_x", "webhookSecret": "s3", "orgs": ["acme"], "query": "topic:go",
		"exclude": ["acme/old", {"pattern": "^acme/tmp-"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	gh := cfg.(*codehost.GitHubConfig)
	if gh.ServiceURL() != "https://github.com" || cfg.Secret() != "s3" || cfg.Kind() != codehost.KindGitHub {
		t.Errorf("github config = %+v", gh)
	}
	if !cfg.Exclusions()[1].Matches("github.com/acme/TMP-1", "acme/TMP-1") || cfg.Exclusions()[1].Matches("github.com/acme/x", "acme/x") {
		t.Error("pattern exclusion should match case-insensitively")
	}

	cfg, err = codehost.ParseConfig(codehost.KindGitLab, []byte(`{"url":"https://gitlab.example.com/","token":"t","repos":["g/sub/p"],"orgs":["g/sub"]}`))
	if err != nil || cfg.ServiceURL() != "https://gitlab.example.com" {
		t.Fatalf("gitlab: %v %v", cfg, err)
	}
	if cfg, err := codehost.ParseConfig(codehost.KindGitLab, []byte(`{"token":"t","query":"x"}`)); err != nil || cfg.ServiceURL() != "https://gitlab.com" {
		t.Fatalf("gitlab default URL: %v %v", cfg, err)
	}
	cfg, err = codehost.ParseConfig(codehost.KindBitbucketServer, []byte(`{"url":"https://bb.example.com","username":"svc","token":"t","orgs":["PROJ"]}`))
	if err != nil || cfg.(*codehost.BitbucketServerConfig).Username != "svc" {
		t.Fatalf("bitbucket: %v %v", cfg, err)
	}
	if c := codehost.CloneCredential(cfg); c.Username != "svc" || c.Token != "t" {
		t.Errorf("bitbucket credential = %v", c)
	}
}

func TestRedactAndMerge(t *testing.T) {
	stored := []byte(`{"url":"https://ghe.example.com","token":"ghp_secret","webhookSecret":"whsec-9f2","orgs":["acme"]}`)
	cfg, err := codehost.ParseConfig(codehost.KindGitHub, stored)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := json.Marshal(cfg.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(shown), "ghp_secret") || strings.Contains(string(shown), "whsec-9f2") {
		t.Fatalf("redacted config leaks a secret: %s", shown)
	}
	if cfg.(*codehost.GitHubConfig).Token != "ghp_secret" {
		t.Fatal("Redacted changed the original")
	}
	var m map[string]any
	_ = json.Unmarshal(shown, &m)
	if m["token"] != "REDACTED" || m["webhookSecret"] != "REDACTED" {
		t.Fatalf("redacted = %s", shown)
	}

	// The user sends the redacted form back with another org: secrets are kept.
	m["orgs"] = []string{"acme", "other"}
	update, _ := json.Marshal(m)
	merged, err := codehost.MergeRedacted(codehost.KindGitHub, stored, update)
	if err != nil {
		t.Fatal(err)
	}
	cfg2, err := codehost.ParseConfig(codehost.KindGitHub, merged)
	if err != nil {
		t.Fatal(err)
	}
	gh := cfg2.(*codehost.GitHubConfig)
	if gh.Token != "ghp_secret" || gh.WebhookSecret != "whsec-9f2" || !cmp.Equal(gh.Orgs, []string{"acme", "other"}) {
		t.Fatalf("merged = %+v", gh)
	}

	// A new token replaces the stored one.
	merged, err = codehost.MergeRedacted(codehost.KindGitHub, stored, []byte(`{"url":"https://ghe.example.com","token":"new","orgs":["acme"]}`))
	if err != nil || !strings.Contains(string(merged), `"new"`) {
		t.Fatalf("new token: %s %v", merged, err)
	}
	// Pointing the stored token at another host is refused.
	_, err = codehost.MergeRedacted(codehost.KindGitHub, stored, []byte(`{"url":"https://evil.example.com","token":"REDACTED","orgs":["acme"]}`))
	if err == nil || !strings.Contains(err.Error(), `"token" must be sent again (not "REDACTED"): "url" sends it to https://evil.example.com`) {
		t.Fatalf("url change: %v", err)
	}
	// REDACTED with nothing stored is an error, not a literal token.
	_, err = codehost.MergeRedacted(codehost.KindGitHub, []byte(`{"orgs":["a"]}`), []byte(`{"token":"REDACTED","orgs":["a"]}`))
	if err == nil {
		t.Fatal("REDACTED without a stored token accepted")
	}

	git, err := codehost.ParseConfig(codehost.KindGit, []byte(`{"repos":["https://h/a/b.git"],"username":"u","token":"pat"}`))
	if err != nil {
		t.Fatal(err)
	}
	shown, _ = json.Marshal(git.Redacted())
	if strings.Contains(string(shown), "pat") || !strings.Contains(string(shown), `"repos":["https://h/a/b.git"]`) {
		t.Fatalf("GIT redacted = %s", shown)
	}
}

// TestMergeRedactedDestinations pins the one rule for every kind: a redacted token is kept
// only while the update sends it to no origin the stored config did not.
func TestMergeRedactedDestinations(t *testing.T) {
	type step struct {
		name   string
		update string
		ok     bool
	}
	for _, tc := range []struct {
		kind   codehost.Kind
		stored string
		steps  []step
	}{
		{codehost.KindGitHub, `{"token":"SECRET","webhookSecret":"W","orgs":["a"]}`, []step{
			{"same default url", `{"token":"REDACTED","webhookSecret":"REDACTED","orgs":["a","b"]}`, true},
			{"explicit github.com", `{"url":"https://GitHub.com/","token":"REDACTED","orgs":["a"]}`, true},
			{"enterprise url", `{"url":"https://ghe.example.com","token":"REDACTED","orgs":["a"]}`, false},
			{"enterprise url, new token", `{"url":"https://ghe.example.com","token":"NEW","orgs":["a"]}`, true},
			{"webhook secret alone kept", `{"url":"https://ghe.example.com","token":"NEW","webhookSecret":"REDACTED","orgs":["a"]}`, true},
		}},
		{codehost.KindGitLab, `{"url":"https://gitlab.example.com","token":"SECRET","orgs":["g"]}`, []step{
			{"same origin, path", `{"url":"https://gitlab.example.com:443/gitlab","token":"REDACTED","orgs":["g"]}`, true},
			{"http instead of https", `{"url":"http://gitlab.example.com","token":"REDACTED","orgs":["g"]}`, false},
			{"default gitlab.com", `{"token":"REDACTED","orgs":["g"]}`, false},
		}},
		{codehost.KindGitea, `{"url":"https://gitea.example.com","token":"SECRET","orgs":["o"]}`, []step{
			{"same", `{"url":"https://gitea.example.com/","token":"REDACTED","orgs":["o","p"]}`, true},
			{"other port", `{"url":"https://gitea.example.com:8443","token":"REDACTED","orgs":["o"]}`, false},
		}},
		{codehost.KindBitbucketServer, `{"url":"https://bb.example.com","username":"svc","token":"SECRET","orgs":["P"]}`, []step{
			{"same, other user", `{"url":"https://bb.example.com","username":"svc2","token":"REDACTED","orgs":["P"]}`, true},
			{"other host", `{"url":"https://bb.evil.example","username":"svc","token":"REDACTED","orgs":["P"]}`, false},
		}},
		{codehost.KindGit, `{"repos":["https://git.example.com/a.git","/srv/git/local"],"token":"SECRET"}`, []step{
			{"same remotes", `{"repos":["https://git.example.com/a.git","/srv/git/local"],"token":"REDACTED"}`, true},
			{"another repo on the same host", `{"repos":["https://git.example.com/a.git","https://GIT.example.com/b.git"],"token":"REDACTED"}`, true},
			{"ssh and local remotes get no token", `{"repos":["ssh://git@elsewhere.example/c.git","git@elsewhere.example:d.git","/srv/x"],"token":"REDACTED"}`, true},
			{"remote on a new host", `{"repos":["https://git.example.com/a.git","http://127.0.0.1:9/steal.git"],"token":"REDACTED"}`, false},
			{"changed scheme", `{"repos":["http://git.example.com/a.git"],"token":"REDACTED"}`, false},
			{"new host with the token sent again", `{"repos":["http://127.0.0.1:9/r.git"],"token":"NEW"}`, true},
		}},
	} {
		for _, st := range tc.steps {
			t.Run(string(tc.kind)+"/"+st.name, func(t *testing.T) {
				merged, err := codehost.MergeRedacted(tc.kind, []byte(tc.stored), []byte(st.update))
				if !st.ok {
					var ce *codehost.ConfigError
					if !errors.As(err, &ce) || !strings.Contains(err.Error(), `"token" must be sent again`) {
						t.Fatalf("want the token refused, got %s, %v", merged, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := codehost.ParseConfig(tc.kind, merged)
				if err != nil {
					t.Fatalf("merged config does not parse: %v", err)
				}
				want := "SECRET"
				if strings.Contains(st.update, `"NEW"`) {
					want = "NEW"
				}
				if got := codehost.CloneCredential(cfg).Token; got != want {
					t.Errorf("token after merge = %q, want %q", got, want)
				}
				if strings.Contains(st.update, `"webhookSecret":"REDACTED"`) && cfg.Secret() != "W" {
					t.Errorf("webhook secret after merge = %q", cfg.Secret())
				}
			})
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	raw := `{"repos":["/srv/git/app.git",{"url":"file:///srv/git/lib","name":"example.com/lib"}],"exclude":["local/app",{"pattern":"x"}]}`
	cfg, err := codehost.ParseConfig(codehost.KindGit, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := codehost.ParseConfig(codehost.KindGit, out); err != nil {
		t.Fatalf("marshaled config does not parse: %s: %v", out, err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(raw), &a)
	_ = json.Unmarshal(out, &b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
}

func TestParseKind(t *testing.T) {
	if k, err := codehost.ParseKind("gitlab"); err != nil || k != codehost.KindGitLab {
		t.Errorf("ParseKind(gitlab) = %v, %v", k, err)
	}
	if _, err := codehost.ParseKind("perforce"); err == nil {
		t.Error("ParseKind(perforce) accepted")
	}
}
