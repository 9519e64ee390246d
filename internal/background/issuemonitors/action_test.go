package issuemonitors_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	issuemonitors "github.com/lookout/lookout/internal/background/issuemonitors"
	"github.com/lookout/lookout/internal/database/dbtest"
	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/notify"
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
