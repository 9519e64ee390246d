package workerutil

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lookout/lookout/internal/database"
)

// Outcomes of a dequeued job, the outcome label of lookout_workerutil_jobs_total.
const (
	outcomeCompleted = "completed"
	outcomeErrored   = "errored"
	outcomeFailed    = "failed"
	outcomeCanceled  = "canceled"
	outcomeRequeued  = "requeued"
	outcomeReleased  = "released" // given back on shutdown
	outcomeLost      = "lost"     // reset or taken by another worker while running
)

// Metrics are the Prometheus metrics of one queue, all labelled queue="<name>". A nil
// *Metrics records nothing.
type Metrics struct {
	jobs          *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	handlersInUse prometheus.Gauge
	resets        *prometheus.CounterVec
	errors        *prometheus.CounterVec
}

// QueueStatsFunc reads a queue's backlog at scrape time; Store.QueueStats is one.
type QueueStatsFunc func(ctx context.Context) (QueueStats, error)

// NewMetrics registers the metrics of queue on reg. With stats set, the backlog (ready and
// waiting jobs, age of the oldest ready job) is read from the database at each scrape.
// Registering the same queue twice on one registry is an error.
func NewMetrics(reg prometheus.Registerer, queue string, stats QueueStatsFunc) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("workerutil: NewMetrics for %s needs a registerer", queue)
	}
	r := prometheus.WrapRegistererWith(prometheus.Labels{"queue": queue}, reg)
	m := &Metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lookout_workerutil_jobs_total",
			Help: "Dequeued jobs by outcome (completed, errored, failed, canceled, requeued, released, lost).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lookout_workerutil_handler_duration_seconds",
			Help:    "Time a handler spent on a job, by outcome.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 15, 60, 300, 1800},
		}, []string{"outcome"}),
		handlersInUse: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lookout_workerutil_handlers_in_use",
			Help: "Handlers running a job right now.",
		}),
		resets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lookout_workerutil_resets_total",
			Help: "Stalled jobs handled by the resetter, by result (reset, failed, canceled).",
		}, []string{"result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lookout_workerutil_errors_total",
			Help: "Database errors of the queue machinery, by operation (stats: a scrape could not read the backlog).",
		}, []string{"op"}),
	}
	for _, o := range []string{outcomeCompleted, outcomeErrored, outcomeFailed, outcomeCanceled, outcomeRequeued, outcomeReleased, outcomeLost} {
		m.jobs.WithLabelValues(o)
	}
	for _, r := range []string{"reset", "failed", "canceled"} {
		m.resets.WithLabelValues(r)
	}
	collectors := []prometheus.Collector{m.jobs, m.duration, m.handlersInUse, m.resets, m.errors}
	if stats != nil {
		collectors = append(collectors, newStatsCollector(stats, m.errors.WithLabelValues("stats")))
	}
	for _, c := range collectors {
		if err := r.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics of queue %s: %w", queue, err)
		}
	}
	return m, nil
}

func (m *Metrics) job(outcome string, n int) {
	if m != nil && n > 0 {
		m.jobs.WithLabelValues(outcome).Add(float64(n))
	}
}

func (m *Metrics) handled(outcome string, d time.Duration) {
	if m != nil {
		m.duration.WithLabelValues(outcome).Observe(d.Seconds())
	}
}

func (m *Metrics) inUse(delta int) {
	if m != nil {
		m.handlersInUse.Add(float64(delta))
	}
}

func (m *Metrics) reset(res ResetResult) {
	if m != nil {
		m.resets.WithLabelValues("reset").Add(float64(len(res.Reset)))
		m.resets.WithLabelValues("failed").Add(float64(len(res.Failed)))
		m.resets.WithLabelValues("canceled").Add(float64(len(res.Canceled)))
	}
}

func (m *Metrics) error(op string) {
	if m != nil {
		m.errors.WithLabelValues(op).Inc()
	}
}

// StatsTimeout bounds the backlog read of one scrape. A scrape reads every queue's
// backlog at once, so it answers within about this long however many queues there are.
const StatsTimeout = time.Second

// statsCollector reads the backlog when scraped rather than on a timer, so an idle process
// does no work and a scrape always sees fresh numbers. When the read fails (the database
// is down, the pool is exhausted) the backlog is left out of that scrape and the failure
// counted: the process's other metrics are most needed exactly then.
type statsCollector struct {
	stats                   QueueStatsFunc
	failures                prometheus.Counter
	ready, waiting, oldestS *prometheus.Desc
}

func newStatsCollector(stats QueueStatsFunc, failures prometheus.Counter) *statsCollector {
	return &statsCollector{
		stats:    stats,
		failures: failures,
		ready:    prometheus.NewDesc("lookout_workerutil_queue_depth", "Jobs ready to run now.", nil, nil),
		waiting:  prometheus.NewDesc("lookout_workerutil_queue_waiting", "Queued and errored jobs, including those scheduled for later.", nil, nil),
		oldestS:  prometheus.NewDesc("lookout_workerutil_queue_oldest_age_seconds", "Time the oldest ready job has been queued.", nil, nil),
	}
}

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.ready
	ch <- c.waiting
	ch <- c.oldestS
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(database.WithCaller(context.Background(), "metrics scrape"), StatsTimeout)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		c.failures.Inc()
		return
	}
	ch <- prometheus.MustNewConstMetric(c.ready, prometheus.GaugeValue, float64(st.Ready))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(st.Waiting))
	ch <- prometheus.MustNewConstMetric(c.oldestS, prometheus.GaugeValue, st.OldestReady.Seconds())
}
