package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
)

// Metrics are the HTTP server's Prometheus metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lookout_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lookout_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Instrument logs and measures every request to a route, and turns a handler panic into
// a 500 response instead of a dropped connection.
func Instrument(logger log.Logger, metrics *Metrics, route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		var opName string
		r = r.WithContext(context.WithValue(r.Context(), opNameKey{}, &opName))
		defer func() {
			if p := recover(); p != nil {
				logger.Error("panic in HTTP handler", log.String("route", route), log.String("panic", fmt.Sprint(p)))
				if rec.status == 0 {
					errcode.WriteHTTP(rec, http.StatusInternalServerError, errcode.Internal, "internal server error")
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			elapsed := time.Since(start)
			if metrics != nil {
				metrics.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
				metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
			}
			fields := []log.Field{
				log.String("method", r.Method), log.String("path", r.URL.Path), log.Int("status", rec.status),
				log.Duration("duration", elapsed), log.Int("bytes", rec.bytes), log.String("actor", auth.FromContext(r.Context()).String()),
			}
			if opName != "" {
				fields = append(fields, log.String("operation", opName))
			}
			if rec.status >= 500 {
				logger.Warn("request", fields...)
			} else {
				logger.Debug("request", fields...)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// Pinger checks a dependency for /readyz.
type Pinger func(ctx context.Context) error

// Healthz answers liveness: the process serves HTTP.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers readiness: every dependency answers within 2 seconds.
func Readyz(checks map[string]Pinger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, body := http.StatusOK, ""
		for name, ping := range checks {
			if err := ping(ctx); err != nil {
				status = http.StatusServiceUnavailable
				body += fmt.Sprintf("%s: %v\n", name, err)
			} else {
				body += name + ": ok\n"
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}
