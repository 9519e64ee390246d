package codemonitors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/store"
)

type webhookBody struct {
	MonitorDescription string
	MonitorURL         string
	Query              string
	Results            []struct {
		Repository, Commit, Message, Diff string
	}
}

// TestPushToNotificationEndToEnd creates a monitor through the API on a local
// repository, pushes a matching commit and checks that the real worker routines send an
// email to an SMTP server and a signed webhook; a run without new commits sends nothing,
// and a second matching commit sends exactly one more of each, with only the new commit.
func TestPushToNotificationEndToEnd(t *testing.T) {
	ctx := context.Background()
	mb := startSMTP(t)
	rc := startReceiver(t)
	slack := startReceiver(t) // a Slack stand-in: WEBHOOK_ALLOWED_HOSTS waives the Slack host rule
	e := startEnv(t, mb)
	alice, aliceToken := e.api.CreateUser(t, "alice", false)

	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	work.Commit(t0, "", "initial", map[string]string{"README.md": "hello\nAWS_SECRET in the docs is old history\n"})
	repo := e.addLocalRepo(t, work.Dir)

	var created struct {
		CreateCodeMonitor struct {
			ID      string
			Trigger struct{ ID string }
			Actions struct {
				Nodes []struct {
					Typename string `json:"__typename"`
					ID       string
					Secret   *string
				}
			}
		}
	}
	e.api.MustDo(t, aliceToken, `mutation($ns: ID!, $url: String!, $slack: String!) {
		createCodeMonitor(monitor: {namespace: $ns, description: "Secrets pushed", enabled: true},
			trigger: {query: "type:diff AWS_SECRET"},
			actions: [
				{email: {enabled: true, includeResults: true, priority: CRITICAL, recipients: [$ns], header: "Look at this"}},
				{webhook: {enabled: true, includeResults: true, url: $url}},
				{slackWebhook: {enabled: true, includeResults: true, url: $slack}}
			]) { id trigger { ... on MonitorQuery { id } } actions { nodes { __typename ... on MonitorEmail { id } ... on MonitorWebhook { id secret } } } } }`,
		map[string]any{"ns": userID(alice.ID), "url": rc.srv.URL + "/hook", "slack": slack.srv.URL + "/services/T0/B0/X0"}, &created)
	// A monitor of other repositories is never run by these pushes.
	e.api.MustDo(t, aliceToken, `mutation($ns: ID!) { createCodeMonitor(monitor: {namespace: $ns, description: "elsewhere", enabled: true},
		trigger: {query: "repo:^elsewhere$ type:diff AWS_SECRET"}, actions: [{email: {enabled: true, includeResults: false, priority: NORMAL, recipients: [$ns], header: ""}}]) { id } }`,
		map[string]any{"ns": userID(alice.ID)}, nil)
	secret := created.CreateCodeMonitor.Actions.Nodes[1].Secret
	if secret == nil {
		t.Fatal("no webhook secret in the create response")
	}
	var storedSlack, storedSecret string
	if err := e.api.DB.QueryRow(ctx, "SELECT s.url, w.secret FROM cm_slack_webhooks s, cm_webhooks w").Scan(&storedSlack, &storedSecret); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(storedSlack, "/services/") || strings.Contains(storedSecret, *secret) {
		t.Fatalf("the Slack URL and the webhook secret must be stored encrypted: %q, %q", storedSlack, storedSecret)
	}

	push := func(msg string, files map[string]string, at time.Duration) string {
		oid := work.Commit(t0.Add(at), "Dev <dev@example.com>", msg, files)
		if err := e.st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
			t.Fatal(err)
		}
		return oid
	}
	checkWebhook := func(d delivery, wantCommit string) {
		t.Helper()
		if err := notify.VerifySignature(*secret, d.body, d.header.Get(notify.SignatureHeader)); err != nil {
			t.Fatalf("webhook signature: %v", err)
		}
		var body webhookBody
		if err := json.Unmarshal(d.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.MonitorDescription != "Secrets pushed" || body.Query != "type:diff AWS_SECRET" || !strings.HasSuffix(body.MonitorURL, "/code-monitoring/"+created.CreateCodeMonitor.ID) {
			t.Fatalf("webhook body: %s", d.body)
		}
		if len(body.Results) != 1 || body.Results[0].Commit != wantCommit || !strings.Contains(body.Results[0].Diff, "AWS_SECRET") {
			t.Fatalf("webhook results: want only %s, got %s", wantCommit, d.body)
		}
	}

	start := time.Now()
	first := push("add config", map[string]string{"config.env": "AWS_SECRET=abc\n"}, time.Hour)
	waitFor(t, "the first email and webhooks", 20*time.Second, func() bool { return len(mb.All()) == 1 && len(rc.all()) == 1 && len(slack.all()) == 1 })
	t.Logf("push to email and webhook: %s", time.Since(start))
	checkWebhook(rc.all()[0], first)
	if body := string(slack.all()[0].body); !strings.Contains(body, `"blocks"`) || !strings.Contains(body, first[:7]) || !strings.Contains(body, "Secrets pushed") {
		t.Fatalf("Slack message: %s", body)
	}
	m := mb.All()[0]
	if m.To != "alice@example.com" || !strings.Contains(m.Data, "[Critical] Secrets pushed") || !strings.Contains(m.Data, first[:7]) || !strings.Contains(m.Data, "Look at this") {
		t.Fatalf("email to %s:\n%s", m.To, m.Data)
	}

	// A full run with nothing new, and a push of a commit that does not match, send nothing.
	completed := func() int {
		var n int
		if err := e.api.DB.QueryRow(ctx, "SELECT count(*) FROM cm_trigger_jobs WHERE state = 'completed'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := completed()
	e.api.MustDo(t, e.api.AdminToken, `mutation($id: ID!) { resetTriggerQueryTimestamps(id: $id) { alwaysNil } }`, map[string]any{"id": created.CreateCodeMonitor.ID}, nil)
	waitFor(t, "a scheduled run", 10*time.Second, func() bool { return completed() > before })
	before = completed()
	push("docs", map[string]string{"docs.md": "nothing to see\n"}, 2*time.Hour)
	waitFor(t, "the run of a push without matches", 10*time.Second, func() bool { return completed() > before })
	time.Sleep(300 * time.Millisecond)
	if len(mb.All()) != 1 || len(rc.all()) != 1 || len(slack.all()) != 1 {
		t.Fatalf("runs without new matching commits sent %d emails, %d webhooks and %d Slack messages", len(mb.All()), len(rc.all()), len(slack.all()))
	}

	// A second matching commit: exactly one more of each, with only the new commit.
	second := push("rotate", map[string]string{"config.env": "AWS_SECRET=def\n"}, 3*time.Hour)
	waitFor(t, "the second email and webhooks", 20*time.Second, func() bool { return len(mb.All()) == 2 && len(rc.all()) == 2 && len(slack.all()) == 2 })
	time.Sleep(500 * time.Millisecond)
	if len(mb.All()) != 2 || len(rc.all()) != 2 || len(slack.all()) != 2 {
		t.Fatalf("the second commit sent %d emails, %d webhooks and %d Slack messages in total, want 2 of each", len(mb.All()), len(rc.all()), len(slack.all()))
	}
	checkWebhook(rc.all()[1], second)
	if got := rc.all()[1].header.Get(notify.DeliveryHeader); got == rc.all()[0].header.Get(notify.DeliveryHeader) {
		t.Fatalf("two notifications share the delivery id %s", got)
	}

	var elsewhere int
	if err := e.api.DB.QueryRow(ctx, `SELECT count(*) FROM cm_trigger_jobs j JOIN cm_queries q ON q.id = j.query WHERE q.query LIKE 'repo:^elsewhere$%' AND j.reason = 'push'`).Scan(&elsewhere); err != nil || elsewhere != 0 {
		t.Fatalf("pushes queued %d runs of a monitor of other repositories (%v)", elsewhere, err)
	}

	// The API shows the two runs with results (the others are not events) and the
	// notifications of each.
	var events struct {
		Node struct {
			Trigger struct {
				Events struct {
					TotalCount int
					Nodes      []struct {
						Status      string
						Query       string
						ResultCount int
						Actions     struct {
							Nodes []struct {
								Events struct {
									TotalCount int
									Nodes      []struct{ Status string }
								}
							}
						}
					}
				}
			}
		}
	}
	e.api.MustDo(t, aliceToken, `query($id: ID!) { node(id: $id) { ... on Monitor { trigger { ... on MonitorQuery { events(first: 10) { totalCount nodes {
		status query resultCount actions(first: 5) { nodes { ... on MonitorEmail { events(first: 5) { totalCount nodes { status } } } ... on MonitorWebhook { events(first: 5) { totalCount nodes { status } } } ... on MonitorSlackWebhook { events(first: 5) { totalCount nodes { status } } } } } } } } } } } }`,
		map[string]any{"id": created.CreateCodeMonitor.ID}, &events)
	ev := events.Node.Trigger.Events
	if ev.TotalCount != 2 || len(ev.Nodes) != 2 {
		t.Fatalf("trigger events: %+v", ev)
	}
	for _, n := range ev.Nodes {
		if n.Status != "SUCCESS" || n.ResultCount != 1 || n.Query != "type:diff AWS_SECRET" || len(n.Actions.Nodes) != 3 {
			t.Fatalf("trigger event: %+v", n)
		}
		for _, a := range n.Actions.Nodes {
			if a.Events.TotalCount != 1 || a.Events.Nodes[0].Status != "SUCCESS" {
				t.Fatalf("action events of one run: %+v", a.Events)
			}
		}
	}
}

// TestTestEmailAction sends a test email through the API to a real SMTP server.
func TestTestEmailAction(t *testing.T) {
	mb := startSMTP(t)
	e := startEnv(t, mb)
	alice, aliceToken := e.api.CreateUser(t, "alice", false)
	e.api.MustDo(t, aliceToken, `mutation($ns: ID!) { triggerTestEmailAction(namespace: $ns, description: "Try me",
		email: {enabled: true, includeResults: true, priority: NORMAL, recipients: [$ns], header: ""}) { alwaysNil } }`,
		map[string]any{"ns": userID(alice.ID)}, nil)
	got := mb.All()
	if len(got) != 1 || got[0].To != "alice@example.com" || !strings.Contains(got[0].Data, "Test: Try me") {
		t.Fatalf("test email: %+v", got)
	}
}

// TestRunsAsOwner checks that a monitor searches with its owner's repository
// permissions: a push to a private repository notifies the monitor of a user granted
// access and not the monitor of a user without it.
func TestRunsAsOwner(t *testing.T) {
	ctx := context.Background()
	e := startEnv(t, nil)
	alice, aliceToken := e.api.CreateUser(t, "alice", false)
	bob, bobToken := e.api.CreateUser(t, "bob", false)
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	work.Commit(t0, "", "initial", map[string]string{"README.md": "hello\n"})
	repo := e.addLocalRepo(t, work.Dir)
	if _, err := e.api.DB.Exec(ctx, "UPDATE repo SET private = true WHERE id = $1", repo.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Repos().SetRepoPermissions(ctx, repo.ID, []int64{alice.ID}, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}
	create := func(token string, uid int64, url string) {
		e.api.MustDo(t, token, `mutation($ns: ID!, $url: String!) { createCodeMonitor(monitor: {namespace: $ns, description: "private", enabled: true},
			trigger: {query: "type:diff PRIVATE_TOKEN"}, actions: [{webhook: {enabled: true, includeResults: true, url: $url}}]) { id } }`,
			map[string]any{"ns": userID(uid), "url": url}, nil)
	}
	forAlice, forBob := startReceiver(t), startReceiver(t)
	create(aliceToken, alice.ID, forAlice.srv.URL)
	create(bobToken, bob.ID, forBob.srv.URL)

	// Two pushes: the first is also the first time any run of bob's monitor could have
	// seen the repository.
	for i := 1; i <= 2; i++ {
		work.Commit(t0.Add(time.Duration(i)*time.Hour), "", "leak", map[string]string{"token.txt": fmt.Sprintf("PRIVATE_TOKEN=%d\n", i)})
		if err := e.st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "alice's notification", 20*time.Second, func() bool { return len(forAlice.all()) == i })
		// One statement queued the runs of both monitors (or widened a queued scheduled
		// run), so once alice is notified bob's run is queued or done.
		waitFor(t, "bob's run to finish", 10*time.Second, func() bool {
			var n int
			_ = e.api.DB.QueryRow(ctx, "SELECT count(*) FROM cm_trigger_jobs WHERE state NOT IN ('completed', 'failed')").Scan(&n)
			return n == 0
		})
	}
	time.Sleep(300 * time.Millisecond)
	if got := forBob.all(); len(got) != 0 {
		t.Fatalf("bob's monitor reported a private repository he cannot see: %s", got[0].body)
	}
}
