package codehost_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/codehost"
)

func TestParseGitRemote(t *testing.T) {
	for _, tc := range []struct{ in, name string }{
		{"https://github.com/a/b.git", "github.com/a/b"},
		{"https://git.example.com:8443/group/sub/proj", "git.example.com/group/sub/proj"},
		{"http://Example.COM/a/b/", "example.com/a/b"},
		{"ssh://git@host.example:2222/x/y.git", "host.example/x/y"},
		{"git://host/x.git", "host/x"},
		{"git@github.com:org/repo.git", "github.com/org/repo"},
		{"file:///srv/repos/proj.git", "local/proj"},
		{"/srv/repos/proj", "local/proj"},
		{"/srv/repos/proj/", "local/proj"},
	} {
		r, err := codehost.ParseGitRemote(tc.in)
		if err != nil || r.Name != tc.name {
			t.Errorf("ParseGitRemote(%q) = %q, %v; want %q", tc.in, r.Name, err, tc.name)
		}
	}
	for _, bad := range []string{"", "relative/dir", "ftp://h/x", "https://h", "https://u:p@h/x", "https:///x", "file://remote/x"} {
		if _, err := codehost.ParseGitRemote(bad); err == nil {
			t.Errorf("ParseGitRemote(%q) accepted", bad)
		}
	}
}

func TestGitSource(t *testing.T) {
	c := newClient(t, codehost.KindGit, map[string]any{
		"repos": []any{
			"https://git.example.com/team/app.git",
			map[string]string{"url": "/srv/git/lib.git", "name": "example.com/shared/lib"},
			"file:///srv/git/tools",
			"git@git.example.com:team/old.git",
		},
		"exclude":  []any{"git.example.com/team/old"},
		"username": "bot", "token": "pat",
	})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"example.com/shared/lib", "git.example.com/team/app", "local/tools"}, names(repos)); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	app := repos[1]
	if app.CloneURL != "https://git.example.com/team/app.git" || app.Path != "team/app" || app.Credential != (codehost.Credential{Username: "bot", Token: "pat"}) {
		t.Errorf("app = %+v", app)
	}
	if lib := repos[0]; !lib.Credential.IsZero() || lib.CloneURL != "/srv/git/lib.git" {
		t.Errorf("local repos get no credential: %+v", lib)
	}
	if _, err := c.ListRepoPermissions(ctx(t), app); !errors.Is(err, codehost.ErrUnsupported) {
		t.Errorf("permissions: %v", err)
	}

	ch, exists, err := c.CreateChangeset(ctx(t), app, codehost.Changeset{Title: "t", BaseRef: "main", HeadRef: "refs/heads/campaign/x"})
	if err != nil || exists || ch.State != codehost.StatePushed || ch.ExternalID != "refs/heads/campaign/x" || ch.HeadRef != "campaign/x" {
		t.Fatalf("GIT changeset: %+v %v %v", ch, exists, err)
	}
	if _, err := c.CloseChangeset(ctx(t), app, ch.ExternalID); !errors.Is(err, codehost.ErrUnsupported) {
		t.Errorf("close: %v", err)
	}
}
