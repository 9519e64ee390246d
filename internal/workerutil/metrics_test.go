package workerutil

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/database/dbtest"
)

// TestScrapeSurvivesFailingBacklogReads scrapes three queues as the worker serves
// /metrics: one healthy, one whose database refuses connections, one whose pool is
// exhausted (its read waits). The scrape answers 200 within its own deadline with the
// healthy queue's backlog and every other metric, and counts the two failed reads.
func TestScrapeSurvivesFailingBacklogReads(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	healthy := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.Name = "healthy" })

	// A database nobody listens on: a port that was free a moment ago.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	downDB, err := pgxpool.New(ctx, "postgres://postgres@"+addr+"/none?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer downDB.Close()
	down := newTestStore(t, downDB, func(o *StoreOptions[testJob]) { o.Name = "down" })

	_, url := dbtest.New(t, dbtest.Main)
	fullDB, err := database.Open(ctx, url, database.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer fullDB.Close()
	held, err := fullDB.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	full := newTestStore(t, fullDB, func(o *StoreOptions[testJob]) { o.Name = "exhausted" })

	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "lookout_other_total", Help: "Any other metric of the process."}))
	metrics := map[string]*Metrics{}
	for _, s := range []*Store[testJob]{healthy, down, full} {
		m, err := NewMetrics(reg, s.Name(), s.QueueStats)
		if err != nil {
			t.Fatal(err)
		}
		metrics[s.Name()] = m
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	defer srv.Close()

	start := time.Now()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	t.Logf("scrape took %s", took)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape answered %d:\n%s", resp.StatusCode, body)
	}
	if took > StatsTimeout+time.Second {
		t.Fatalf("scrape took %s, want at most about StatsTimeout (%s)", took, StatsTimeout)
	}
	for _, want := range []string{`lookout_workerutil_queue_depth{queue="healthy"} 0`, "lookout_other_total 0", `lookout_workerutil_jobs_total{outcome="completed",queue="down"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %q:\n%s", want, body)
		}
	}
	for _, bad := range []string{`queue_depth{queue="down"}`, `queue_depth{queue="exhausted"}`} {
		if strings.Contains(string(body), bad) {
			t.Errorf("scrape has a backlog that could not be read: %s", bad)
		}
	}
	for name, want := range map[string]float64{"healthy": 0, "down": 1, "exhausted": 1} {
		if got := testutil.ToFloat64(metrics[name].errors.WithLabelValues("stats")); got != want {
			t.Errorf("stats errors of %s = %v, want %v", name, got, want)
		}
	}
}
