package resolvers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
)

// InsightsExportPattern is the route of a view's CSV export; {viewId} is the view's
// GraphQL ID (or its unique id).
const InsightsExportPattern = "GET /.api/insights/export/{viewId}"

var unsafeFilename = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// InsightsExportHandler serves every stored point of a view as CSV (title, label,
// query, recording_time, repository, value, capture), one row per repository, time
// and captured value — only repositories the caller may see.
func (r *Resolver) InsightsExportHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		if r.Insights == nil {
			errcode.WriteHTTP(w, http.StatusNotFound, errcode.NotFound, "code insights are disabled")
			return
		}
		ireq, err := r.newInsightsRequest(ctx)
		if err != nil {
			errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, err.Error())
			return
		}
		is := r.insightsStore()
		raw := req.PathValue("viewId")
		opts := store.ViewListOptions{UniqueID: raw}
		if id, err := unmarshalIntID(graphql.ID(raw), insightViewKind); err == nil {
			opts = store.ViewListOptions{ID: id}
		}
		views, err := is.ListViews(ctx, ireq.viewer, opts)
		if err != nil {
			errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "reading the view failed")
			return
		}
		if len(views) == 0 {
			errcode.WriteHTTP(w, http.StatusNotFound, errcode.NotFound, fmt.Sprintf("insight view %q not found", raw))
			return
		}
		v := views[0]
		series, err := is.ViewSeries(ctx, []int{v.ID})
		if err != nil {
			errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "reading the view's series failed")
			return
		}
		access, err := insights.Access(ctx, r.Store, auth.FromContext(ctx).Viewer(), insights.Filters{})
		if err != nil {
			errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "reading permissions failed")
			return
		}
		byID := map[int]*store.ViewSeries{}
		var ids []int
		for _, s := range series[v.ID] {
			if byID[s.Series.ID] == nil {
				ids = append(ids, s.Series.ID)
			}
			byID[s.Series.ID] = s
		}
		name := unsafeFilename.ReplaceAllString(v.Title, "-")
		if name == "" || name == "-" {
			name = "insight"
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"title", "label", "query", "recording_time", "repository", "value", "capture"})
		if len(ids) > 0 {
			err = is.ExportPoints(ctx, ids, access, func(row store.ExportRow) error {
				s := byID[row.SeriesID]
				return cw.Write([]string{v.Title, s.Label, s.Series.Query, row.Time.UTC().Format(time.RFC3339), row.RepoName,
					strconv.FormatFloat(row.Value, 'f', -1, 64), row.Capture})
			})
		}
		cw.Flush()
		if err != nil {
			// The status is sent; the truncated file is all a client gets.
			r.Logger.Error("insights export failed midway", log.String("view", v.UniqueID), log.Error(err))
		}
	})
}
