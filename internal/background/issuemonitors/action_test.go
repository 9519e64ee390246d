package issuemonitors_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	issuemonitors "github.com/lookout/lookout/internal/background/issuemonitors"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/notify/notifytest"
	"github.com/lookout/lookout/internal/store"
)

// TestMessageSentOnce: a message job retried after a failed post is sent again, and
// one retried after a successful post (its worker died before marking it done) is not.
func TestMessageSentOnce(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))
	u, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	fail := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		got = append(got, r.Header.Get(notify.DeliveryHeader))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	lvl := 0.0
	m, err := st.IssueMonitors().CreateIssueMonitor(ctx, u.ID, store.IssueMonitorSpec{Description: "d", Enabled: true, NamespaceUserID: u.ID,
		Config: store.IssueMonitorConfig{Query: "x", Identity: "DEFAULT", SearchSchedule: "@daily", UpdateSchedule: "@daily", MaxIssuesPerRun: 10,
			ExecutionTimeout: time.Minute, Solvable: true, RuleKind: "COUNT", ValueOperation: "GREATER_THAN", Levels: store.IssueLevels{nil, nil, nil, &lvl, nil}},
		Actions: []store.IssueActionSpec{{Webhook: &store.WebhookSpec{Enabled: true, URL: srv.URL, Secret: "s"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Transact(ctx, func(tx *store.Store) error {
		s, err := tx.IssueMonitors().LoadState(ctx, m.ID)
		if err != nil {
			return err
		}
		e := domain.NewEngine(s, time.Now(), 0)
		e.Run(domain.RunInput{Search: true, Candidates: []domain.Candidate{{Key: "file:1:a", Data: domain.IssueData{Kind: domain.KindFile, Path: "a"}}}})
		w, err := e.Finish(func(kind string, n int) ([]int64, error) { return tx.IssueMonitors().AllocateIDs(ctx, kind, n) })
		if err != nil {
			return err
		}
		return tx.IssueMonitors().Apply(ctx, w)
	}); err != nil {
		t.Fatal(err)
	}
	var jobID int64
	if err := st.DB().QueryRow(ctx, "SELECT id FROM im_action_jobs").Scan(&jobID); err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().Query(ctx, "SELECT "+columnsOf(store.IssueActionJobColumns)+" FROM im_action_jobs WHERE id = $1", jobID)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	job, err := store.ScanIssueActionJob(rows)
	rows.Close()
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := issuemonitors.NewActionHandler(issuemonitors.Options{Store: st, Notifier: n, ExternalURL: "http://lookout.test"})
	logger := logtest.Scoped(t)
	if err := h.Handle(ctx, logger, job); err == nil {
		t.Fatal("a 502 from the receiver is not an error")
	}
	for range 2 {
		if err := h.Handle(ctx, logger, job); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0] != issuemonitors.DeliveryID(jobID, "") {
		t.Fatalf("deliveries: %v", got)
	}
}

func columnsOf(cols []string) string {
	out := ""
	for i, c := range cols {
		if i > 0 {
			out += ", "
		}
		out += c
	}
	return out
}

// TestEmailAndSlackMessages: the email and Slack actions of an issue monitor are sent
// through the code monitor senders, with the alert's priority and issues.
func TestEmailAndSlackMessages(t *testing.T) {
	mb := notifytest.StartSMTP(t)
	slack := startReceiver(t)
	e := startEnv(t, envOptions{smtp: mb})
	alice, token := e.api.CreateUser(t, "alice", false)
	var c created
	e.api.MustDo(t, token, `mutation($ns: ID!, $slack: String!) { createIssueMonitor(monitor: {namespace: $ns, description: "exec calls", enabled: true},
		issueTracking: {query: "exec.Command(", searchSchedule: "@daily", updateSchedule: "@daily", rule: {kind: COUNT, levels: {low: 0, critical: 1}}},
		actions: [{email: {enabled: true, includeResults: true, priority: CRITICAL, recipients: [$ns], header: "Look"}},
			{slackWebhook: {enabled: true, includeResults: true, url: $slack}, minimumPriority: P1}]) { id } }`,
		map[string]any{"ns": userID(alice.ID), "slack": slack.srv.URL + "/services/T0/B0/X0"}, &c)
	work := gittest.NewRepo(t)
	work.Commit(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC), "", "initial", map[string]string{"a.go": execCall, "b.go": execCall})
	e.addLocalRepo(t, work.Dir)
	if state, msg := e.run(t, token, c.CreateIssueMonitor.ID, true, false); state != "completed" {
		t.Fatalf("run %s: %s", state, msg)
	}
	waitFor(t, "the email and the Slack message", 10*time.Second, func() bool { return len(mb.All()) == 1 && len(slack.all()) == 1 })
	mail := mb.All()[0]
	if mail.To != "alice@example.com" {
		t.Fatalf("email to %s", mail.To)
	}
	for _, want := range []string{"[P1] exec calls: alert created", "Look", "a.go", "b.go"} {
		if !strings.Contains(mail.Data, want) {
			t.Fatalf("email lacks %q:\n%s", want, mail.Data)
		}
	}
	if body := string(slack.all()[0].body); !strings.Contains(body, `"blocks"`) || !strings.Contains(body, "exec calls") || !strings.Contains(body, "P1") {
		t.Fatalf("Slack message: %s", body)
	}
}
