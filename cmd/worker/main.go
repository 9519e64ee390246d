// Command worker runs Lookout's background routines: job queue workers (repository
// fetches, monitor triggers and actions, insight backfills, campaign steps and changesets)
// and periodic routines. Any number of workers may run against one database.
//
//	worker          run the routines WORKER_JOBS selects (default: all)
//	worker jobs     list the jobs WORKER_JOBS can select, with their queues
//	worker queues   list every queue with its default handlers and the variable that sizes it
//	worker env      list the environment variables it reads
//	worker help     show the usage (also -h, --help)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/background/codemonitors"
	"github.com/lookout/lookout/internal/background/routine"
	textindexbg "github.com/lookout/lookout/internal/background/textindex"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/logging"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/textindex"
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

const usage = `usage: worker [command]

Runs Lookout's background work against the database in DATABASE_URL. Any number of
workers may run against one database; WORKER_JOBS chooses what each one runs.

Commands:
  run      run the jobs WORKER_JOBS selects (the default)
  jobs     list the jobs WORKER_JOBS can select, with their queues
  queues   list every job queue, its default handlers and the variable that sizes it
  env      list the environment variables the worker reads, with their defaults
  help     show this text

See README.md, "Running more workers".
`

func main() {
	args := os.Args[1:]
	if code, done := command(args, os.Stdout, os.Stderr); done {
		os.Exit(code)
	}
	logger, flush := app.InitLogging("lookout-worker", "worker")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig()
	if err == nil {
		err = run(ctx, logger, cfg)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = nil // SIGTERM before start-up finished
		}
	}
	if err != nil {
		logger.Error("worker failed", log.Error(err))
		flush()
		os.Exit(1)
	}
	flush()
}

// command runs the commands that only print (help, env, jobs, queues), or rejects an
// unknown one; done is false for run, which main carries out.
func command(args []string, stdout, stderr io.Writer) (code int, done bool) {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "", "run":
		return 0, false
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	case "env":
		cfg, _ := loadConfig() // the values do not matter, only what is read
		declareJobEnv(cfg)
		logging.Declare()
		env.Print(stdout)
	case "jobs", "queues":
		cfg, _ := loadConfig()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		if cmd == "jobs" {
			fmt.Fprintln(tw, "JOB\tQUEUES\tWHAT IT DOES")
		} else {
			fmt.Fprintln(tw, "QUEUE\tJOB\tHANDLERS\tVARIABLE\tA JOB OF THE QUEUE")
		}
		for _, name := range jobNames() {
			qs, err := registry[name].queueInfo(cfg)
			if err != nil {
				fmt.Fprintf(stderr, "worker: %s: %v\n", name, err)
				return 1, true
			}
			names := []string{}
			for _, q := range qs {
				names = append(names, q.Name)
				if cmd == "queues" {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", q.Name, name, q.Handlers, q.Variable(), q.Description)
				}
			}
			if cmd == "jobs" {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", name, strings.Join(names, ","), registry[name].description)
			}
		}
		_ = tw.Flush()
	default:
		fmt.Fprintf(stderr, "worker: unknown command %q\n\n%s", cmd, usage)
		return 2, true
	}
	return 0, true
}

func run(ctx context.Context, logger log.Logger, cfg config) error {
	if err := hardenProcess(); err != nil {
		logger.Warn("could not make the worker non-dumpable; campaign steps may read its environment", log.Error(err))
	}
	selected, err := selectJobs(cfg.Jobs, cfg.DisableInsights)
	if err != nil {
		return err
	}
	// The pools are sized from what the selected jobs run (see routine.Need), before the
	// jobs are built on them.
	deps := &jobDeps{cfg: cfg}
	var needs []routine.Need
	for _, name := range selected {
		n, err := registry[name].needs(deps)
		if err != nil {
			return fmt.Errorf("job %s: %w", name, err)
		}
		needs = append(needs, n...)
	}
	if cfg.IndexOnDemand && len(cfg.ZoektEndpoints) == 0 {
		// The on-demand shard builder looks a repository's clone source up before a build.
		needs = append(needs, routine.PeriodicNeed("text-index-on-demand", false))
	}
	mainSize, insightsSize := routine.PoolSizes(needs)
	mainDB, insightsDB, err := cfg.Databases(ctx, "lookout-worker", logger, mainSize, insightsSize)
	if err != nil {
		return err
	}
	warnSmallPool(logger, "main", mainDB, mainSize)
	defer mainDB.Close()
	if insightsDB != nil {
		defer insightsDB.Close()
		warnSmallPool(logger, "insights", insightsDB, insightsSize)
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
	reg.MustRegister(database.PoolCollector("main", mainDB))
	if insightsDB != nil {
		reg.MustRegister(database.PoolCollector("insights", insightsDB))
	}
	reg.MustRegister(textindex.Collectors()...) // shard builds and index use
	hostname, _ := os.Hostname()
	listener := workerutil.NewListener(mainDB, logger.Scoped("listener"))
	deps.env = routine.Env{Logger: logger, DB: mainDB, Registry: reg, Listener: listener, Hostname: fmt.Sprintf("%s-%d", hostname, os.Getpid()), Metrics: routine.NewMetrics(reg)}
	deps.insightsDB = insightsDB
	if deps.notifier, err = notify.New(cfg.Notify); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	// Push-driven monitors: a fetch that changes a repository queues its monitors' runs.
	deps.changeListeners = append(deps.changeListeners, codemonitors.NewPushListener(logger).OnChange)
	deps.env.Registration = routine.NewRegistration(deps.env.Hostname, selected)
	// A fetch that moves a default branch queues a build of the repository's shard.
	deps.changeListeners = append(deps.changeListeners, textindexbg.ChangeListener)
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
	if deps.index != nil {
		defer deps.index.Close()
		if deps.index.OnDemand != nil {
			routines = append(routines, routine.Adapt("text-index-on-demand", deps.index.OnDemand))
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", httpapi.Healthz)
	ready := map[string]httpapi.Pinger{"database": database.Pinger(mainDB)}
	if insightsDB != nil {
		ready["insights database"] = database.Pinger(insightsDB)
	}
	mux.Handle("/readyz", httpapi.Readyz(ready))
	// A collector that fails (a queue's backlog cannot be read) is left out of the scrape
	// and counted; the rest is served. Each backlog read has workerutil.StatsTimeout.
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
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

// warnSmallPool says when a pool_max_conns in the URL made a pool smaller than what the
// routines may hold at once: they then wait for connections (they never deadlock), and
// waits longer than a few seconds are logged with the waiting routine's name.
func warnSmallPool(logger log.Logger, name string, pool *pgxpool.Pool, size database.Size) {
	if need := size.MaxConns - database.Headroom; pool.Config().MaxConns < need {
		logger.Warn("database pool is smaller than what the worker's routines may use at once; they will wait for connections",
			log.String("pool", name), log.Int32("maxConns", pool.Config().MaxConns), log.Int32("routinesMayUse", need))
	}
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
