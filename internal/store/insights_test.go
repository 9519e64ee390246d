package store_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
)

func newSeries(t *testing.T, is *store.InsightsStore, id string) *store.InsightSeries {
	t.Helper()
	s := &store.InsightSeries{SeriesID: id, Query: "TODO", IntervalUnit: "MONTH", IntervalValue: 1, GenerationMethod: store.GenerationSearch,
		NextRecordingAfter: time.Now(), NextSnapshotAfter: time.Now()}
	if err := is.CreateSeries(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func sortPoints(ps []store.AggregatedPoint) []store.AggregatedPoint {
	sort.Slice(ps, func(i, j int) bool {
		if !ps[i].Time.Equal(ps[j].Time) {
			return ps[i].Time.Before(ps[j].Time)
		}
		return ps[i].Capture < ps[j].Capture
	})
	return ps
}

// The totals kept by triggers must always equal the sum of the rows, whatever mix of
// inserts, re-recordings (larger and smaller values), deletes and archiving happened;
// and a read excluding repositories must equal a read including the others.
func TestInsightsPointsTotalsAndReads(t *testing.T) {
	ctx := context.Background()
	is := store.New(dbtest.NewInsightsDB(t)).Insights()
	s := newSeries(t, is, "s1")
	t1 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.AddDate(0, 1, 0)
	pt := func(tm time.Time, repo int64, capture string, v float64) store.SeriesPoint {
		return store.SeriesPoint{SeriesID: s.ID, Time: tm, RepoID: repo, RepoName: "r" + string(rune('0'+repo)), Capture: capture, Value: v, Commit: "0123456789abcdef0123456789abcdef01234567"}
	}
	if err := is.WritePoints(ctx, []store.SeriesPoint{pt(t1, 1, "", 3), pt(t1, 2, "", 4), pt(t2, 1, "", 5), pt(t2, 3, "", 1), pt(t1, 1, "", 2)}); err != nil {
		t.Fatal(err)
	}
	// At-least-once: the same points again, one larger, one smaller.
	if err := is.WritePoints(ctx, []store.SeriesPoint{pt(t1, 1, "", 3), pt(t1, 2, "", 6), pt(t2, 1, "", 1)}); err != nil {
		t.Fatal(err)
	}
	all, err := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AggregatedPoint{{SeriesID: s.ID, Time: t1, Value: 9}, {SeriesID: s.ID, Time: t2, Value: 6}}
	if diff := cmp.Diff(want, sortPoints(all)); diff != "" {
		t.Fatalf("all repositories (-want +got):\n%s", diff)
	}
	excl, err := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{IDs: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	incl, err := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{Include: true, IDs: []int64{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	want = []store.AggregatedPoint{{SeriesID: s.ID, Time: t1, Value: 6}, {SeriesID: s.ID, Time: t2, Value: 1}}
	if diff := cmp.Diff(want, sortPoints(excl)); diff != "" {
		t.Errorf("excluding repo 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, sortPoints(incl)); diff != "" {
		t.Errorf("including repos 2, 3 (-want +got):\n%s", diff)
	}

	// A capture only an excluded repository has must not show at all.
	if err := is.WritePoints(ctx, []store.SeriesPoint{pt(t1, 1, "secret", 7), pt(t1, 2, "open", 1)}); err != nil {
		t.Fatal(err)
	}
	excl, err = is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{IDs: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range excl {
		if p.Capture == "secret" {
			t.Errorf("capture of an excluded repository leaked: %+v", p)
		}
	}

	// Breakdown of a point.
	parts, err := is.PointRepos(ctx, s.ID, t1, []string{""}, store.RepoSet{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].RepoName != "r2" || parts[0].Value != 6 || parts[0].Commit == "" {
		t.Errorf("breakdown: %+v", parts)
	}

	// Archiving the older time keeps totals consistent.
	if err := is.AddRecordingTimes(ctx, s.ID, []time.Time{t1, t2}); err != nil {
		t.Fatal(err)
	}
	n, err := is.ArchiveOldRecordings(ctx, s.ID, 1)
	if err != nil || n != 1 {
		t.Fatalf("archive: %d, %v", n, err)
	}
	all, err = is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if err != nil {
		t.Fatal(err)
	}
	want = []store.AggregatedPoint{{SeriesID: s.ID, Time: t2, Value: 6}}
	if diff := cmp.Diff(want, sortPoints(all)); diff != "" {
		t.Errorf("after archiving (-want +got):\n%s", diff)
	}
	times, _ := is.RecordingTimes(ctx, []int{s.ID})
	if diff := cmp.Diff([]time.Time{t2}, times[s.ID]); diff != "" {
		t.Errorf("recording times after archiving: %s", diff)
	}

	// Snapshots replace each other and read together with recordings.
	now := t2.AddDate(0, 0, 10)
	if err := is.ReplaceSnapshot(ctx, s.ID, now, []store.SeriesPoint{pt(now, 1, "", 2), pt(now, 2, "", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := is.ReplaceSnapshot(ctx, s.ID, now.Add(time.Hour), []store.SeriesPoint{pt(now, 1, "", 8)}); err != nil {
		t.Fatal(err)
	}
	all, _ = is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	want = []store.AggregatedPoint{{SeriesID: s.ID, Time: t2, Value: 6}, {SeriesID: s.ID, Time: now.Add(time.Hour), Value: 8}}
	if diff := cmp.Diff(want, sortPoints(all)); diff != "" {
		t.Errorf("with snapshot (-want +got):\n%s", diff)
	}
	counts, _ := is.CountPoints(ctx, []int{s.ID})
	if counts[s.ID] != 3 {
		t.Errorf("point count %d, want 3", counts[s.ID])
	}
}

func ptr[T any](v T) *T { return &v }

func TestInsightsBackfillPagesAreCommittedOnce(t *testing.T) {
	ctx := context.Background()
	is := store.New(dbtest.NewInsightsDB(t)).Insights()
	s := newSeries(t, is, "s1")
	b, err := is.CreateBackfill(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	it, err := is.StartBackfill(ctx, b.ID, []int64{10, 11, 12}, 42)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.StartBackfill(ctx, b.ID, []int64{10}, 1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("planning twice: %v", err)
	}
	tm := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	page := store.BackfillPage{IteratorID: it.ID, SeriesID: s.ID, FromCursor: 0, ToCursor: 2, Succeeded: []int64{10, 11}, Searches: 3, Reused: 1,
		Points: []store.SeriesPoint{{SeriesID: s.ID, Time: tm, RepoID: 10, RepoName: "a", Value: 1}, {SeriesID: s.ID, Time: tm, RepoID: 11, RepoName: "b", Value: 2}}}
	if err := is.CommitBackfillPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	// A second worker committing the same page (it took over a job the first one still
	// ran) is refused, and its points are not written.
	page.Points[0].Value = 100
	if err := is.CommitBackfillPage(ctx, page); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second commit of a page: %v", err)
	}
	pts, _ := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if len(pts) != 1 || pts[0].Value != 3 {
		t.Fatalf("points after a refused page: %+v", pts)
	}
	it, _ = is.GetIterator(ctx, it.ID)
	if it.Cursor != 2 || it.SuccessCount != 2 || it.Searches != 3 || it.PointsReused != 1 || it.PercentComplete < 0.66 || it.PercentComplete > 0.67 {
		t.Fatalf("iterator after one page: %+v", it)
	}
	repo := int64(12)
	if err := is.CommitBackfillPage(ctx, store.BackfillPage{IteratorID: it.ID, SeriesID: s.ID, FromCursor: 2, ToCursor: 3,
		Errors:     []store.RepoIteratorError{{RepoID: 12, Messages: []string{"boom"}, FailureCount: 3, Terminal: true}},
		Incomplete: []store.IncompletePoint{{SeriesID: s.ID, Reason: store.IncompleteGeneric, Time: tm, RepoID: &repo, Message: "boom"}}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := is.TerminalErrorCount(ctx, it.ID); n != 1 {
		t.Fatalf("terminal errors: %d", n)
	}
	if err := is.FinishBackfill(ctx, b.ID, store.BackfillFailed); err != nil {
		t.Fatal(err)
	}
	// Retrying puts the failed repository back at the end of the plan.
	if err := is.RetryBackfill(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	it, _ = is.GetIterator(ctx, it.ID)
	if diff := cmp.Diff([]int64{10, 11, 12, 12}, it.Repos); diff != "" || it.Cursor != 3 || it.TotalCount != 4 {
		t.Fatalf("iterator after retry: %+v", it)
	}
	b, _ = is.GetBackfill(ctx, b.ID)
	if b.BackfillState != store.BackfillProcessing || b.State != "queued" {
		t.Fatalf("backfill after retry: %+v", b)
	}
	items, err := is.ListBackfillQueue(ctx, store.BackfillQueueOptions{States: []string{"queued"}})
	if err != nil || len(items) != 1 || items[0].QueuePosition == nil || *items[0].QueuePosition != 1 {
		t.Fatalf("queue: %+v %v", items, err)
	}
}

// Counting a repository after all clears its incomplete points only where it was
// counted: a backfill clears its sample times, not a recording's; a new snapshot
// clears the previous snapshot's.
func TestInsightsIncompletePointsClearedWhereCounted(t *testing.T) {
	ctx := context.Background()
	is := store.New(dbtest.NewInsightsDB(t)).Insights()
	s := newSeries(t, is, "s1")
	sample := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	recording := sample.AddDate(0, 2, 0)
	snap := recording.AddDate(0, 0, 3)
	repo := int64(10)
	add := func(tm time.Time, repoID *int64) {
		t.Helper()
		if err := is.AddIncompletePoints(ctx, []store.IncompletePoint{{SeriesID: s.ID, Reason: store.IncompleteGeneric, Time: tm, RepoID: repoID, Message: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	times := func() []time.Time {
		t.Helper()
		pts, err := is.IncompletePoints(ctx, []int{s.ID})
		if err != nil {
			t.Fatal(err)
		}
		var out []time.Time
		for _, p := range pts {
			out = append(out, p.Time)
		}
		return out
	}
	add(sample, &repo)
	add(recording, &repo)
	b, _ := is.CreateBackfill(ctx, s.ID)
	it, err := is.StartBackfill(ctx, b.ID, []int64{repo}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := is.CommitBackfillPage(ctx, store.BackfillPage{IteratorID: it.ID, SeriesID: s.ID, FromCursor: 0, ToCursor: 1, Succeeded: []int64{repo}, Times: []time.Time{sample}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Time{recording}, times()); diff != "" {
		t.Fatalf("after the backfill counted the repository (-want +got):\n%s", diff)
	}
	// A rerun of the recording that counted the repository clears it, whole-recording
	// points only when asked.
	add(recording, nil)
	if err := is.ClearIncompletePoints(ctx, s.ID, []time.Time{recording}, []int64{repo}, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Time{recording}, times()); diff != "" {
		t.Fatalf("after clearing the repository (-want +got):\n%s", diff)
	}
	if err := is.ClearIncompletePoints(ctx, s.ID, []time.Time{recording}, nil, true); err != nil {
		t.Fatal(err)
	}
	if got := times(); len(got) != 0 {
		t.Fatalf("after clearing the whole recording: %v", got)
	}
	// Snapshots.
	if err := is.ReplaceSnapshot(ctx, s.ID, snap, nil); err != nil {
		t.Fatal(err)
	}
	add(snap, &repo)
	add(recording, &repo)
	if err := is.ReplaceSnapshot(ctx, s.ID, snap.Add(24*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Time{recording}, times()); diff != "" {
		t.Fatalf("after a new snapshot (-want +got):\n%s", diff)
	}
}
