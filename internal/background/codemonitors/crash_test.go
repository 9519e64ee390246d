package codemonitors_test

import (
	"context"
	"testing"
	"time"

	"github.com/sourcegraph/log"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/background/codemonitors"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// TestKilledWorkerDoesNotSendTwice kills an action worker after it sent a notification
// and before it marked the job done; the job is reset and run by another worker, which
// must not send the notification again.
func TestKilledWorkerDoesNotSendTwice(t *testing.T) {
	ctx := context.Background()
	logger := logtest.Scoped(t)
	mb := startSMTP(t)
	rc := startReceiver(t)
	db := dbtest.NewDB(t)
	st := store.New(db)
	alice, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CodeMonitors().CreateMonitor(ctx, alice.ID, store.MonitorSpec{
		Description: "crash", Enabled: true, NamespaceUserID: alice.ID, Query: "type:diff x",
		Emails:   []store.EmailSpec{{Enabled: true, Priority: "NORMAL", Recipients: []store.MonitorRecipient{{NamespaceUserID: alice.ID}}}},
		Webhooks: []store.WebhookSpec{{Enabled: true, URL: rc.srv.URL, Secret: "s3cret"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.CodeMonitors().QueryByMonitor(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var runID int64
	if err := db.QueryRow(ctx, `INSERT INTO cm_trigger_jobs (query, state, recorded_at, finished_at, query_string, search_results, num_results)
VALUES ($1, 'completed', now(), now(), 'type:diff x', '[{"repository":"example.com/r","commit":"0123456789012345678901234567890123456789","message":"x"}]', 1) RETURNING id`, q.ID).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO cm_action_jobs (email, trigger_event) SELECT id, $1 FROM cm_emails WHERE monitor = $2`, runID, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO cm_action_jobs (webhook, trigger_event) SELECT id, $1 FROM cm_webhooks WHERE monitor = $2`, runID, m.ID); err != nil {
		t.Fatal(err)
	}

	handler := codemonitors.NewActionHandler(codemonitors.Options{Store: st, Notifier: newNotifier(t, mb), ExternalURL: "http://lookout.test"})
	storeOpts := codemonitors.ActionStoreOptions()
	storeOpts.StalledMaxAge = 300 * time.Millisecond

	// Worker 1 sends, then dies before it can mark the job done.
	storeOpts.WorkerHostname = "worker-1"
	s1, err := workerutil.NewStore(db, storeOpts)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, kill := context.WithCancel(ctx)
	killed := make(chan int64, 1)
	w1 := workerutil.NewWorker(s1, workerutil.HandlerFunc[*store.ActionJob](func(ctx context.Context, l log.Logger, job *store.ActionJob) error {
		err := handler.Handle(ctx, l, job)
		killed <- job.ID
		kill()
		<-ctx.Done()
		return err
	}), workerutil.WorkerOptions{NumHandlers: 1, Interval: 50 * time.Millisecond, Logger: logger})
	w1.Start(runCtx)
	t.Cleanup(func() { _ = w1.Stop(context.Background()) })
	var jobID int64
	select {
	case jobID = <-killed:
	case <-time.After(10 * time.Second):
		t.Fatal("worker 1 did not run a job")
	}
	sent := len(mb.All()) + len(rc.all())
	if sent != 1 {
		t.Fatalf("worker 1 sent %d notifications, want 1", sent)
	}
	var state string
	if err := db.QueryRow(ctx, "SELECT state FROM cm_action_jobs WHERE id = $1", jobID).Scan(&state); err != nil || state != "processing" {
		t.Fatalf("the killed worker's job is %q (%v), want processing", state, err)
	}

	// The resetter returns the job; worker 2 runs both jobs.
	storeOpts.WorkerHostname = "worker-2"
	s2, err := workerutil.NewStore(db, storeOpts)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stalled job to be reset", 5*time.Second, func() bool {
		res, err := s2.ResetStalled(ctx)
		return err == nil && len(res.Reset) == 1 && res.Reset[0] == jobID
	})
	w2 := workerutil.NewWorker(s2, handler, workerutil.WorkerOptions{NumHandlers: 1, Interval: 50 * time.Millisecond, Logger: logger})
	w2.Start(ctx)
	t.Cleanup(func() { _ = w2.Stop(context.Background()) })
	waitFor(t, "both jobs to complete", 10*time.Second, func() bool {
		var n int
		_ = db.QueryRow(ctx, "SELECT count(*) FROM cm_action_jobs WHERE state = 'completed'").Scan(&n)
		return n == 2
	})
	if len(mb.All()) != 1 || len(rc.all()) != 1 {
		t.Fatalf("after the retry: %d emails and %d webhooks, want 1 and 1", len(mb.All()), len(rc.all()))
	}
	var resets int
	if err := db.QueryRow(ctx, "SELECT num_resets FROM cm_action_jobs WHERE id = $1", jobID).Scan(&resets); err != nil || resets != 1 {
		t.Fatalf("num_resets of the job = %d (%v), want 1", resets, err)
	}
}

// TestStalledRunIsResetBesideAQueuedOne resets a run whose worker died while a newer run
// of the same monitor waits in the queue (a push came in meanwhile).
func TestStalledRunIsResetBesideAQueuedOne(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	alice, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CodeMonitors().CreateMonitor(ctx, alice.ID, store.MonitorSpec{Description: "m", Enabled: true, NamespaceUserID: alice.ID, Query: "type:diff x",
		Emails: []store.EmailSpec{{Enabled: true, Priority: "NORMAL", Recipients: []store.MonitorRecipient{{NamespaceUserID: alice.ID}}}}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := st.CodeMonitors().QueryByMonitor(ctx, m.ID)
	if _, err := db.Exec(ctx, `INSERT INTO cm_trigger_jobs (query, state, started_at, last_heartbeat_at, worker_hostname) VALUES ($1, 'processing', now() - interval '1 hour', now() - interval '1 hour', 'dead')`, q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CodeMonitors().EnqueuePushTriggers(ctx, []int64{q.ID}, 1); err != nil {
		t.Fatal(err)
	}
	s, err := workerutil.NewStore(db, codemonitors.TriggerStoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ResetStalled(ctx)
	if err != nil || len(res.Reset) != 1 {
		t.Fatalf("reset: %+v %v", res, err)
	}
	if n, err := s.QueuedCount(ctx); err != nil || n != 2 {
		t.Fatalf("queued runs: %d %v, want 2", n, err)
	}
}
