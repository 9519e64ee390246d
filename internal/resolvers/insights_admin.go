package resolvers

import (
	"context"
	"encoding/json"
	"math"

	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// Backfill states as the API shows them.
const (
	queueStateNew        = "NEW"
	queueStateQueued     = "QUEUED"
	queueStateProcessing = "PROCESSING"
	queueStateCompleted  = "COMPLETED"
	queueStateFailed     = "FAILED"
	queueStateUnknown    = "UNKNOWN"
)

func queueState(b *store.InsightBackfill) string {
	switch b.BackfillState {
	case store.BackfillNew:
		return queueStateNew
	case store.BackfillProcessing:
		if b.State == "processing" {
			return queueStateProcessing
		}
		if b.State == "failed" || b.State == "canceled" {
			return queueStateFailed
		}
		return queueStateQueued
	case store.BackfillCompleted:
		return queueStateCompleted
	case store.BackfillFailed:
		return queueStateFailed
	}
	return queueStateUnknown
}

// backfillStatus resolves BackfillStatus.
type backfillStatus struct {
	state                           string
	position, percent, cost         *int32
	errors                          []string
	createdAt, startedAt, completed *time.Time
	runtime                         *string
}

func newBackfillStatus(it *store.BackfillQueueItem) *backfillStatus {
	b := it.Backfill
	s := &backfillStatus{state: queueState(b), errors: it.Errors, createdAt: &b.CreatedAt}
	if b.EstimatedCost != nil {
		c := int32(min(*b.EstimatedCost, math.MaxInt32))
		s.cost = &c
	}
	if it.QueuePosition != nil && (s.state == queueStateNew || s.state == queueStateQueued || s.state == queueStateProcessing) {
		p := int32(*it.QueuePosition)
		s.position = &p
	}
	if it.Iterator != nil {
		p := int32(math.Round(it.Iterator.PercentComplete * 100))
		if b.BackfillState == store.BackfillCompleted {
			p = 100
		}
		s.percent = &p
		s.startedAt, s.completed = it.Iterator.StartedAt, it.Iterator.CompletedAt
		rt := fmtDuration(it.Iterator.Runtime)
		s.runtime = &rt
	} else {
		p := int32(0)
		s.percent = &p
	}
	if b.FailureMessage != nil && *b.FailureMessage != "" {
		s.errors = append(s.errors, *b.FailureMessage)
	}
	return s
}

func (s *backfillStatus) State() string           { return s.state }
func (s *backfillStatus) QueuePosition() *int32   { return s.position }
func (s *backfillStatus) Errors() *[]string       { return &s.errors }
func (s *backfillStatus) Cost() *int32            { return s.cost }
func (s *backfillStatus) PercentComplete() *int32 { return s.percent }
func (s *backfillStatus) CreatedAt() *DateTime    { return newDateTimePtr(s.createdAt) }
func (s *backfillStatus) StartedAt() *DateTime    { return newDateTimePtr(s.startedAt) }
func (s *backfillStatus) CompletedAt() *DateTime  { return newDateTimePtr(s.completed) }
func (s *backfillStatus) Runtime() *string        { return s.runtime }

// backfillItem resolves InsightBackfillQueueItem.
type backfillItem struct {
	r  *Resolver
	it *store.BackfillQueueItem
}

func (b *backfillItem) ID() graphql.ID {
	return marshalID(backfillItemKind, int64(b.it.Backfill.ID))
}
func (b *backfillItem) InsightViewTitle() string  { return b.it.ViewTitle }
func (b *backfillItem) SeriesLabel() string       { return b.it.SeriesLabel }
func (b *backfillItem) SeriesSearchQuery() string { return b.it.Series.Query }
func (b *backfillItem) BackfillQueueStatus() *backfillStatus {
	return newBackfillStatus(b.it)
}
func (b *backfillItem) Creator(ctx context.Context) (*UserResolver, error) {
	if b.it.ViewCreatorID == nil {
		return nil, nil
	}
	u, err := b.r.userByID(ctx, *b.it.ViewCreatorID)
	if isNotFound(err) || errcode.Is(err, errcode.NotFound) {
		return nil, nil
	}
	return u, err
}

type backfillQueueOrderBy struct{}

func (backfillQueueOrderBy) enumName() string { return "BackfillQueueOrderBy" }

// InsightAdminBackfillQueue lists backfills (site admins).
func (r *Resolver) InsightAdminBackfillQueue(ctx context.Context, args struct {
	First      *int32
	Last       *int32
	After      *string
	Before     *string
	OrderBy    NullEnum[backfillQueueOrderBy]
	Descending graphql.NullBool
	States     *[]string
	TextSearch *string
}) (*backfillConnection, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	opts := store.BackfillQueueOptions{OrderByPosition: args.OrderBy.Or("STATE") == "QUEUE_POSITION", Descending: boolOr(args.Descending, false)}
	if args.TextSearch != nil {
		opts.TextSearch = *args.TextSearch
	}
	if args.States != nil {
		for _, s := range *args.States {
			switch s {
			case queueStateNew:
				opts.States = append(opts.States, store.BackfillNew)
			case queueStateQueued:
				opts.States = append(opts.States, "queued")
			case queueStateProcessing:
				opts.States = append(opts.States, store.BackfillProcessing)
			case queueStateCompleted:
				opts.States = append(opts.States, store.BackfillCompleted)
			case queueStateFailed:
				opts.States = append(opts.States, store.BackfillFailed)
			}
		}
		if len(opts.States) == 0 {
			opts.States = []string{"none"}
		}
	}
	is := r.insightsStore()
	total, err := is.CountBackfillQueue(ctx, opts)
	if err != nil {
		return nil, err
	}
	// Offset cursors: after/before hold the offset of a row.
	start, end := 0, total
	if args.After != nil && *args.After != "" {
		n, err := decodeCursor(*args.After)
		if err != nil {
			return nil, err
		}
		start = int(n) + 1
	}
	if args.Before != nil && *args.Before != "" {
		n, err := decodeCursor(*args.Before)
		if err != nil {
			return nil, err
		}
		end = min(end, int(n))
	}
	if args.First != nil {
		if *args.First < 0 || *args.First > MaxPageSize {
			return nil, errcode.New(errcode.BadInput, "first must be between 0 and %d", MaxPageSize)
		}
		end = min(end, start+int(*args.First))
	}
	if args.Last != nil {
		if *args.Last < 0 || *args.Last > MaxPageSize {
			return nil, errcode.New(errcode.BadInput, "last must be between 0 and %d", MaxPageSize)
		}
		start = max(start, end-int(*args.Last))
	}
	conn := &backfillConnection{total: total, info: &connectionPageInfo{}}
	if args.First == nil && args.Last == nil {
		end = min(end, start+50)
	}
	if start < end {
		opts.Offset, opts.Limit = start, end-start
		items, err := is.ListBackfillQueue(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			conn.nodes = append(conn.nodes, &backfillItem{r: r, it: it})
		}
		if len(items) > 0 {
			s, e := encodeCursor(int64(start)), encodeCursor(int64(start+len(items)-1))
			conn.info.start, conn.info.end = &s, &e
		}
		conn.info.next = start+len(items) < total
		conn.info.prev = start > 0
	}
	return conn, nil
}

type backfillConnection struct {
	nodes []*backfillItem
	total int
	info  *connectionPageInfo
}

func (c *backfillConnection) Nodes() []*backfillItem {
	if c.nodes == nil {
		return []*backfillItem{}
	}
	return c.nodes
}
func (c *backfillConnection) TotalCount() int32             { return int32(c.total) }
func (c *backfillConnection) PageInfo() *connectionPageInfo { return c.info }

type connectionPageInfo struct {
	start, end *string
	next, prev bool
}

func (p *connectionPageInfo) EndCursor() *string    { return p.end }
func (p *connectionPageInfo) StartCursor() *string  { return p.start }
func (p *connectionPageInfo) HasNextPage() bool     { return p.next }
func (p *connectionPageInfo) HasPreviousPage() bool { return p.prev }

func (r *Resolver) backfillAdmin(ctx context.Context, id graphql.ID, op func(is *store.InsightsStore, id int) error) (*backfillItem, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	n, err := unmarshalIntID(id, backfillItemKind)
	if err != nil {
		return nil, err
	}
	is := r.insightsStore()
	// Only backfills the queue shows (of live series): nothing is changed otherwise.
	if _, err := is.GetBackfillQueueItem(ctx, n); err != nil {
		return nil, storeErr(err)
	}
	if err := op(is, n); err != nil {
		if isNotFound(err) {
			return nil, storeErr(err)
		}
		return nil, errcode.Wrap(errcode.BadInput, err)
	}
	it, err := is.GetBackfillQueueItem(ctx, n)
	if err != nil {
		return nil, storeErr(err)
	}
	return &backfillItem{r: r, it: it}, nil
}

// RetryInsightSeriesBackfill queues a failed backfill again (site admins).
func (r *Resolver) RetryInsightSeriesBackfill(ctx context.Context, args struct{ ID graphql.ID }) (*backfillItem, error) {
	return r.backfillAdmin(ctx, args.ID, func(is *store.InsightsStore, id int) error { return is.RetryBackfill(ctx, id) })
}

// MoveInsightSeriesBackfillToFrontOfQueue makes a backfill the next to run (site admins).
func (r *Resolver) MoveInsightSeriesBackfillToFrontOfQueue(ctx context.Context, args struct{ ID graphql.ID }) (*backfillItem, error) {
	return r.backfillAdmin(ctx, args.ID, func(is *store.InsightsStore, id int) error { return is.MoveBackfill(ctx, id, true) })
}

// MoveInsightSeriesBackfillToBackOfQueue makes a backfill the last to run (site admins).
func (r *Resolver) MoveInsightSeriesBackfillToBackOfQueue(ctx context.Context, args struct{ ID graphql.ID }) (*backfillItem, error) {
	return r.backfillAdmin(ctx, args.ID, func(is *store.InsightsStore, id int) error { return is.MoveBackfill(ctx, id, false) })
}

type seriesMetadata struct{ s *store.InsightSeries }

func (m *seriesMetadata) SeriesID() string { return m.s.SeriesID }
func (m *seriesMetadata) Query() string    { return m.s.Query }
func (m *seriesMetadata) Enabled() bool    { return m.s.Enabled }

type seriesMetadataPayload struct{ s *store.InsightSeries }

func (p *seriesMetadataPayload) Series() *seriesMetadata { return &seriesMetadata{p.s} }

// UpdateInsightSeries turns a series' recording on or off (site admins).
func (r *Resolver) UpdateInsightSeries(ctx context.Context, args struct {
	Input struct {
		SeriesID string
		Enabled  *bool
	}
}) (*seriesMetadataPayload, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	is := r.insightsStore()
	if args.Input.Enabled == nil {
		s, err := is.GetSeriesBySeriesID(ctx, args.Input.SeriesID)
		if err != nil {
			return nil, storeErr(err)
		}
		return &seriesMetadataPayload{s}, nil
	}
	s, err := is.SetSeriesEnabled(ctx, args.Input.SeriesID, *args.Input.Enabled)
	if err != nil {
		return nil, storeErr(err)
	}
	return &seriesMetadataPayload{s}, nil
}

type seriesQueryStatus struct {
	s *store.InsightSeries
	c store.InsightsQueryJobCounts
}

func (q *seriesQueryStatus) SeriesID() string  { return q.s.SeriesID }
func (q *seriesQueryStatus) Query() string     { return q.s.Query }
func (q *seriesQueryStatus) Enabled() bool     { return q.s.Enabled }
func (q *seriesQueryStatus) Errored() int32    { return int32(q.c.Errored) }
func (q *seriesQueryStatus) Completed() int32  { return int32(q.c.Completed) }
func (q *seriesQueryStatus) Processing() int32 { return int32(q.c.Processing) }
func (q *seriesQueryStatus) Failed() int32     { return int32(q.c.Failed) }
func (q *seriesQueryStatus) Queued() int32     { return int32(q.c.Queued) }

// InsightSeriesQueryStatus lists every live series' recording jobs by state (site
// admins).
func (r *Resolver) InsightSeriesQueryStatus(ctx context.Context) ([]*seriesQueryStatus, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	series, err := r.insightsStore().ListSeries(ctx, store.SeriesListOptions{})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(series))
	for i, s := range series {
		ids[i] = s.SeriesID
	}
	counts, err := r.Store.InsightsQueryJobCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*seriesQueryStatus, len(series))
	for i, s := range series {
		st := &seriesQueryStatus{s: s}
		if c := counts[s.SeriesID]; c != nil {
			st.c = *c
		}
		out[i] = st
	}
	return out, nil
}

type insightViewDebug struct{ raw []string }

func (d *insightViewDebug) Raw() []string { return d.raw }

// InsightViewDebug dumps what is known about a view's series (site admins).
func (r *Resolver) InsightViewDebug(ctx context.Context, args struct{ ID graphql.ID }) (*insightViewDebug, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalIntID(args.ID, insightViewKind)
	if err != nil {
		return nil, err
	}
	is := r.insightsStore()
	if _, err := is.GetView(ctx, store.InsightsViewer{}, id, true); err != nil {
		return nil, storeErr(err)
	}
	series, err := is.ViewSeries(ctx, []int{id})
	if err != nil {
		return nil, err
	}
	out := &insightViewDebug{raw: []string{}}
	for _, vs := range series[id] {
		s := vs.Series
		doc := map[string]any{"series": s, "label": vs.Label}
		if bfs, err := is.LatestBackfills(ctx, []int{s.ID}); err == nil && bfs[s.ID] != nil {
			doc["backfill"] = bfs[s.ID]
			if it, err := is.GetBackfillQueueItem(ctx, bfs[s.ID].ID); err == nil {
				if it.Iterator != nil {
					it.Iterator.Repos = nil
				}
				doc["iterator"] = it.Iterator
				doc["repositoryErrors"] = it.Errors
			}
		}
		if times, err := is.RecordingTimes(ctx, []int{s.ID}); err == nil {
			doc["recordingTimes"] = times[s.ID]
		}
		if pts, err := is.IncompletePoints(ctx, []int{s.ID}); err == nil {
			doc["incompletePoints"] = pts
		}
		if counts, err := is.CountPoints(ctx, []int{s.ID}); err == nil {
			doc["storedPoints"] = counts[s.ID]
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		out.raw = append(out.raw, string(raw))
	}
	return out, nil
}
