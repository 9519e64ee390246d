// Command worker runs Lookout's background routines: job queue workers (repository
// fetches, monitor triggers and actions, insight backfills, campaign steps and changesets)
// and periodic routines. Any number of workers may run against one database.
//
//	worker        run the routines WORKER_JOBS selects (default: all)
//	worker env    list the environment variables it reads
//	worker jobs   list the jobs it knows
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/background/codemonitors"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
	"github.com/lookout/lookout/migrations"
)

type config struct {
	app.Config
	Jobs            []string
	Addr            string
	ShutdownTimeout time.Duration
	// Notify is how monitor notifications are sent (SMTP_*, WEBHOOK_*).
	Notify       notify.Config
	CodeMonitors codeMonitorsConfig
}

func loadConfig() (config, error) {
	c := config{
		Config:          app.LoadConfig(),
		Jobs:            env.List("WORKER_JOBS", "all", "Comma-separated jobs this worker runs (see `worker jobs`), or all."),
		Addr:            env.Get("WORKER_ADDR", ":3081", "Address of the worker's /healthz, /readyz and /metrics."),
		ShutdownTimeout: env.Duration("WORKER_SHUTDOWN_TIMEOUT", 30*time.Second, "On SIGTERM: how long running jobs may finish before they are handed back to the queue."),
	}
	var notifyErr error
	c.Notify, notifyErr = notify.ConfigFromEnv(env.Get)
	c.CodeMonitors = loadCodeMonitorsConfig()
	return c, errors.Join(c.Check(), notifyErr)
}

func main() {
	liblog := log.Init(log.Resource{Name: "lookout-worker"})
	defer liblog.Sync()
	logger := log.Scoped("worker")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := ""
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	cfg, cfgErr := loadConfig()
	var err error
	switch cmd {
	case "", "run":
		if err = cfgErr; err == nil {
			err = run(ctx, logger, cfg)
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				err = nil // SIGTERM before start-up finished
			}
		}
	case "env":
		declareJobEnv()
		env.Print(os.Stdout)
	case "jobs":
		for _, name := range jobNames() {
			fmt.Printf("%-20s %s\n", name, registry[name].description)
		}
	default:
		err = fmt.Errorf("unknown command %q (try: run, env, jobs)", cmd)
	}
	if err != nil {
		logger.Error("worker failed", log.Error(err))
		liblog.Sync()
		os.Exit(1)
	}
}

func run(ctx context.Context, logger log.Logger, cfg config) error {
	if err := hardenProcess(); err != nil {
		logger.Warn("could not make the worker non-dumpable; campaign steps may read its environment", log.Error(err))
	}
	selected, err := selectJobs(cfg.Jobs, cfg.DisableInsights)
	if err != nil {
		return err
	}
	mainDB, insightsDB, err := cfg.Databases(ctx, "lookout-worker")
	if err != nil {
		return err
	}
	defer mainDB.Close()
	if insightsDB != nil {
		defer insightsDB.Close()
	}
	logf := func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }
	if err := database.WaitForSchema(ctx, mainDB, migrations.Main(), logf); err != nil {
		return err
	}
	if insightsDB != nil {
		if err := database.WaitForSchema(ctx, insightsDB, migrations.CodeInsights(), logf); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(vcs.Collectors()...) // git commands and blob reads of the mirror cache
	hostname, _ := os.Hostname()
	listener := workerutil.NewListener(mainDB, logger.Scoped("listener"))
	deps := &jobDeps{
		cfg:        cfg,
		env:        routine.Env{Logger: logger, DB: mainDB, Registry: reg, Listener: listener, Hostname: fmt.Sprintf("%s-%d", hostname, os.Getpid()), Metrics: routine.NewMetrics(reg)},
		insightsDB: insightsDB,
	}
	if deps.notifier, err = notify.New(cfg.Notify); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	// Push-driven monitors: a fetch that changes a repository queues its monitors' runs.
	deps.changeListeners = append(deps.changeListeners, codemonitors.NewPushListener(cfg.Store(mainDB), logger).OnChange)
	deps.env.Registration = routine.NewRegistration(deps.env.Hostname, selected)
	routines := []routine.Routine{routine.Adapt("queue-listener", listener)}
	for _, name := range selected {
		rs, err := registry[name].build(ctx, deps)
		if err != nil {
			return fmt.Errorf("starting job %s: %w", name, err)
		}
		routines = append(routines, rs...)
	}
	// Last, so the heartbeat reports every queue (the site admin's background jobs page).
	routines = append(routines, routine.NewHeartbeat(deps.env, routine.HeartbeatInterval))
	if err := env.Check(); err != nil { // the jobs read their own settings
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", httpapi.Healthz)
	ready := map[string]httpapi.Pinger{"database": mainDB.Ping}
	if insightsDB != nil {
		ready["insights database"] = insightsDB.Ping
	}
	mux.Handle("/readyz", httpapi.Readyz(ready))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: cfg.Addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("health server", log.Error(err))
		}
	}()
	defer srv.Close()

	logger.Info("worker running", log.Strings("jobs", selected), log.String("addr", cfg.Addr))
	return routine.Run(ctx, logger, routines, cfg.ShutdownTimeout)
}

func selectJobs(requested []string, insightsDisabled bool) ([]string, error) {
	var out []string
	for _, name := range requested {
		if name == "all" {
			for _, n := range jobNames() {
				if insightsDisabled && registry[n].needsInsights {
					continue
				}
				out = append(out, n)
			}
			continue
		}
		j, ok := registry[name]
		if !ok {
			return nil, fmt.Errorf("WORKER_JOBS: unknown job %q (known: %s)", name, strings.Join(jobNames(), ", "))
		}
		if insightsDisabled && j.needsInsights {
			return nil, fmt.Errorf("WORKER_JOBS: job %q needs code insights, which DISABLE_CODE_INSIGHTS turns off", name)
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return dedupe(out), nil
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func jobNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
