package database

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector exports a pool's state, labelled pool="<name>": its size, the connections
// in use and idle, the acquires waiting now and the time acquires have waited in total. It
// reads the pool's counters only, never the database, so a scrape of it cannot hang.
func PoolCollector(name string, pool *pgxpool.Pool) prometheus.Collector {
	labels := prometheus.Labels{"pool": name}
	return &poolCollector{
		pool:     pool,
		max:      prometheus.NewDesc("lookout_db_pool_max_conns", "Size of the database pool.", nil, labels),
		inUse:    prometheus.NewDesc("lookout_db_pool_acquired_conns", "Connections of the pool in use.", nil, labels),
		idle:     prometheus.NewDesc("lookout_db_pool_idle_conns", "Idle connections of the pool.", nil, labels),
		waiting:  prometheus.NewDesc("lookout_db_pool_waiting", "Callers waiting for a connection of the pool now.", nil, labels),
		waitSecs: prometheus.NewDesc("lookout_db_pool_acquire_wait_seconds_total", "Time callers waited for a connection because none was idle.", nil, labels),
	}
}

type poolCollector struct {
	pool                                *pgxpool.Pool
	max, inUse, idle, waiting, waitSecs *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.max, c.inUse, c.idle, c.waiting, c.waitSecs} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	waiting := 0
	if w := watchOf(c.pool); w != nil {
		waiting = w.numWaiting()
	}
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(st.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(st.IdleConns()))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(c.waitSecs, prometheus.CounterValue, st.EmptyAcquireWaitTime().Seconds())
}
