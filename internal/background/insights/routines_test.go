package insights_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sourcegraph/log/logtest"

	insightsbg "github.com/lookout/lookout/internal/background/insights"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

func TestEnqueuerStampsOnlyAfterEnqueue(t *testing.T) {
	ctx := context.Background()
	mainDB, insightsDB := dbtest.NewDB(t), dbtest.NewInsightsDB(t)
	main, is := store.New(mainDB), store.New(insightsDB).Insights()
	created := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	now := created.AddDate(0, 0, 17).Add(3 * time.Hour)
	s := insights.NewSeries(insights.SeriesDef{Query: "x", Interval: insights.Interval{Unit: insights.Week, Value: 1}}, created)
	if err := is.CreateSeries(ctx, s); err != nil {
		t.Fatal(err)
	}
	// With the main database gone the job cannot be queued: nothing is stamped.
	broken := dbtest.NewDB(t)
	broken.Close()
	e := &insightsbg.Enqueuer{Main: store.New(broken), Insights: is, Now: func() time.Time { return now }}
	if _, err := e.Run(ctx); err == nil {
		t.Fatal("enqueue into a closed database succeeded")
	}
	if got, _ := is.GetSeries(ctx, s.ID); !got.NextRecordingAfter.Equal(s.NextRecordingAfter) || got.LastRecordedAt != nil {
		t.Fatalf("series stamped although nothing was queued: %+v", got)
	}

	e.Main = main
	// A recording, and the first daily snapshot.
	n, err := e.Run(ctx)
	if err != nil || n != 2 {
		t.Fatalf("enqueuer: %d jobs, %v", n, err)
	}
	var recordTime time.Time
	var mode string
	if err := mainDB.QueryRow(ctx, "SELECT record_time, persist_mode FROM insights_query_runner_jobs WHERE series_id = $1 AND persist_mode = 'record'", s.SeriesID).Scan(&recordTime, &mode); err != nil {
		t.Fatal(err)
	}
	// Weekly from Jan 10: Jan 17, Jan 24 (the newest not after now), next Jan 31.
	if want := created.AddDate(0, 0, 14); !recordTime.Equal(want) || mode != store.PersistRecord {
		t.Errorf("queued %s at %s, want record at %s", mode, recordTime, want)
	}
	got, _ := is.GetSeries(ctx, s.ID)
	if want := created.AddDate(0, 0, 21); !got.NextRecordingAfter.Equal(want) {
		t.Errorf("next recording %s, want %s", got.NextRecordingAfter, want)
	}
	if n, _ := e.Run(ctx); n != 0 {
		t.Errorf("a second run queued %d jobs", n)
	}
	// A day later the snapshot is due too.
	e.Now = func() time.Time { return now.Add(24 * time.Hour) }
	if n, _ := e.Run(ctx); n != 1 {
		t.Errorf("snapshot: %d jobs", n)
	}

	// The query runner takes snapshots (priority 0) before recordings (1), each oldest
	// first, whatever the order they were queued in.
	qs, err := workerutil.NewStore(mainDB, insightsbg.QueryRunnerStoreOptions(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for {
		jobs, err := qs.Dequeue(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 {
			break
		}
		order = append(order, jobs[0].PersistMode+" "+jobs[0].RecordTime.Format(time.DateOnly))
	}
	want := []string{"snapshot 2025-01-27", "snapshot 2025-01-28", "record 2025-01-24"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("dequeue order (-want +got):\n%s", diff)
	}
}

// brokenMirrors fails to reach one repository.
type brokenMirrors struct {
	insights.Source
	broken string
}

func (b *brokenMirrors) Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error) {
	if repo.Name == b.broken {
		return nil, errors.New("code host unreachable")
	}
	return b.Source.Mirror(ctx, repo)
}

func TestQueryRunnerRecordsAndMarksIncompletePoints(t *testing.T) {
	ctx := context.Background()
	mainDB, insightsDB := dbtest.NewDB(t), dbtest.NewInsightsDB(t)
	main, is := store.New(mainDB), store.New(insightsDB).Insights()
	logger := logtest.Scoped(t)
	now := time.Now().UTC().Truncate(time.Minute)
	good := &fixtureRepo{name: "local/good", work: gittest.NewRepo(t)}
	good.commitAt(now.AddDate(0, 0, -3), map[string]string{"f": "hit hit\n"})
	bad := &fixtureRepo{name: "local/bad", work: gittest.NewRepo(t)}
	bad.commitAt(now.AddDate(0, 0, -3), map[string]string{"f": "hit\n"})
	ids := registerRepos(t, main, good, bad)

	src := &brokenMirrors{Source: newSource(main, newRepoService(t, main, t.TempDir(), logger)), broken: "local/bad"}
	runner := &insightsbg.QueryRunner{Recorder: &insights.Recorder{Main: main, Insights: is, Source: src, Logger: logger}, Insights: is, MaxRetries: 3}
	s := insights.NewSeries(insights.SeriesDef{Query: "hit", Interval: insights.Interval{Unit: insights.Day, Value: 1}}, now.AddDate(0, 0, -1))
	if err := is.CreateSeries(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := runner.Handle(ctx, logger, &store.InsightsQueryJob{SeriesID: s.SeriesID, RecordTime: now, PersistMode: store.PersistRecord}); err != nil {
		t.Fatal(err)
	}
	pts, _ := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if len(pts) != 1 || pts[0].Value != 2 || !pts[0].Time.Equal(now) {
		t.Errorf("recorded points: %+v", pts)
	}
	inc, _ := is.IncompletePoints(ctx, []int{s.ID})
	if len(inc) != 1 || inc[0].RepoID == nil || *inc[0].RepoID != ids["local/bad"] || !inc[0].Time.Equal(now) {
		t.Errorf("incomplete points: %+v", inc)
	}
	times, _ := is.RecordingTimes(ctx, []int{s.ID})
	if len(times[s.ID]) != 1 {
		t.Errorf("recording times: %v", times)
	}
	// The same recording again (at-least-once delivery), now reaching every repository:
	// the incomplete point is gone and nothing is counted twice.
	src.broken = ""
	if err := runner.Handle(ctx, logger, &store.InsightsQueryJob{SeriesID: s.SeriesID, RecordTime: now, PersistMode: store.PersistRecord}); err != nil {
		t.Fatal(err)
	}
	if inc, _ := is.IncompletePoints(ctx, []int{s.ID}); len(inc) != 0 {
		t.Errorf("incomplete points after a complete rerun: %+v", inc)
	}
	if pts, _ := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{}); len(pts) != 1 || pts[0].Value != 3 {
		t.Errorf("points after a complete rerun: %+v", pts)
	}
	src.broken = "local/bad"

	// A recording that fails as a whole leaves an incomplete point for its time.
	s2 := insights.NewSeries(insights.SeriesDef{Query: "hit", Scope: insights.Scope{Criteria: "context:nope"}, Interval: insights.Interval{Unit: insights.Day, Value: 1}}, now)
	if err := is.CreateSeries(ctx, s2); err != nil {
		t.Fatal(err)
	}
	err := runner.Handle(ctx, logger, &store.InsightsQueryJob{SeriesID: s2.SeriesID, RecordTime: now, PersistMode: store.PersistRecord})
	if !workerutil.IsNonRetryable(err) {
		t.Fatalf("a recording of a bad scope: %v", err)
	}
	inc, _ = is.IncompletePoints(ctx, []int{s2.ID})
	if len(inc) != 1 || inc[0].RepoID != nil {
		t.Errorf("incomplete points of a failed recording: %+v", inc)
	}
}

// The backfill queue runs new backfills first, then the cheapest; an admin moves one
// to the front; the handler yields after its turn and continues later.
func TestBackfillQueueOrderAndInterruption(t *testing.T) {
	ctx := context.Background()
	mainDB, insightsDB := dbtest.NewDB(t), dbtest.NewInsightsDB(t)
	main, is := store.New(mainDB), store.New(insightsDB).Insights()
	logger := logtest.Scoped(t)
	now := time.Now().UTC()
	var repos []*fixtureRepo
	for _, n := range []string{"local/a", "local/b", "local/c"} {
		r := &fixtureRepo{name: n, work: gittest.NewRepo(t)}
		r.commitAt(now.AddDate(0, -1, 0), map[string]string{"f": "x\n"})
		repos = append(repos, r)
	}
	registerRepos(t, main, repos...)
	src := newSource(main, newRepoService(t, main, t.TempDir(), logger))

	qs, err := workerutil.NewStore(insightsDB, workerutil.StoreOptions[*store.InsightBackfill]{
		TableName: "insight_series_backfill", Alias: "b", Columns: store.BackfillColumns, Scan: store.ScanBackfill, OrderBy: store.BackfillOrder,
	})
	if err != nil {
		t.Fatal(err)
	}
	newBackfill := func(q string, scope insights.Scope) *store.InsightBackfill {
		s := insights.NewSeries(insights.SeriesDef{Query: q, Scope: scope, Interval: insights.Interval{Unit: insights.Month, Value: 1}}, now)
		if err := is.CreateSeries(ctx, s); err != nil {
			t.Fatal(err)
		}
		bf, err := is.CreateBackfill(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		return bf
	}
	expensive := newBackfill("/x+/", insights.Scope{}) // regexp over 3 repositories
	cheap := newBackfill("x", insights.Scope{Repositories: []string{"local/a"}})
	h := &insightsbg.BackfillHandler{Backfiller: &insights.Backfiller{Main: main, Insights: is, Source: src, RepoConcurrency: 1}, Insights: is, InterruptAfter: time.Nanosecond}

	// Both are new: planned in id order, each requeued with its cost.
	step := func() *store.InsightBackfill {
		t.Helper()
		jobs, err := qs.Dequeue(ctx, 1)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("dequeue: %v %v", jobs, err)
		}
		err = h.Handle(ctx, logger, jobs[0])
		if d, ok := requeueDelay(err); ok {
			if err := qs.Requeue(ctx, int64(jobs[0].ID), d); err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		} else if err := qs.MarkComplete(ctx, int64(jobs[0].ID)); err != nil {
			t.Fatal(err)
		}
		return jobs[0]
	}
	if got := step(); got.ID != expensive.ID || got.BackfillState != store.BackfillNew {
		t.Fatalf("first: %+v", got)
	}
	if got := step(); got.ID != cheap.ID || got.BackfillState != store.BackfillNew {
		t.Fatalf("second: %+v", got)
	}
	// Now cheapest first.
	if got := step(); got.ID != cheap.ID || got.BackfillState != store.BackfillProcessing {
		t.Fatalf("third: %+v", got)
	}
	if err := is.MoveBackfill(ctx, expensive.ID, true); err != nil {
		t.Fatal(err)
	}
	// The expensive one now runs; its turn ends after one page (one repository).
	if got := step(); got.ID != expensive.ID {
		t.Fatalf("after moving to the front: %+v", got)
	}
	b, _ := is.GetBackfill(ctx, expensive.ID)
	it, _ := is.GetIterator(ctx, *b.RepoIteratorID)
	if it.Cursor != 1 || b.BackfillState != store.BackfillProcessing || b.State != "queued" {
		t.Fatalf("after an interrupted turn: cursor %d, %s/%s", it.Cursor, b.BackfillState, b.State)
	}
	// Two more turns, one repository each.
	for i := 0; i < 2; i++ {
		if got := step(); got.ID != expensive.ID {
			t.Fatalf("turn %d: %+v", i+2, got)
		}
	}
	b, _ = is.GetBackfill(ctx, expensive.ID)
	if b.BackfillState != store.BackfillCompleted {
		t.Fatalf("after all turns: %+v", b)
	}
	if jobs, err := qs.Dequeue(ctx, 1); err != nil || len(jobs) != 0 {
		t.Fatalf("left in the queue: %+v %v", jobs, err)
	}
	var n int
	_ = insightsDB.QueryRow(ctx, "SELECT count(*) FROM insight_series_backfill WHERE state = 'queued'").Scan(&n)
	if n != 0 {
		t.Errorf("%d backfills still queued", n)
	}
}

func requeueDelay(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	// workerutil.RequeueAfter's error type is unexported; its message says what it is.
	return 0, strings.HasPrefix(err.Error(), "requeue after ")
}

func TestRetentionKeepsNewestRecordings(t *testing.T) {
	ctx := context.Background()
	main, is := store.New(dbtest.NewDB(t)), store.New(dbtest.NewInsightsDB(t)).Insights()
	s := insights.NewSeries(insights.SeriesDef{Query: "x", Interval: insights.Interval{Unit: insights.Day, Value: 1}}, time.Now())
	if err := is.CreateSeries(ctx, s); err != nil {
		t.Fatal(err)
	}
	var times []time.Time
	var pts []store.SeriesPoint
	for i := 0; i < 10; i++ {
		tm := time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC)
		times = append(times, tm)
		pts = append(pts, store.SeriesPoint{SeriesID: s.ID, Time: tm, RepoID: 1, RepoName: "r", Value: float64(i + 1)})
	}
	if err := is.WritePoints(ctx, pts); err != nil {
		t.Fatal(err)
	}
	if err := is.AddRecordingTimes(ctx, s.ID, times); err != nil {
		t.Fatal(err)
	}
	if err := insightsbg.Retain(ctx, main, is, 4); err != nil {
		t.Fatal(err)
	}
	got, _ := is.RecordingTimes(ctx, []int{s.ID})
	if len(got[s.ID]) != 4 || !got[s.ID][0].Equal(times[6]) {
		t.Errorf("kept times: %v", got[s.ID])
	}
	read, _ := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if len(read) != 4 {
		t.Errorf("kept points: %+v", read)
	}
}

// hangingSource never finishes a count before its context ends.
type hangingSource struct{ insights.Source }

type hangingCounter struct{ insights.Counter }

func (hangingCounter) CountAt(ctx context.Context, commit string) (insights.Count, error) {
	<-ctx.Done()
	return insights.Count{}, ctx.Err()
}

func (s *hangingSource) NewCounter(ctx context.Context, def insights.SeriesDef, repo *store.Repo, m *vcs.Mirror) (insights.Counter, error) {
	c, err := s.Source.NewCounter(ctx, def, repo, m)
	if err != nil {
		return nil, err
	}
	return hangingCounter{c}, nil
}

// A recording that runs out of time on its last attempt leaves a timeout incomplete
// point; one stopped by a shutdown leaves nothing; a job failed by the resetter (its
// worker died too often) is marked by retention; incomplete points older than the
// kept recordings are dropped with them.
func TestFailedRecordingsLeaveIncompletePoints(t *testing.T) {
	ctx := context.Background()
	mainDB, insightsDB := dbtest.NewDB(t), dbtest.NewInsightsDB(t)
	main, is := store.New(mainDB), store.New(insightsDB).Insights()
	logger := logtest.Scoped(t)
	now := time.Now().UTC().Truncate(time.Minute)
	r := &fixtureRepo{name: "local/r", work: gittest.NewRepo(t)}
	r.commitAt(now.AddDate(0, 0, -3), map[string]string{"f": "hit\n"})
	registerRepos(t, main, r)
	src := &hangingSource{newSource(main, newRepoService(t, main, t.TempDir(), logger))}
	runner := &insightsbg.QueryRunner{Recorder: &insights.Recorder{Main: main, Insights: is, Source: src, Logger: logger}, Insights: is, MaxRetries: 3}
	s := insights.NewSeries(insights.SeriesDef{Query: "hit", Interval: insights.Interval{Unit: insights.Day, Value: 1}}, now.AddDate(0, 0, -1))
	if err := is.CreateSeries(ctx, s); err != nil {
		t.Fatal(err)
	}
	incomplete := func() []store.IncompletePoint {
		t.Helper()
		pts, err := is.IncompletePoints(ctx, []int{s.ID})
		if err != nil {
			t.Fatal(err)
		}
		return pts
	}

	// Canceled (the worker stops): not a failure.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := runner.Handle(cctx, logger, &store.InsightsQueryJob{SeriesID: s.SeriesID, RecordTime: now, PersistMode: store.PersistRecord, NumFailures: 2}); err == nil {
		t.Fatal("a canceled recording succeeded")
	}
	if got := incomplete(); len(got) != 0 {
		t.Fatalf("a canceled recording left incomplete points: %+v", got)
	}
	// Not the last attempt: nothing yet.
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := runner.Handle(tctx, logger, &store.InsightsQueryJob{SeriesID: s.SeriesID, RecordTime: now, PersistMode: store.PersistRecord, NumFailures: 0}); err == nil {
		t.Fatal("a timed-out recording succeeded")
	}
	if got := incomplete(); len(got) != 0 {
		t.Fatalf("a first timeout left incomplete points: %+v", got)
	}
	// The last attempt times out.
	tctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := runner.Handle(tctx, logger, &store.InsightsQueryJob{SeriesID: s.SeriesID, RecordTime: now, PersistMode: store.PersistRecord, NumFailures: 2}); err == nil {
		t.Fatal("a timed-out recording succeeded")
	}
	if got := incomplete(); len(got) != 1 || got[0].Reason != store.IncompleteTimeout || got[0].RepoID != nil || !got[0].Time.Equal(now) {
		t.Fatalf("incomplete points after the last timeout: %+v", got)
	}

	// A job the resetter failed, and one canceled by an admin (not a failure).
	died := now.Add(-time.Hour)
	for _, state := range []string{"failed", "canceled"} {
		j := &store.InsightsQueryJob{SeriesID: s.SeriesID, SearchQuery: s.Query, RecordTime: died}
		if state == "canceled" {
			j.RecordTime = died.Add(-time.Hour)
		}
		if err := main.EnqueueInsightsQueryJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		if _, err := mainDB.Exec(ctx, "UPDATE insights_query_runner_jobs SET state = $1, finished_at = now(), failure_message = $2 WHERE id = $3", state, workerutil.ResetFailureMessage, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := insightsbg.Retain(ctx, main, is, 30); err != nil {
			t.Fatal(err)
		}
	}
	got := incomplete()
	if len(got) != 2 || !got[0].Time.Equal(died) || got[0].Reason != store.IncompleteGeneric || got[0].Message != workerutil.ResetFailureMessage {
		t.Fatalf("incomplete points after retention marked failed jobs: %+v", got)
	}

	// With more recordings than kept, incomplete points before the kept ones go.
	var times []time.Time
	for i := 0; i < 3; i++ {
		times = append(times, now.Add(time.Duration(i+1)*time.Hour))
	}
	if err := is.AddRecordingTimes(ctx, s.ID, times); err != nil {
		t.Fatal(err)
	}
	if err := insightsbg.Retain(ctx, main, is, 3); err != nil {
		t.Fatal(err)
	}
	if got := incomplete(); len(got) != 0 {
		t.Fatalf("incomplete points older than the kept recordings: %+v", got)
	}
}
