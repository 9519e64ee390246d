package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/store"
)

// TestUpgradeStoredSecrets runs the start-up upgrade on rows as an earlier version wrote
// them: credentials in a GIT connection's URLs and in repository URLs, and secrets in
// plain text, then turns on encryption.
func TestUpgradeStoredSecrets(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	plain := store.New(db)

	// Earlier versions accepted these configs; insert them as they were stored.
	var movable, ambiguous int64
	for _, c := range []struct {
		id  *int64
		cfg string
	}{
		{&movable, `{"repos":["http://TOK-1@git.example.com/a.git","/srv/git/local"]}`},
		{&ambiguous, `{"repos":["https://A@git.example.com/a.git","https://B@git.example.com/b.git"]}`},
	} {
		if err := db.QueryRow(ctx, "INSERT INTO external_services (kind, display_name, config) VALUES ('GIT', 'old', $1) RETURNING id", c.cfg).Scan(c.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := plain.Repos().SyncFromService(ctx, movable, []store.SourcedRepo{
		{Name: "git.example.com/a", URI: "http://TOK-1@git.example.com/a.git", CloneURL: "http://TOK-1@git.example.com/a.git"},
		{Name: "local/local", URI: "/srv/git/local", CloneURL: "/srv/git/local"},
	}, false); err != nil {
		t.Fatal(err)
	}
	u, err := plain.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	const slackURL = "https://hooks.slack.com/services/T1/B1/sekret"
	m, err := plain.CodeMonitors().CreateMonitor(ctx, u.ID, store.MonitorSpec{Description: "m", Enabled: true, NamespaceUserID: u.ID, Query: "type:diff x",
		Webhooks:      []store.WebhookSpec{{Enabled: true, URL: "https://example.com/hook", Secret: "whsec"}},
		SlackWebhooks: []store.SlackWebhookSpec{{Enabled: true, URL: slackURL}},
	})
	if err != nil {
		t.Fatal(err)
	}

	key, err := encryption.NewKey("app-test-encryption-key-1")
	if err != nil {
		t.Fatal(err)
	}
	keyed := plain.WithEncryptionKey(key)
	if err := app.UpgradeStoredSecrets(ctx, keyed, logtest.Scoped(t)); err != nil {
		t.Fatal(err)
	}

	raw := func(q string, args ...any) string {
		t.Helper()
		var s string
		if err := db.QueryRow(ctx, q, args...).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The movable credential now sits in "token", where clones take it from.
	svc, err := keyed.ExternalServices().GetByID(ctx, movable)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := codehost.ParseConfig(codehost.KindGit, []byte(svc.Config))
	if err != nil {
		t.Fatalf("the upgraded config does not parse: %v (%s)", err, svc.Config)
	}
	if cred := codehost.CloneCredential(cfg); cred.Token != "TOK-1" || strings.Contains(svc.Config, "TOK-1@") {
		t.Fatalf("upgraded config %s, credential %+v", svc.Config, cred)
	}
	if svc.LastSyncError != "" {
		t.Errorf("a moved credential flagged the connection: %q", svc.LastSyncError)
	}
	// The ambiguous one lost its credentials and says so.
	amb, err := keyed.ExternalServices().GetByID(ctx, ambiguous)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(amb.Config, "@") || !strings.Contains(amb.LastSyncError, "repos[0], repos[1]") || !strings.Contains(amb.LastSyncError, `"username" and "token"`) {
		t.Fatalf("ambiguous connection: config %s, flag %q", amb.Config, amb.LastSyncError)
	}
	// Repository URLs are clean; local ones are untouched.
	if got := raw("SELECT uri FROM repo WHERE name = 'git.example.com/a'"); got != "http://git.example.com/a.git" {
		t.Errorf("repo.uri = %q", got)
	}
	if got := raw("SELECT clone_url FROM external_service_repos r JOIN repo ON repo.id = r.repo_id WHERE repo.name = 'git.example.com/a'"); got != "http://git.example.com/a.git" {
		t.Errorf("clone_url = %q", got)
	}
	if got := raw("SELECT uri FROM repo WHERE name = 'local/local'"); got != "/srv/git/local" {
		t.Errorf("local uri = %q", got)
	}
	// Every secret is encrypted at rest and still reads back.
	for _, q := range []string{"SELECT config FROM external_services WHERE id = $1", "SELECT url FROM cm_slack_webhooks WHERE $1::bigint > 0", "SELECT secret FROM cm_webhooks WHERE $1::bigint > 0"} {
		if got := raw(q, movable); !strings.HasPrefix(got, encryption.StoredPrefix) {
			t.Errorf("%s: still plain text: %q", q, got)
		}
	}
	slacks, err := keyed.CodeMonitors().SlackWebhooks(ctx, m.ID)
	if err != nil || len(slacks) != 1 || slacks[0].URL != slackURL {
		t.Fatalf("Slack URL after encryption: %+v, %v", slacks, err)
	}
	hooks, err := keyed.CodeMonitors().Webhooks(ctx, m.ID)
	if err != nil || len(hooks) != 1 || hooks[0].Secret != "whsec" {
		t.Fatalf("webhook secret after encryption: %+v, %v", hooks, err)
	}

	// A second start changes nothing.
	before := raw("SELECT string_agg(config || coalesce(last_sync_error, ''), ',' ORDER BY id) FROM external_services WHERE $1::bigint > 0", 1) +
		raw("SELECT string_agg(url, ',') FROM cm_slack_webhooks WHERE $1::bigint > 0", 1)
	if err := app.UpgradeStoredSecrets(ctx, keyed, logtest.Scoped(t)); err != nil {
		t.Fatal(err)
	}
	after := raw("SELECT string_agg(config || coalesce(last_sync_error, ''), ',' ORDER BY id) FROM external_services WHERE $1::bigint > 0", 1) +
		raw("SELECT string_agg(url, ',') FROM cm_slack_webhooks WHERE $1::bigint > 0", 1)
	if before != after {
		t.Fatal("a second run rewrote stored secrets")
	}
}
