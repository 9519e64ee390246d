package resolvers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/store"
)

func TestInsightsAdminBackfillQueue(t *testing.T) {
	ie := newInsightsEnv(t)
	ctx := context.Background()
	ie.addRepos(t, nil, map[string][]repoCommit{"local/a": {{ie.now.AddDate(0, -2, 0), map[string]string{"f": "x\n"}}}})
	_, aliceToken := ie.CreateUser(t, "alice", false)
	var one, two created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "xs"}}}, []string{"local/a"}, "first")}, &one)
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "y", "options": map[string]any{"label": "ys"}}}, []string{"local/a"}, "second")}, &two)

	const queue = `query($states: [InsightQueueItemState!], $text: String) { insightAdminBackfillQueue(first: 10, orderBy: QUEUE_POSITION, states: $states, textSearch: $text) {
		totalCount pageInfo { hasNextPage } nodes { id insightViewTitle seriesLabel seriesSearchQuery creator { username }
		backfillQueueStatus { state queuePosition percentComplete cost runtime errors } } } }`
	type item struct {
		ID                  string
		InsightViewTitle    string
		SeriesLabel         string
		SeriesSearchQuery   string
		Creator             *struct{ Username string }
		BackfillQueueStatus struct {
			State           string
			QueuePosition   *int
			PercentComplete *int
			Cost            *int
			Runtime         *string
			Errors          []string
		}
	}
	var q struct {
		InsightAdminBackfillQueue struct {
			TotalCount int
			Nodes      []item
		}
	}
	if r := ie.Do(t, aliceToken, queue, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("non-admin reading the queue: %+v", r.Errors)
	}
	ie.MustDo(t, ie.AdminToken, queue, nil, &q)
	nodes := q.InsightAdminBackfillQueue.Nodes
	if len(nodes) != 2 || nodes[0].InsightViewTitle != "first" || nodes[0].SeriesLabel != "xs" || nodes[0].SeriesSearchQuery != "x" ||
		nodes[0].Creator == nil || nodes[0].Creator.Username != "admin" || nodes[0].BackfillQueueStatus.State != "NEW" || *nodes[0].BackfillQueueStatus.QueuePosition != 1 {
		t.Fatalf("queue: %s", mustJSONString(q))
	}
	var moved struct {
		MoveInsightSeriesBackfillToFrontOfQueue item
	}
	ie.MustDo(t, ie.AdminToken, `mutation($id: ID!) { moveInsightSeriesBackfillToFrontOfQueue(id: $id) { id backfillQueueStatus { queuePosition } } }`, map[string]any{"id": nodes[1].ID}, &moved)
	if p := moved.MoveInsightSeriesBackfillToFrontOfQueue.BackfillQueueStatus.QueuePosition; p == nil || *p != 1 {
		t.Fatalf("moved to front: %+v", moved)
	}
	ie.MustDo(t, ie.AdminToken, queue, map[string]any{"text": "firs"}, &q)
	if len(q.InsightAdminBackfillQueue.Nodes) != 1 || *q.InsightAdminBackfillQueue.Nodes[0].BackfillQueueStatus.QueuePosition != 2 {
		t.Fatalf("text search: %s", mustJSONString(q))
	}

	ie.runWork(t)
	ie.MustDo(t, ie.AdminToken, queue, map[string]any{"states": []string{"COMPLETED"}}, &q)
	for _, n := range q.InsightAdminBackfillQueue.Nodes {
		s := n.BackfillQueueStatus
		if s.State != "COMPLETED" || s.PercentComplete == nil || *s.PercentComplete != 100 || s.QueuePosition != nil || s.Cost == nil || s.Runtime == nil {
			t.Errorf("completed item: %s", mustJSONString(n))
		}
	}
	if len(q.InsightAdminBackfillQueue.Nodes) != 2 {
		t.Fatalf("completed: %s", mustJSONString(q))
	}

	// Retrying is for failed backfills only; a failed one goes back to the queue.
	if r := ie.Do(t, ie.AdminToken, `mutation($id: ID!) { retryInsightSeriesBackfill(id: $id) { id } }`, map[string]any{"id": nodes[0].ID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("retrying a completed backfill: %+v", r.Errors)
	}
	items, _ := ie.is.ListBackfillQueue(ctx, store.BackfillQueueOptions{})
	if err := ie.is.FinishBackfill(ctx, items[0].Backfill.ID, store.BackfillFailed); err != nil {
		t.Fatal(err)
	}
	var retried struct{ RetryInsightSeriesBackfill item }
	ie.MustDo(t, ie.AdminToken, `mutation($id: ID!) { retryInsightSeriesBackfill(id: $id) { backfillQueueStatus { state } } }`, map[string]any{"id": mustMarshalID("InsightBackfillQueueItem", int64(items[0].Backfill.ID))}, &retried)
	if retried.RetryInsightSeriesBackfill.BackfillQueueStatus.State != "QUEUED" {
		t.Fatalf("retried: %+v", retried)
	}

	// Status through the view, series query status, debug and disabling a series.
	var v struct {
		InsightViews struct {
			Nodes []struct {
				DataSeries []struct {
					Status struct {
						TotalPoints     int
						PercentComplete *int
						BackfillState   *string
						IsLoadingData   *bool
						CompletedJobs   int
						PendingJobs     int
					}
				}
			}
		}
	}
	ie.MustDo(t, ie.AdminToken, `query($id: ID!) { insightViews(id: $id) { nodes { dataSeries { status { totalPoints percentComplete backfillState isLoadingData completedJobs pendingJobs } } } } }`,
		map[string]any{"id": two.CreateLineChartSearchInsight.View.ID}, &v)
	st := v.InsightViews.Nodes[0].DataSeries
	if len(st) != 1 || st[0].Status.BackfillState == nil || *st[0].Status.BackfillState != "COMPLETED" || *st[0].Status.IsLoadingData || st[0].Status.CompletedJobs != 1 {
		t.Errorf("status: %s", mustJSONString(v))
	}
	seriesID := two.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID
	var upd struct {
		UpdateInsightSeries struct{ Series struct{ Enabled bool } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation($s: String!) { updateInsightSeries(input: {seriesId: $s, enabled: false}) { series { enabled } } }`, map[string]any{"s": seriesID}, &upd)
	if upd.UpdateInsightSeries.Series.Enabled {
		t.Errorf("series still enabled")
	}
	var status struct {
		InsightSeriesQueryStatus []struct {
			SeriesID string
			Enabled  bool
		}
		InsightViewDebug struct{ Raw []string }
	}
	ie.MustDo(t, ie.AdminToken, `query($v: ID!) { insightSeriesQueryStatus { seriesId enabled } insightViewDebug(id: $v) { raw } }`, map[string]any{"v": two.CreateLineChartSearchInsight.View.ID}, &status)
	if len(status.InsightSeriesQueryStatus) != 2 || len(status.InsightViewDebug.Raw) != 1 || !strings.Contains(status.InsightViewDebug.Raw[0], seriesID) {
		t.Errorf("admin status: %s", mustJSONString(status))
	}
	due, _ := ie.is.ListSeries(ctx, store.SeriesListOptions{RecordingDue: ie.now.AddDate(1, 0, 0)})
	for _, s := range due {
		if s.SeriesID == seriesID {
			t.Errorf("a disabled series is due for recording")
		}
	}

}
