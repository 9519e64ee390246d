package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/store"
)

// cmFixture is a user with one monitor (an email and a webhook action) and two repositories.
type cmFixture struct {
	db      *pgxpool.Pool
	st      *store.Store
	user    *store.User
	monitor *store.Monitor
	query   *store.MonitorQuery
	repos   []int64
}

func newCMFixture(t *testing.T) *cmFixture {
	t.Helper()
	ctx := context.Background()
	db := dbtest.NewDB(t)
	key, err := encryption.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db).WithEncryptionKey(key)
	u, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "r/one", CloneURL: "/tmp/one"}, {Name: "r/two", CloneURL: "/tmp/two"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CodeMonitors().CreateMonitor(ctx, u.ID, store.MonitorSpec{
		Description: "m", Enabled: true, NamespaceUserID: u.ID, Query: "type:diff x",
		Emails:   []store.EmailSpec{{Enabled: true, Priority: "NORMAL", Recipients: []store.MonitorRecipient{{NamespaceUserID: u.ID}}}},
		Webhooks: []store.WebhookSpec{{Enabled: true, URL: "https://example.com/h", Secret: "top secret"}},
		Snapshot: map[int64][]string{res.NewRepoIDs[0]: {"a1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.CodeMonitors().QueryByMonitor(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &cmFixture{db: db, st: st, user: u, monitor: m, query: q, repos: res.NewRepoIDs}
}

func (f *cmFixture) jobs(t *testing.T) []*store.TriggerJob {
	t.Helper()
	jobs, err := f.st.CodeMonitors().ListTriggerEvents(context.Background(), f.query.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestCodeMonitorSecretsAreEncrypted(t *testing.T) {
	ctx := context.Background()
	f := newCMFixture(t)
	var raw string
	if err := f.db.QueryRow(ctx, "SELECT secret FROM cm_webhooks").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw == "top secret" {
		t.Fatal("the webhook secret is stored in clear text")
	}
	hooks, err := f.st.CodeMonitors().Webhooks(ctx, f.monitor.ID)
	if err != nil || len(hooks) != 1 || hooks[0].Secret != "top secret" {
		t.Fatalf("webhooks: %+v %v", hooks, err)
	}
}

func TestCodeMonitorEnqueueing(t *testing.T) {
	ctx := context.Background()
	f := newCMFixture(t)
	cs := f.st.CodeMonitors()

	// Due at creation: one full run, not two.
	for range 2 {
		if _, err := cs.EnqueueDueTriggers(ctx); err != nil {
			t.Fatal(err)
		}
	}
	jobs := f.jobs(t)
	if len(jobs) != 1 || jobs[0].RepoIDs != nil || jobs[0].Reason != store.TriggerReasonSchedule {
		t.Fatalf("after two enqueuer passes: %+v", jobs)
	}
	// A push while a full run is queued adds nothing.
	if _, err := cs.EnqueuePushTriggers(ctx, []int64{f.query.ID}, f.repos[0]); err != nil {
		t.Fatal(err)
	}
	if jobs := f.jobs(t); len(jobs) != 1 || jobs[0].RepoIDs != nil {
		t.Fatalf("a push widened nothing: %+v", jobs)
	}
	if _, err := f.db.Exec(ctx, "UPDATE cm_trigger_jobs SET state = 'completed', num_results = 1"); err != nil {
		t.Fatal(err)
	}

	// Pushes to two repositories make one run over both.
	for _, id := range []int64{f.repos[1], f.repos[0], f.repos[1]} {
		if _, err := cs.EnqueuePushTriggers(ctx, []int64{f.query.ID}, id); err != nil {
			t.Fatal(err)
		}
	}
	jobs = f.jobs(t)
	if len(jobs) != 2 || jobs[0].Reason != store.TriggerReasonPush || !cmp.Equal(jobs[0].RepoIDs, []int64{f.repos[0], f.repos[1]}) {
		t.Fatalf("after pushes: %+v", jobs[0])
	}
	// The enqueuer widens a queued push run to a full one once the monitor is due.
	if err := cs.ResetQueryTimestamps(ctx, f.monitor.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.EnqueueDueTriggers(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs := f.jobs(t); len(jobs) != 2 || jobs[0].RepoIDs != nil {
		t.Fatalf("a due monitor with a queued push run: %+v", jobs[0])
	}
	if _, err := f.db.Exec(ctx, "DELETE FROM cm_trigger_jobs"); err != nil {
		t.Fatal(err)
	}

	// Disabled monitors and monitors of deleted users are not run.
	if _, err := cs.ToggleMonitor(ctx, f.user.ID, f.monitor.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := cs.EnqueueDueTriggers(ctx); err != nil || n != 0 {
		t.Fatalf("a disabled monitor was queued: %d %v", n, err)
	}
	if c, err := cs.PushCandidates(ctx); err != nil || len(c) != 0 {
		t.Fatalf("push candidates of a disabled monitor: %+v %v", c, err)
	}
	if _, err := cs.ToggleMonitor(ctx, f.user.ID, f.monitor.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(ctx, "UPDATE users SET deleted_at = now()"); err != nil {
		t.Fatal(err)
	}
	if n, err := cs.EnqueueDueTriggers(ctx); err != nil || n != 0 {
		t.Fatalf("a deleted user's monitor was queued: %d %v", n, err)
	}
}

// dequeue marks the monitor's queued run processing, as a worker would.
func (f *cmFixture) dequeue(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := f.db.QueryRow(context.Background(), "UPDATE cm_trigger_jobs SET state = 'processing' WHERE state = 'queued' RETURNING id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRecordTriggerRunNeverReportsCommitsTwice(t *testing.T) {
	ctx := context.Background()
	f := newCMFixture(t)
	cs := f.st.CodeMonitors()
	one, two := f.repos[0], f.repos[1]
	results := func(n int) func(map[int64]bool) ([]byte, int, error) {
		return func(lost map[int64]bool) ([]byte, int, error) {
			if lost[one] {
				n--
			}
			return []byte(`[]`), n, nil
		}
	}

	// Two runs started from the same state (a1 in repo one); the first records, moving
	// one to b1 and starting two at c1.
	if _, err := cs.EnqueuePushTriggers(ctx, []int64{f.query.ID}, one); err != nil {
		t.Fatal(err)
	}
	a := f.dequeue(t)
	if _, err := cs.EnqueuePushTriggers(ctx, []int64{f.query.ID}, one); err != nil {
		t.Fatal(err)
	}
	b := f.dequeue(t)
	n, lost, err := cs.RecordTriggerRun(ctx, a, store.TriggerRun{MonitorID: f.monitor.ID, QueryString: "type:diff x", Results: results(1), Updates: []store.LastSearchedUpdate{
		{RepoID: one, HadOld: true, Old: []string{"a1"}, New: []string{"b1"}},
		{RepoID: two, New: []string{"c1"}},
	}})
	if err != nil || n != 1 || len(lost) != 0 {
		t.Fatalf("first run: %d %v %v", n, lost, err)
	}
	// Recording it again (a retried job) is refused.
	if _, _, err := cs.RecordTriggerRun(ctx, a, store.TriggerRun{MonitorID: f.monitor.ID, Results: results(1)}); !errors.Is(err, store.ErrRunAlreadyRecorded) {
		t.Fatalf("recording twice: %v", err)
	}
	// The second run loses repo one: its results there are dropped.
	n, lost, err = cs.RecordTriggerRun(ctx, b, store.TriggerRun{MonitorID: f.monitor.ID, QueryString: "type:diff x", Results: results(1), Updates: []store.LastSearchedUpdate{
		{RepoID: one, HadOld: true, Old: []string{"a1"}, New: []string{"b2"}},
	}})
	if err != nil || n != 0 || !cmp.Equal(lost, []int64{one}) {
		t.Fatalf("second run: %d %v %v", n, lost, err)
	}
	last, err := cs.LastSearched(ctx, f.monitor.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int64][]string{one: {"b1"}, two: {"c1"}}, last); diff != "" {
		t.Fatalf("last searched (-want +got):\n%s", diff)
	}
	// Only the run with results queued notifications: one per enabled action.
	var jobs []int64
	rows, _ := f.db.Query(ctx, "SELECT trigger_event FROM cm_action_jobs ORDER BY id")
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		jobs = append(jobs, id)
	}
	rows.Close()
	if !cmp.Equal(jobs, []int64{a, a}) {
		t.Fatalf("action jobs for runs %v, want two for run %d", jobs, a)
	}

	// Completed runs without results are not events, and go after an hour.
	if _, err := f.db.Exec(ctx, "UPDATE cm_trigger_jobs SET state = 'completed', finished_at = now() - interval '2 hours'"); err != nil {
		t.Fatal(err)
	}
	if got := f.jobs(t); len(got) != 1 || got[0].ID != a || got[0].NumResults != 1 || got[0].QueryString != "type:diff x" {
		t.Fatalf("events: %+v", got)
	}
	if n, err := cs.DeleteOldTriggerJobs(ctx, 30*24*time.Hour, time.Hour); err != nil || n != 1 {
		t.Fatalf("retention deleted %d runs (%v), want the empty one", n, err)
	}
	if n, err := cs.DeleteOldTriggerJobs(ctx, time.Hour, time.Hour); err != nil || n != 1 {
		t.Fatalf("retention deleted %d runs (%v), want the old one", n, err)
	}
	var left int
	_ = f.db.QueryRow(ctx, "SELECT count(*) FROM cm_action_jobs").Scan(&left)
	if left != 0 {
		t.Fatalf("%d notifications outlived their run", left)
	}
}

// TestEachRunWithResultsQueuesItsNotifications: a run with results queues one
// notification per enabled action even while the previous run's are still pending (a
// deliberate departure from skipping actions with a pending job: each run's results are
// new, so a skipped notification would lose them).
func TestEachRunWithResultsQueuesItsNotifications(t *testing.T) {
	ctx := context.Background()
	f := newCMFixture(t)
	cs := f.st.CodeMonitors()
	one := f.repos[0]
	withResults := func(map[int64]bool) ([]byte, int, error) { return []byte(`[]`), 1, nil }
	var runs []int64
	for _, step := range [][2]string{{"a1", "b1"}, {"b1", "b2"}} {
		if _, err := cs.EnqueuePushTriggers(ctx, []int64{f.query.ID}, one); err != nil {
			t.Fatal(err)
		}
		id := f.dequeue(t)
		if n, _, err := cs.RecordTriggerRun(ctx, id, store.TriggerRun{MonitorID: f.monitor.ID, QueryString: "type:diff x", Results: withResults,
			Updates: []store.LastSearchedUpdate{{RepoID: one, HadOld: true, Old: []string{step[0]}, New: []string{step[1]}}}}); err != nil || n != 1 {
			t.Fatalf("run %d: %d results, %v", id, n, err)
		}
		runs = append(runs, id)
	}
	var got []string
	rows, err := f.db.Query(ctx, "SELECT trigger_event::text || CASE WHEN email IS NOT NULL THEN ' email' ELSE ' webhook' END FROM cm_action_jobs WHERE state = 'queued' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		got = append(got, s)
	}
	rows.Close()
	want := []string{fmt.Sprint(runs[0], " email"), fmt.Sprint(runs[0], " webhook"), fmt.Sprint(runs[1], " email"), fmt.Sprint(runs[1], " webhook")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("queued notifications (-want +got):\n%s", diff)
	}
}
