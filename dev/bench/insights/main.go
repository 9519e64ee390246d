// Command insights benchmarks code insights, side by side and checked for equal answers:
//
//   - backfill: a 12-point monthly series over the corpus's repositories (dev/corpus, 50
//     by default), as the worker runs it (compression: one count per distinct commit;
//     the search executor's per-blob memo, persisted) against the naive plan (one full
//     search per repository per sample time, no memo). Both go through the same
//     Backfiller, database writes included; their points must be equal.
//   - read: a view of 20 series × 90 points over 1,000 repositories (1.8M points seeded
//     directly), read through the real HTTP GraphQL API as a user who may not see 10
//     private repositories (insightViews { dataSeries { points } }), against the same
//     aggregation done naively in SQL: the user's visible repositories from the main
//     database, then a sum of the raw points grouped by series and time.
//
// Every comparison alternates its two sides for -rounds rounds (at least 5) and prints
// min / median / max and the ratio (dev/bench/rounds): a backfill round is one backfill
// of each plan (fresh series, empty memo); a read round is -requests/-rounds requests of
// each side, its sample their median latency. Run it with
//
//	go run ./dev/bench/insights [-corpus /tmp/lookout-insights-corpus] [-repos 5] [-only backfill|read]
//
// The Postgres server comes from LOOKOUT_TEST_DATABASE_URL or DATABASE_URL, else the
// project's private cluster (dev/postgres.sh); scratch databases are dropped at the end.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/dev/bench/benchdb"
	"github.com/lookout/lookout/dev/bench/rounds"
	"github.com/lookout/lookout/dev/corpus/corpusgen"
	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/auth"
	insightsbg "github.com/lookout/lookout/internal/background/insights"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/insights"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/migrations"
)

func main() {
	corpusDir := flag.String("corpus", filepath.Join(os.TempDir(), "lookout-insights-corpus"), "corpus directory (generated when missing)")
	nrepos := flag.Int("repos", 5, "repositories of the backfill benchmark (the README's figures use 50)")
	flag.IntVar(&nrounds, "rounds", rounds.MinRounds, "rounds of each comparison (at least 5)")
	queries := flag.String("queries", "errors.New;/fmt\\.Errorf\\(\"[a-z]+ /", "queries of the backfill benchmark, ;-separated")
	concurrency := flag.Int("concurrency", 4, "repositories counted at once")
	only := flag.String("only", "", "run only backfill or read")
	naive := flag.Bool("naive", true, "also run the naive plan")
	flag.BoolVar(&oneByOne, "one-by-one", false, "count a repository's commits one at a time instead of in one pass")
	readRepos := flag.Int("read-repos", 1000, "repositories of the read benchmark")
	readSeries := flag.Int("read-series", 20, "series of the read benchmark's view")
	readPoints := flag.Int("read-points", 90, "points per series of the read benchmark")
	requests := flag.Int("requests", 100, "requests of the read benchmark")
	flag.BoolVar(&keep, "keep", false, "keep the scratch databases (their URLs are printed)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	ctx := context.Background()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		fatal(err)
		fatal(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	srv, err := benchdb.FindServer()
	fatal(err)
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d)\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	if *only == "" || *only == "backfill" {
		fatal(benchBackfill(ctx, srv, *corpusDir, *nrepos, strings.Split(*queries, ";"), *concurrency, *naive))
	}
	if *only == "" || *only == "read" {
		fatal(benchRead(ctx, srv, *readRepos, *readSeries, *readPoints, *requests))
	}
}

// benchBackfill runs each query's backfill naively and with compression and memo.
func benchBackfill(ctx context.Context, srv *url.URL, dir string, n int, queries []string, concurrency int, naive bool) error {
	repos, err := corpus(ctx, dir, n)
	if err != nil {
		return err
	}
	// The worker's pools, sized as it sizes them for the insights routines.
	mainSize, insightsSize := routine.PoolSizes(insightsbg.Needs(insightsbg.Options{}))
	mainDB, drop, err := benchdb.Scratch(ctx, srv, "insights", "main", migrations.Main(), mainSize, keep)
	if err != nil {
		return err
	}
	defer drop()
	insightsDB, drop2, err := benchdb.Scratch(ctx, srv, "insights", "insights", migrations.CodeInsights(), insightsSize, keep)
	if err != nil {
		return err
	}
	defer drop2()
	main, is := store.New(mainDB), store.New(insightsDB).Insights()

	var cfg []any
	var sourced []store.SourcedRepo
	for _, r := range repos {
		cfg = append(cfg, map[string]any{"url": r.Dir, "name": r.Name})
		sourced = append(sourced, store.SourcedRepo{Name: r.Name, CloneURL: r.Dir})
	}
	raw, _ := json.Marshal(map[string]any{"repos": cfg})
	svc, err := main.ExternalServices().Create(ctx, "GIT", "corpus", string(raw), time.Hour)
	if err != nil {
		return err
	}
	if _, err := main.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		return err
	}
	cache, err := vcs.NewCache(filepath.Join(dir, "mirrors"), vcs.Options{AllowLocal: true})
	if err != nil {
		return err
	}
	mirrors := &reposvc.Service{Store: main, VCS: cache, Logger: log.NoOp(), Credentials: app.CloneCredential}
	// Clone every mirror before the clock starts.
	all, err := main.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
	if err != nil {
		return err
	}
	start := time.Now()
	for _, r := range all {
		if _, err := mirrors.Mirror(ctx, r); err != nil {
			return err
		}
	}
	fmt.Printf("corpus: %d repositories in %s (mirrors ready in %s)\n", len(all), dir, time.Since(start).Round(time.Millisecond))

	opts := corpusgen.DefaultOptions()
	anchor := opts.Start.Add(opts.Span) // the end of the history: 12 months of it are sampled
	fmt.Printf("series: 12 monthly samples ending %s, %d repositories counted at once\n\n", anchor.Format(time.DateOnly), concurrency)
	for _, q := range queries {
		def := insights.SeriesDef{Query: q, Interval: insights.Interval{Unit: insights.Month, Value: 1}}
		var naiveRun, opt *run
		var memo *search.BlobCache
		sides := []rounds.Side{{Name: "compressed + memo", Run: func() error {
			// Every round starts from an empty memo, persisted or not.
			if _, err := mainDB.Exec(ctx, "TRUNCATE search_blob_counts"); err != nil {
				return err
			}
			memo = search.NewBlobCache(0, main)
			svc := search.NewService(main, mirrors, memo, nil, search.Options{})
			var err error
			opt, err = backfill(ctx, main, is, def, anchor, &insights.SearchSource{Search: svc, Mirrors: mirrors, Persist: true, OneByOne: oneByOne}, concurrency, false)
			return err
		}}}
		if naive {
			sides = append(sides, rounds.Side{Name: "naive", Run: func() error {
				svc := search.NewService(main, mirrors, nil, nil, search.Options{}) // no memo
				var err error
				naiveRun, err = backfill(ctx, main, is, def, anchor, &insights.SearchSource{Search: svc, Mirrors: mirrors}, concurrency, true)
				return err
			}})
		}
		c, err := rounds.Compare("insights", "backfill "+q, nrounds, sides...)
		if err != nil {
			return err
		}
		hits, misses := memo.Stats()
		c.Note = fmt.Sprintf("compressed: %s; %d blobs counted (%.0f per sample point), %d memo hits, %d misses", opt.summary(),
			memo.Len(), float64(memo.Len())/float64(opt.samples), hits, misses)
		if naiveRun != nil {
			c.Note += "\n    naive: " + naiveRun.summary()
			if !equalPoints(naiveRun.points, opt.points) {
				c.Note += fmt.Sprintf("\n    DIFFERENT POINTS: naive %v, compressed %v", naiveRun.points, opt.points)
			}
		}
		c.Report(os.Stdout)
		fmt.Println()
	}
	return nil
}

type run struct {
	wall                      time.Duration
	searches, reused, skipped int
	samples                   int
	points                    map[time.Time]float64
}

func (r *run) summary() string {
	perPoint := float64(r.searches) / float64(r.samples)
	return fmt.Sprintf("%d searches for %d sample points (%.2f per point; %d reused, %d before history)",
		r.searches, r.samples, perPoint, r.reused, r.skipped)
}

func equalPoints(a, b map[time.Time]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// backfill creates a series at anchor and runs its backfill to the end in this
// process, as the worker's handler does (turns of a minute), timing it.
func backfill(ctx context.Context, main *store.Store, is *store.InsightsStore, def insights.SeriesDef, anchor time.Time, src insights.Source, concurrency int, naive bool) (*run, error) {
	s := insights.NewSeries(def, anchor)
	if err := is.CreateSeries(ctx, s); err != nil {
		return nil, err
	}
	bf, err := is.CreateBackfill(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	b := &insights.Backfiller{Main: main, Insights: is, Source: src, RepoConcurrency: concurrency, Naive: naive, CountTimeout: time.Hour}
	start := time.Now()
	if err := b.Plan(ctx, bf); err != nil {
		return nil, err
	}
	for {
		if bf, err = is.GetBackfill(ctx, bf.ID); err != nil {
			return nil, err
		}
		done, err := b.Process(ctx, bf, time.Now().Add(time.Minute))
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	r := &run{wall: time.Since(start), points: map[time.Time]float64{}}
	if bf, err = is.GetBackfill(ctx, bf.ID); err != nil {
		return nil, err
	}
	it, err := is.GetIterator(ctx, *bf.RepoIteratorID)
	if err != nil {
		return nil, err
	}
	if n, _ := is.TerminalErrorCount(ctx, it.ID); n > 0 {
		return nil, fmt.Errorf("%d repositories failed", n)
	}
	r.searches, r.reused, r.skipped = it.Searches, it.PointsReused, it.PointsSkipped
	r.samples = len(it.Repos) * insights.DefaultSamples
	pts, err := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if err != nil {
		return nil, err
	}
	for _, p := range pts {
		r.points[p.Time] += p.Value
	}
	return r, nil
}

// corpus returns the first n repositories of the corpus, generating it when missing.
func corpus(ctx context.Context, dir string, n int) ([]corpusgen.Repo, error) {
	var out []corpusgen.Repo
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("repo-%03d", i)
		p := filepath.Join(dir, name+".git")
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(os.Stderr, "generating a corpus of %d repositories in %s\n", n, dir)
			opts := corpusgen.DefaultOptions()
			opts.Out, opts.Repos, opts.Log = dir, n, os.Stderr
			return corpusgen.Generate(ctx, opts)
		}
		out = append(out, corpusgen.Repo{Name: "corpus/" + name, Dir: p})
	}
	return out, nil
}

// benchRead seeds a view of series × points over repos and reads it through the API.
func benchRead(ctx context.Context, srv *url.URL, nrepos, nseries, npoints, requests int) error {
	// The frontend's pools, sized as it sizes them.
	mainSize, insightsSize := app.FrontendPoolSizes()
	mainDB, drop, err := benchdb.Scratch(ctx, srv, "insights", "main", migrations.Main(), mainSize, keep)
	if err != nil {
		return err
	}
	defer drop()
	insightsDB, drop2, err := benchdb.Scratch(ctx, srv, "insights", "insights", migrations.CodeInsights(), insightsSize, keep)
	if err != nil {
		return err
	}
	defer drop2()
	main, is := store.New(mainDB), store.New(insightsDB).Insights()

	const private = 10
	var sourced []store.SourcedRepo
	for i := 0; i < nrepos; i++ {
		sourced = append(sourced, store.SourcedRepo{Name: fmt.Sprintf("github.com/bench/repo-%04d", i), CloneURL: "/nonexistent", Private: i < private})
	}
	svc, err := main.ExternalServices().Create(ctx, "GIT", "bench", `{"repos":["/nonexistent"]}`, time.Hour)
	if err != nil {
		return err
	}
	if _, err := main.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		return err
	}
	repos, err := main.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{OrderBy: store.RepoOrderCreatedAt})
	if err != nil {
		return err
	}
	user, err := main.Users().Create(ctx, store.NewUser{Username: "reader", Email: "reader@example.com", EmailVerified: true})
	if err != nil {
		return err
	}
	token := auth.NewToken()
	if _, err := main.AccessTokens().Create(ctx, user.ID, user.ID, token, "bench", []string{auth.ScopeUserAll}); err != nil {
		return err
	}

	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
	}
	nameIDs, err := is.EnsureRepoNames(ctx, names)
	if err != nil {
		return err
	}
	anchor := time.Now().UTC().Truncate(time.Minute)
	iv := insights.Interval{Unit: insights.Day, Value: 1}
	times := insights.SampleTimes(anchor, iv, npoints)
	var links []store.ViewSeriesLink
	seedStart := time.Now()
	for si := 0; si < nseries; si++ {
		s := insights.NewSeries(insights.SeriesDef{Query: fmt.Sprintf("pattern%d", si), Interval: iv}, anchor)
		if err := is.CreateSeries(ctx, s); err != nil {
			return err
		}
		if err := is.AddRecordingTimes(ctx, s.ID, times); err != nil {
			return err
		}
		links = append(links, store.ViewSeriesLink{SeriesID: s.ID, Label: fmt.Sprintf("series %d", si)})
		rows := make([][]any, 0, len(repos)*len(times))
		for ri, r := range repos {
			for ti, t := range times {
				rows = append(rows, []any{s.ID, t, r.ID, nameIDs[r.Name], "", float64((ri*7+ti*3+si)%50 + 1)})
			}
		}
		if _, err := insightsDB.CopyFrom(ctx, pgx.Identifier{"series_points"}, []string{"series_id", "time", "repo_id", "repo_name_id", "capture", "value"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("seeding points: %w", err)
		}
	}
	uid := user.ID
	v := &store.InsightView{UniqueID: insights.NewUniqueID(), Title: "bench", PresentationType: "LINE"}
	if err := is.CreateView(ctx, v, links, []store.InsightGrant{{UserID: &uid}}, nil); err != nil {
		return err
	}
	for _, table := range []string{"series_points", "series_points_totals", "insight_series_recording_times"} {
		if _, err := insightsDB.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			return err
		}
	}
	var total int
	_ = insightsDB.QueryRow(ctx, "SELECT count(*) FROM series_points").Scan(&total)
	fmt.Printf("== read: %d series × %d points over %d repositories (%d stored points, seeded in %s) ==\n",
		nseries, npoints, nrepos, total, time.Since(seedStart).Round(time.Millisecond))

	deps := resolvers.Deps{Store: main, Logger: log.NoOp(), Insights: &resolvers.InsightsDeps{DB: insightsDB}}
	schema, err := resolvers.NewSchema(resolvers.New(deps), resolvers.DefaultLimits)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	handler := httpapi.NewRouter(httpapi.RouterDeps{Logger: log.NoOp(), Schema: schema, Auth: &auth.Authenticator{Store: main, Logger: log.NoOp()},
		MaxCost: httpapi.DefaultMaxCost, Gatherer: reg, Metrics: httpapi.NewMetrics(reg)})
	server := httptest.NewServer(handler)
	defer server.Close()

	query := func(filter string) []byte {
		q := `{ insightViews { nodes { id dataSeries { seriesId label points { dateTime value } } } } }`
		if filter != "" {
			q = `{ insightViews(filters: {includeRepoRegex: "` + filter + `"}) { nodes { id dataSeries { seriesId label points { dateTime value } } } } }`
		}
		body, _ := json.Marshal(map[string]any{"query": q})
		return body
	}
	do := func(body []byte) (time.Duration, []byte, error) {
		req, _ := http.NewRequest(http.MethodPost, server.URL+httpapi.GraphQLPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "token "+token)
		start := time.Now()
		resp, err := server.Client().Do(req)
		if err != nil {
			return 0, nil, err
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return time.Since(start), out, err
	}
	// Check the answer once: the private repositories are not counted.
	_, out, err := do(query(""))
	if err != nil {
		return err
	}
	var res struct {
		Data struct {
			InsightViews struct {
				Nodes []struct {
					DataSeries []struct {
						Points []struct{ Value float64 }
					}
				}
			}
		}
		Errors []any
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Errors) > 0 || len(res.Data.InsightViews.Nodes) != 1 {
		return fmt.Errorf("unexpected response: %.500s", out)
	}
	ds := res.Data.InsightViews.Nodes[0].DataSeries
	want := 0.0
	for ri := private; ri < len(repos); ri++ {
		want += float64((ri*7+(len(times)-1)*3+0)%50 + 1)
	}
	if len(ds) != nseries || len(ds[0].Points) != npoints || ds[0].Points[npoints-1].Value != want {
		return fmt.Errorf("wrong answer: %d series, %d points, newest %v (want %v)", len(ds), len(ds[0].Points), ds[0].Points[npoints-1].Value, want)
	}
	fmt.Printf("answer checked: %d series × %d points, %d private repositories left out; %d bytes\n", len(ds), len(ds[0].Points), private, len(out))
	viewer := store.Viewer{UserID: user.ID}
	seriesIDs := make([]int, len(links))
	for i, l := range links {
		seriesIDs[i] = l.SeriesID
	}
	// The naive read: the viewer's repositories, then the raw points summed per series
	// and time (no totals, no precomputed sums), filtered by name like includeRepoRegex.
	naive := func(filter string) (time.Duration, error) {
		start := time.Now()
		visible, err := main.Repos().List(ctx, viewer, store.RepoListOptions{})
		if err != nil {
			return 0, err
		}
		ids := make([]int64, len(visible))
		for i, r := range visible {
			ids[i] = r.ID
		}
		rows, err := insightsDB.Query(ctx, `SELECT sp.series_id, sp.time, sum(sp.value) FROM series_points sp
JOIN repo_names rn ON rn.id = sp.repo_name_id
WHERE sp.series_id = ANY($1) AND sp.repo_id = ANY($2) AND ($3 = '' OR rn.name ~ $3)
GROUP BY sp.series_id, sp.time ORDER BY 1, 2`, seriesIDs, ids, filter)
		if err != nil {
			return 0, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if filter == "" && n != nseries*npoints {
			return 0, fmt.Errorf("the naive read found %d points, want %d", n, nseries*npoints)
		}
		return time.Since(start), nil
	}
	per := max(1, requests/max(nrounds, rounds.MinRounds))
	for _, variant := range []struct{ name, filter string }{
		{"read insightViews { dataSeries { points } }", ""},
		{"read, includeRepoRegex of 10 repositories", "repo-000"},
		{"read, includeRepoRegex of half the repositories", "repo-0[0-4]"},
	} {
		body := query(variant.filter)
		for i := 0; i < 3; i++ {
			if _, _, err := do(body); err != nil {
				return err
			}
		}
		samples := make([][]float64, 2)
		side := func(i int, one func() (time.Duration, error)) error {
			var lat []float64
			for range per {
				d, err := one()
				if err != nil {
					return err
				}
				lat = append(lat, float64(d.Microseconds())/1000)
			}
			samples[i] = append(samples[i], rounds.StatsOf(lat).Median)
			return nil
		}
		api := func() (time.Duration, error) { d, _, err := do(body); return d, err }
		sql := func() (time.Duration, error) { return naive(variant.filter) }
		for r := range max(nrounds, rounds.MinRounds) {
			order := []int{0, 1}
			if r%2 == 1 {
				order = []int{1, 0}
			}
			for _, i := range order {
				if err := side(i, []func() (time.Duration, error){api, sql}[i]); err != nil {
					return err
				}
			}
		}
		c := rounds.Record("insights", variant.name, "ms", false, []string{"API (GraphQL, HTTP)", "naive SQL aggregation"}, samples)
		c.Note = fmt.Sprintf("each round's sample: the median of %d requests", per)
		c.Report(os.Stdout)
	}
	return nil
}

var (
	keep, oneByOne bool
	nrounds        int
)

func fatal(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
