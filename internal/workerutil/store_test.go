package workerutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewStoreRejectsBadOptions(t *testing.T) {
	db := newTestDB(t)
	for name, edit := range map[string]func(*StoreOptions[testJob]){
		"table with SQL":  func(o *StoreOptions[testJob]) { o.TableName = "jobs; DROP TABLE users" },
		"bad view":        func(o *StoreOptions[testJob]) { o.ViewName = "v x" },
		"bad alias":       func(o *StoreOptions[testJob]) { o.Alias = "a.b" },
		"no columns":      func(o *StoreOptions[testJob]) { o.Columns = nil },
		"no scan":         func(o *StoreOptions[testJob]) { o.Scan = nil },
		"negative retry":  func(o *StoreOptions[testJob]) { o.MaxNumRetries = -1 },
		"negative resets": func(o *StoreOptions[testJob]) { o.MaxNumResets = -1 },
	} {
		opts := StoreOptions[testJob]{TableName: "test_jobs", Columns: testColumns, Scan: scanTestJob}
		edit(&opts)
		if _, err := NewStore(db, opts); err == nil {
			t.Errorf("%s: NewStore accepted %+v", name, opts)
		}
	}
}

func TestDequeueBatchOrderAndProcessAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newTestStore(t, db, nil)
	ids := insertJobs(t, db, 5)
	// One job is scheduled for later and must be skipped.
	if _, err := db.Exec(ctx, `UPDATE test_jobs SET process_after = now() + interval '1 hour' WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}

	got, err := s.Dequeue(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	gotIDs := jobIDs(got)
	if diff := cmp.Diff([]int64{ids[0], ids[2], ids[3]}, gotIDs); diff != "" {
		t.Errorf("first batch (-want +got):\n%s", diff)
	}
	for _, id := range gotIDs {
		row := getJob(t, db, id)
		if row.State != StateProcessing || row.WorkerHostname != s.WorkerHostname() {
			t.Errorf("job %d after dequeue: %+v", id, row)
		}
	}
	got, err = s.Dequeue(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{ids[4]}, jobIDs(got)); diff != "" {
		t.Errorf("second batch (-want +got):\n%s", diff)
	}
	if got, _ := s.Dequeue(ctx, 10); len(got) != 0 {
		t.Errorf("dequeued %v from a drained queue", jobIDs(got))
	}
	if n, err := s.QueuedCount(ctx); err != nil || n != 1 {
		t.Errorf("QueuedCount = %d, %v; want 1 (the scheduled job)", n, err)
	}
	st, err := s.QueueStats(ctx)
	if err != nil || st.Waiting != 1 || st.Ready != 0 {
		t.Errorf("QueueStats = %+v, %v; want 1 waiting, 0 ready", st, err)
	}
	counts, err := s.CountsByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[State]int{StateProcessing: 4, StateQueued: 1}, counts); diff != "" {
		t.Errorf("CountsByState (-want +got):\n%s", diff)
	}
}

func jobIDs(jobs []testJob) []int64 {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func TestDequeueThroughView(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	if _, err := db.Exec(ctx, `CREATE VIEW test_jobs_with_extra AS
		SELECT j.*, upper(j.payload) AS loud FROM test_jobs j`); err != nil {
		t.Fatal(err)
	}
	s := newTestStore(t, db, func(o *StoreOptions[testJob]) {
		o.ViewName = "test_jobs_with_extra"
		o.Alias = "v"
		o.Columns = []string{"v.id", "v.loud", "v.num_failures", "v.num_resets"}
	})
	ids := insertJobs(t, db, 2)
	got, err := s.Dequeue(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	want := []testJob{{ID: ids[0], Payload: "JOB 1"}, {ID: ids[1], Payload: "JOB 2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if row := getJob(t, db, ids[0]); row.State != StateProcessing {
		t.Errorf("job state after dequeue through view = %s", row.State)
	}
}

// A worker whose job was reset and taken by another worker must not be able to write
// anything to it any more.
func TestOldWorkerCannotMarkJobTakenByAnother(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	a := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.WorkerHostname = "a" })
	b := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.WorkerHostname = "b" })
	id := insertJobs(t, db, 1)[0]

	if got, err := a.Dequeue(ctx, 1); err != nil || len(got) != 1 {
		t.Fatalf("a.Dequeue = %v, %v", got, err)
	}
	if _, err := db.Exec(ctx, `UPDATE test_jobs SET last_heartbeat_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	res, err := b.ResetStalled(ctx)
	if err != nil || !cmp.Equal(res.Reset, []int64{id}) {
		t.Fatalf("ResetStalled = %+v, %v", res, err)
	}
	if got, err := b.Dequeue(ctx, 1); err != nil || len(got) != 1 {
		t.Fatalf("b.Dequeue = %v, %v", got, err)
	}

	for name, op := range map[string]func() error{
		"MarkComplete": func() error { return a.MarkComplete(ctx, id) },
		"MarkErrored":  func() error { _, err := a.MarkErrored(ctx, id, "x"); return err },
		"MarkFailed":   func() error { return a.MarkFailed(ctx, id, "x") },
		"MarkCanceled": func() error { return a.MarkCanceled(ctx, id) },
		"Requeue":      func() error { return a.Requeue(ctx, id, 0) },
		"AddLog":       func() error { _, err := a.AddExecutionLogEntry(ctx, id, ExecutionLogEntry{Key: "k"}); return err },
	} {
		if err := op(); !errors.Is(err, ErrNotOwned) {
			t.Errorf("a.%s on b's job: err = %v, want ErrNotOwned", name, err)
		}
	}
	if done, err := a.MarkCompleteMany(ctx, []int64{id}); err != nil || len(done) != 0 {
		t.Errorf("a.MarkCompleteMany = %v, %v; want nothing marked", done, err)
	}
	if released, err := a.Release(ctx, []int64{id}); err != nil || len(released) != 0 {
		t.Errorf("a.Release = %v, %v; want nothing released", released, err)
	}
	if known, _, err := a.Heartbeat(ctx, []int64{id}); err != nil || len(known) != 0 {
		t.Errorf("a.Heartbeat = %v, %v; want the job unknown to a", known, err)
	}
	if known, _, err := b.Heartbeat(ctx, []int64{id}); err != nil || !cmp.Equal(known, []int64{id}) {
		t.Errorf("b.Heartbeat = %v, %v; want the job known to b", known, err)
	}
	if err := b.MarkComplete(ctx, id); err != nil {
		t.Fatal(err)
	}
	row := getJob(t, db, id)
	if row.State != StateCompleted || row.WorkerHostname != "b" || row.NumResets != 1 || row.NumFailures != 0 {
		t.Errorf("job after b completed it: %+v", row)
	}
}

func TestMarkErroredRetriesThenFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newTestStore(t, db, func(o *StoreOptions[testJob]) {
		o.MaxNumRetries = 2
		o.RetryAfter = time.Hour
	})
	id := insertJobs(t, db, 1)[0]
	if _, err := s.Dequeue(ctx, 1); err != nil {
		t.Fatal(err)
	}
	state, err := s.MarkErrored(ctx, id, "boom\x00 \xff")
	if err != nil || state != StateErrored {
		t.Fatalf("first MarkErrored = %s, %v", state, err)
	}
	row := getJob(t, db, id)
	if row.NumFailures != 1 || row.FailureMessage != "boom \uFFFD" {
		t.Errorf("after first failure: %+v", row)
	}
	// Not due yet: RetryAfter is an hour.
	if got, _ := s.Dequeue(ctx, 1); len(got) != 0 {
		t.Fatalf("errored job dequeued before RetryAfter")
	}
	if _, err := db.Exec(ctx, `UPDATE test_jobs SET process_after = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.Dequeue(ctx, 1)
	if err != nil || len(got) != 1 || got[0].NumFailures != 1 {
		t.Fatalf("retry dequeue = %+v, %v", got, err)
	}
	state, err = s.MarkErrored(ctx, id, "boom again")
	if err != nil || state != StateFailed {
		t.Fatalf("second MarkErrored = %s, %v; want failed", state, err)
	}
	if row := getJob(t, db, id); row.State != StateFailed || row.NumFailures != 2 {
		t.Errorf("after last failure: %+v", row)
	}
}

func TestExecutionLogs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newTestStore(t, db, nil)
	id := insertJobs(t, db, 1)[0]
	if _, err := s.Dequeue(ctx, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	first, err := s.AddExecutionLogEntry(ctx, id, ExecutionLogEntry{Key: "clone", Command: []string{"git", "clone"}, StartTime: start})
	if err != nil || first != 1 {
		t.Fatalf("first entry = %d, %v", first, err)
	}
	second, err := s.AddExecutionLogEntry(ctx, id, ExecutionLogEntry{Key: "run", StartTime: start, Out: "partial"})
	if err != nil || second != 2 {
		t.Fatalf("second entry = %d, %v", second, err)
	}
	exit, ms := 0, 1500
	if err := s.UpdateExecutionLogEntry(ctx, id, second, ExecutionLogEntry{
		Key: "run", StartTime: start, Out: "all\x00 output", ExitCode: &exit, DurationMs: &ms,
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateExecutionLogEntry(ctx, id, 7, ExecutionLogEntry{Key: "nope"}); !errors.Is(err, ErrNotOwned) {
		t.Errorf("updating a missing entry: err = %v", err)
	}
	got, err := s.ExecutionLogs(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []ExecutionLogEntry{
		{Key: "clone", Command: []string{"git", "clone"}, StartTime: start},
		{Key: "run", StartTime: start, Out: "all output", ExitCode: &exit, DurationMs: &ms},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	if err := s.MarkComplete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddExecutionLogEntry(ctx, id, ExecutionLogEntry{Key: "late"}); !errors.Is(err, ErrNotOwned) {
		t.Errorf("log entry on a completed job: err = %v", err)
	}
}

func TestResetStalledFailsAfterMaxResets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newTestStore(t, db, func(o *StoreOptions[testJob]) {
		o.MaxNumResets = 2
		o.StalledMaxAge = time.Second
	})
	id := insertJobs(t, db, 1)[0]
	stall := func() {
		t.Helper()
		if got, err := s.Dequeue(ctx, 1); err != nil || len(got) != 1 {
			t.Fatalf("Dequeue = %v, %v", got, err)
		}
		// A fresh heartbeat is not stalled.
		if res, err := s.ResetStalled(ctx); err != nil || len(res.Reset)+len(res.Failed) != 0 {
			t.Fatalf("ResetStalled on a live job = %+v, %v", res, err)
		}
		if _, err := db.Exec(ctx, `UPDATE test_jobs SET last_heartbeat_at = now() - interval '2 seconds'`); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 2; i++ {
		stall()
		res, err := s.ResetStalled(ctx)
		if err != nil || !cmp.Equal(res.Reset, []int64{id}) {
			t.Fatalf("reset %d = %+v, %v", i, res, err)
		}
		if row := getJob(t, db, id); row.State != StateQueued || row.NumResets != i {
			t.Fatalf("after reset %d: %+v", i, row)
		}
	}
	stall()
	res, err := s.ResetStalled(ctx)
	if err != nil || !cmp.Equal(res.Failed, []int64{id}) {
		t.Fatalf("third stall = %+v, %v; want failed", res, err)
	}
	if row := getJob(t, db, id); row.State != StateFailed || row.FailureMessage != ResetFailureMessage || row.NumResets != 2 {
		t.Errorf("after too many resets: %+v", row)
	}
}

func TestRequestCancelOfQueuedJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newTestStore(t, db, nil)
	ids := insertJobs(t, db, 2)
	if ok, err := s.RequestCancel(ctx, ids[0]); err != nil || !ok {
		t.Fatalf("RequestCancel = %v, %v", ok, err)
	}
	if row := getJob(t, db, ids[0]); row.State != StateCanceled || !row.Cancel {
		t.Errorf("canceled queued job: %+v", row)
	}
	if ok, err := RequestCancel(ctx, db, "test_jobs", ids[0]); err != nil || ok {
		t.Errorf("second cancel = %v, %v; want false (already canceled)", ok, err)
	}
	if _, err := RequestCancel(ctx, db, "test_jobs; --", ids[1]); err == nil {
		t.Errorf("RequestCancel accepted a bad table name")
	}
	got, err := s.Dequeue(ctx, 5)
	if err != nil || !cmp.Equal(jobIDs(got), []int64{ids[1]}) {
		t.Errorf("Dequeue after cancel = %v, %v; want only the other job", jobIDs(got), err)
	}
}

// The dequeue must read the partial index: with a plain index (or none) the planner walks
// the primary key right after ANALYZE and every dequeue re-reads the processed rows. The
// batch statements must find their rows by primary key, never by scanning the table.
func TestQueuePlansUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newTestStore(t, db, nil)
	ids := insertJobs(t, db, 20000)

	// plans returns the custom plan for args and the generic plan a prepared statement
	// switches to after a few runs.
	plans := func(query, paramTypes string, args ...any) map[string]string {
		t.Helper()
		conn, err := db.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		out := map[string]string{}
		var raw []byte
		if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		out["custom"] = string(raw)
		if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "PREPARE q("+paramTypes+") AS "+query); err != nil {
			t.Fatal(err)
		}
		// EXECUTE takes no bind parameters: spell the arguments out.
		literals := make([]string, len(args))
		for i, a := range args {
			switch a := a.(type) {
			case []int64:
				strs := make([]string, len(a))
				for j, v := range a {
					strs[j] = fmt.Sprint(v)
				}
				literals[i] = "'{" + strings.Join(strs, ",") + "}'"
			case string:
				literals[i] = "'" + a + "'"
			default:
				literals[i] = fmt.Sprint(a)
			}
		}
		if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE q("+strings.Join(literals, ", ")+")").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		out["generic"] = string(raw)
		if _, err := conn.Exec(ctx, "DEALLOCATE q"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "RESET plan_cache_mode"); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(situation string) {
		t.Helper()
		if _, err := db.Exec(ctx, "ANALYZE test_jobs"); err != nil {
			t.Fatal(err)
		}
		for kind, plan := range plans(s.sql.dequeue, "int, text", 100, "planner") {
			if !strings.Contains(plan, `"Index Name": "test_jobs_dequeue"`) {
				t.Errorf("%s, %s dequeue plan does not use the partial index:\n%s", situation, kind, indent(plan))
			}
			if strings.Contains(plan, `"Node Type": "Seq Scan"`) {
				t.Errorf("%s, %s dequeue plan scans the table:\n%s", situation, kind, indent(plan))
			}
		}
		for name, query := range map[string]string{
			"complete":  s.sql.completeMany,
			"heartbeat": s.sql.heartbeat,
			"release":   s.sql.release,
		} {
			for kind, plan := range plans(query, "bigint[], text", ids[:200], "planner") {
				if strings.Contains(plan, `"Node Type": "Seq Scan"`) {
					t.Errorf("%s, %s %s plan scans the table:\n%s", situation, kind, name, indent(plan))
				}
			}
		}
	}
	check("all queued")
	if _, err := db.Exec(ctx, `UPDATE test_jobs SET state = 'completed', finished_at = now() WHERE id <= $1`, ids[19900]); err != nil {
		t.Fatal(err)
	}
	check("mostly completed")
}

// indent summarises a JSON plan as one line per node: type, relation, index.
func indent(plan string) string {
	var v any
	if json.Unmarshal([]byte(plan), &v) != nil {
		return plan
	}
	var b strings.Builder
	var walk func(node any, depth int)
	walk = func(node any, depth int) {
		switch n := node.(type) {
		case []any:
			for _, c := range n {
				walk(c, depth)
			}
		case map[string]any:
			if p, ok := n["Plan"]; ok {
				walk(p, depth)
				return
			}
			fmt.Fprintf(&b, "%s%v", strings.Repeat("  ", depth), n["Node Type"])
			for _, k := range []string{"Relation Name", "Index Name", "CTE Name"} {
				if x, ok := n[k]; ok {
					fmt.Fprintf(&b, " %s=%v", k, x)
				}
			}
			b.WriteString("\n")
			walk(n["Plans"], depth+1)
		}
	}
	walk(v, 0)
	return b.String()
}
