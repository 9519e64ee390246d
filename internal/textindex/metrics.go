package textindex

import (
	"io"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"
)

// The build metrics: throughput is rate(content bytes) / rate(build seconds), per core
// since a build uses one.
var (
	builds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lookout_textindex_builds_total",
		Help: "Shard builds by result: built, current (the shard already held the commit) or failed.",
	}, []string{"result"})
	buildBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lookout_textindex_build_content_bytes_total",
		Help: "Bytes of source read by shard builds.",
	})
	buildSeconds = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lookout_textindex_build_seconds_total",
		Help: "Time spent building shards (one core each); rate(content bytes)/rate(this) is the throughput.",
	})
	indexBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lookout_textindex_build_index_bytes_total",
		Help: "Bytes of shards written by builds (against the content bytes: the index's share of the source).",
	})
	onDemandPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lookout_textindex_on_demand_pending",
		Help: "Repositories waiting for this process's on-demand shard build.",
	})
	searches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lookout_textindex_repository_searches_total",
		Help: "Repository content searches at the default branch, by where they were answered: index, or mirror (no current shard).",
	}, []string{"source"})
)

// Collectors are the package's metrics, for a binary's registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{builds, buildBytes, buildSeconds, indexBytes, onDemandPending, searches}
}

// CountSearches records repository searches answered from the index and over mirrors.
func CountSearches(indexed, unindexed int) {
	searches.WithLabelValues("index").Add(float64(indexed))
	searches.WithLabelValues("mirror").Add(float64(unindexed))
}

func recordBuild(res BuildResult, err error) {
	switch {
	case err != nil:
		builds.WithLabelValues("failed").Inc()
	case !res.Built:
		builds.WithLabelValues("current").Inc()
	default:
		builds.WithLabelValues("built").Inc()
		buildBytes.Add(float64(res.ContentBytes))
		indexBytes.Add(float64(res.IndexBytes))
		buildSeconds.Add(res.Duration.Seconds())
	}
}

// LogWriter is where the binaries send the standard library's log, which zoekt writes
// to (a line per shard built or loaded): into logger at debug level, so that it neither
// interleaves unstructured lines with the JSON logs nor is lost.
func LogWriter(logger log.Logger) io.Writer {
	return logWriter{logger.Scoped("zoekt")}
}

type logWriter struct{ logger log.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}
