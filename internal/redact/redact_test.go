package redact_test

import (
	"testing"

	"github.com/lookout/lookout/internal/redact"
)

func TestCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"fatal: unable to access 'https://ghp_abc@github.com/a/b.git/': 403":             "fatal: unable to access 'https://REDACTED@github.com/a/b.git/': 403",
		"clone http://user:s3cr%2Ft@10.0.0.1:8080/r.git failed":                          "clone http://REDACTED@10.0.0.1:8080/r.git failed",
		"two: https://a@h1/x and ssh://git@h2/y":                                         "two: https://REDACTED@h1/x and ssh://REDACTED@h2/y",
		"https://host/path/with@sign stays":                                              "https://host/path/with@sign stays",
		"mail bob@example.com and git@github.com:a/b.git have no scheme, nothing hidden": "mail bob@example.com and git@github.com:a/b.git have no scheme, nothing hidden",
		"no url at all": "no url at all",
	} {
		if got := redact.Credentials(in); got != want {
			t.Errorf("Credentials(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestLocalPaths(t *testing.T) {
	for in, want := range map[string]string{
		"fatal: '/srv/git/app.git' does not appear to be a git repository":      "fatal: '[local path]' does not appear to be a git repository",
		"git --git-dir /tmp/lookout-repos/local/app.git fetch: exit status 128": "git --git-dir [local path] fetch: exit status 128",
		"cloning file:///home/me/repos/lib failed":                              "cloning [local path] failed",
		"open /var/lib/x: no such file; also=/etc/passwd":                       "open [local path]: no such file; also=[local path]",
		"https://github.com/acme/app.git/ and git@host:/srv/r.git":              "https://github.com/acme/app.git/ and git@host:[local path]",
		"a single component like /tmp or a ratio 1/2 stays":                     "a single component like /tmp or a ratio 1/2 stays",
		"refs/heads/main is relative":                                           "refs/heads/main is relative",
	} {
		if got := redact.LocalPaths(in); got != want {
			t.Errorf("LocalPaths(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestForViewer(t *testing.T) {
	in := "git fetch https://u:tok@h/r.git into /srv/mirrors/r.git: exit status 128"
	if got, want := redact.ForViewer(in, true), "git fetch https://REDACTED@h/r.git into /srv/mirrors/r.git: exit status 128"; got != want {
		t.Errorf("admin: %q, want %q", got, want)
	}
	if got, want := redact.ForViewer(in, false), "git fetch https://REDACTED@h/r.git into [local path]: exit status 128"; got != want {
		t.Errorf("user: %q, want %q", got, want)
	}
}

func TestStripUserinfo(t *testing.T) {
	for in, want := range map[string]struct {
		out     string
		changed bool
	}{
		"https://TOKEN@host/r.git": {"https://host/r.git", true},
		"http://u:p@host:8080/a/b": {"http://host:8080/a/b", true},
		"https://host/r.git":       {"https://host/r.git", false},
		"git@github.com:a/b.git":   {"git@github.com:a/b.git", false},
		"/srv/git/app":             {"/srv/git/app", false},
		"ssh://git@host/a/b.git":   {"ssh://host/a/b.git", true},
	} {
		out, changed := redact.StripUserinfo(in)
		if out != want.out || changed != want.changed {
			t.Errorf("StripUserinfo(%q) = %q, %v; want %q, %v", in, out, changed, want.out, want.changed)
		}
	}
}
