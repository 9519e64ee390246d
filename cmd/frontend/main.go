// Command frontend serves Lookout's GraphQL API, API console, webhooks and health
// endpoints, and applies database migrations at start-up. It never runs background work;
// that is the worker's job.
//
//	frontend                      serve (migrating first)
//	frontend migrate [-down N]    apply migrations (or revert to version N) and exit
//	frontend admin create-token --user NAME [--note TEXT]
//	frontend env                  list the environment variables it reads
//	frontend help                 show the usage (also -h, --help)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/logging"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/throttle"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/webapp"
	"github.com/lookout/lookout/internal/webhooks"
	"github.com/lookout/lookout/migrations"
)

type config struct {
	app.Config
	Addr            string
	AdminUsername   string
	AdminPassword   string
	AdminEmail      string
	MaxDepth        int
	MaxCost         int
	MaxExpensive    int
	SearchPerUser   int
	SearchWait      time.Duration
	WebhookBytes    int
	SecureCookies   bool
	ShutdownTimeout time.Duration
	// Notify sends code monitor test actions and checks their URLs.
	Notify notify.Config
}

func loadConfig() (config, error) {
	c := config{
		Config:          app.LoadConfig(),
		Addr:            env.Get("FRONTEND_ADDR", ":3080", "Address the frontend listens on."),
		AdminUsername:   env.Get("ADMIN_USERNAME", "admin", "Username of the site admin created on first start."),
		AdminPassword:   env.Get("ADMIN_PASSWORD", "", "Password of that site admin; generated and printed once when empty."),
		AdminEmail:      env.Get("ADMIN_EMAIL", "", "Email address of that site admin."),
		MaxDepth:        env.Int("GRAPHQL_MAX_DEPTH", resolvers.DefaultLimits.MaxDepth, "Maximum field nesting depth of a GraphQL query."),
		MaxCost:         env.Int("GRAPHQL_MAX_COST", httpapi.DefaultMaxCost, "Maximum estimated cost (objects resolved, page sizes multiplied) of a GraphQL operation; 0 disables."),
		MaxExpensive:    env.Int("GRAPHQL_MAX_EXPENSIVE_FIELDS", httpapi.DefaultMaxExpensiveFields, "Searches, insight previews and campaign plans from specs one GraphQL operation may run (aliases and fragments included)."),
		SearchPerUser:   env.Int("SEARCH_CONCURRENCY_PER_USER", throttle.DefaultPerUser, "Searches, insight previews and campaign repository queries one user runs at once in this frontend; more wait for a turn."),
		SearchWait:      env.Duration("SEARCH_CONCURRENCY_WAIT", throttle.DefaultWait, "How long such an operation waits for one of its user's turns before failing with RATE_LIMITED."),
		WebhookBytes:    env.Int("WEBHOOKS_MAX_BYTES_IN_FLIGHT", webhooks.DefaultBytesInFlight, "Bytes of incoming code host webhook deliveries read at once (all requests together); deliveries beyond get 503 with Retry-After. At least 25 MiB, the largest delivery."),
		SecureCookies:   env.Bool("SECURE_COOKIES", false, "Mark session cookies Secure (set when served over HTTPS)."),
		ShutdownTimeout: env.Duration("SHUTDOWN_TIMEOUT", 10*time.Second, "How long in-flight requests get to finish on SIGTERM."),
	}
	var notifyErr error
	c.Notify, notifyErr = notify.ConfigFromEnv(env.Get)
	return c, errors.Join(c.Check(), notifyErr)
}

const usage = `usage: frontend [command]

Serves Lookout's GraphQL API, API console and webhooks against the database in
DATABASE_URL, applying its migrations first.

Commands:
  serve                                    serve (the default)
  migrate [-down N]                        apply the migrations (or revert to version N) and exit
  admin create-token --user NAME [--note TEXT]
                                           print a new access token of the user (run it with
                                           the server's environment; for make run's database:
                                           make token)
  env                                      list the environment variables it reads, with defaults
  help                                     show this text
`

func main() {
	args := os.Args[1:]
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	// A command's flags are checked before anything else, so -h works anywhere.
	var margs migrateArgs
	var aargs adminArgs
	var argErr error
	switch cmd {
	case "", "serve":
	case "migrate":
		margs, argErr = parseMigrate(args)
	case "admin":
		aargs, argErr = parseAdmin(args)
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	case "env":
		_, _ = loadConfig() // the values do not matter, only what is read
		logging.Declare()
		env.Print(os.Stdout)
		return
	default:
		fmt.Fprintf(os.Stderr, "frontend: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(argErr, flag.ErrHelp) {
		return // the flag package printed the command's usage
	}
	if argErr != nil {
		fmt.Fprintln(os.Stderr, "frontend:", argErr)
		os.Exit(2)
	}
	logger, flush := app.InitLogging("lookout-frontend", "frontend")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig()
	if err == nil {
		switch cmd {
		case "", "serve":
			err = serve(ctx, logger, cfg)
		case "migrate":
			err = migrate(ctx, logger, cfg, margs)
		case "admin":
			err = admin(ctx, cfg, aargs)
		}
	}
	if err != nil {
		logger.Error("frontend failed", log.Error(err))
		flush()
		os.Exit(1)
	}
	flush()
}

// applyMigrations migrates both databases: each migration at debug level, the outcome
// in one line.
func applyMigrations(ctx context.Context, logger log.Logger, cfg config, mainDB, insightsDB *pgxpool.Pool) error {
	applied := 0
	logf := func(format string, args ...any) {
		applied++
		logger.Debug(fmt.Sprintf(format, args...))
	}
	if err := database.MigrateFS(ctx, mainDB, migrations.Main(), logf); err != nil {
		return fmt.Errorf("migrating main database: %w", err)
	}
	if err := app.UpgradeStoredSecrets(ctx, cfg.Store(mainDB), logger); err != nil {
		return fmt.Errorf("upgrading stored secrets: %w", err)
	}
	if insightsDB != nil {
		if err := database.MigrateFS(ctx, insightsDB, migrations.CodeInsights(), logf); err != nil {
			return fmt.Errorf("migrating insights database: %w", err)
		}
	}
	if applied > 0 {
		logger.Info("databases migrated", log.Int("migrations", applied))
	}
	return nil
}

func serve(ctx context.Context, logger log.Logger, cfg config) error {
	mainSize, insightsSize := app.FrontendPoolSizes()
	mainDB, insightsDB, err := cfg.Databases(ctx, "lookout-frontend", logger, mainSize, insightsSize)
	if err != nil {
		return err
	}
	defer mainDB.Close()
	if insightsDB != nil {
		defer insightsDB.Close()
	}
	if err := applyMigrations(ctx, logger, cfg, mainDB, insightsDB); err != nil {
		return err
	}

	st := cfg.Store(mainDB)
	created, generated, err := auth.EnsureSiteAdmin(ctx, st, cfg.AdminUsername, cfg.AdminPassword, cfg.AdminEmail)
	if err != nil {
		return fmt.Errorf("creating the first site admin: %w", err)
	}
	if created {
		logger.Info("created site admin", log.String("username", cfg.AdminUsername))
		if generated != "" {
			// Printed once, on the terminal, so the operator can sign in; never logged again.
			fmt.Fprintf(os.Stderr, "\n  Site admin %q created with password: %s\n  (set ADMIN_PASSWORD to choose it; change it with the updatePassword mutation)\n\n", cfg.AdminUsername, generated)
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(vcs.Collectors()...)       // git commands and blob reads of the mirror cache
	reg.MustRegister(textindex.Collectors()...) // on-demand shard builds and index use

	cache, err := cfg.VCS(logger)
	if err != nil {
		return fmt.Errorf("opening the mirror cache: %w", err)
	}
	notifier, err := notify.New(cfg.Notify)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	repoSvc := cfg.Repos(st, cache, logger)
	// The search index: the shards of INDEX_DIR (built by index jobs when the worker shares
	// the directory, and by this process on demand when it does not) or ZOEKT_ENDPOINTS.
	index, err := cfg.SearchIndex(st, repoSvc, logger)
	if err != nil {
		return fmt.Errorf("opening the search index: %w", err)
	}
	defer index.Close()
	if index.OnDemand != nil {
		// Like a clone on demand, the shards this process's searches miss are built
		// here: one at a time, in the background, stopped at shutdown.
		index.OnDemand.Start(ctx)
		defer func() { _ = index.OnDemand.Stop(context.Background()) }()
	}
	// One search service for the API and live previews; its blob cache is in memory only
	// (the frontend persists nothing).
	searchSvc := search.NewService(st, repoSvc, search.NewBlobCache(200_000, nil), logger.Scoped("search"), index.SearchOptions(search.Options{}))
	deps := resolvers.Deps{Store: st, Logger: logger.Scoped("resolvers"), ExternalURL: cfg.ExternalURL, Repos: repoSvc, Notifier: notifier, Search: searchSvc,
		Expensive: throttle.NewGate(cfg.SearchPerUser, cfg.SearchWait)}
	if insightsDB != nil {
		deps.Insights = &resolvers.InsightsDeps{DB: insightsDB, Source: &insights.SearchSource{Search: searchSvc, Mirrors: repoSvc}}
	}
	root := resolvers.New(deps)
	var extra map[string]http.Handler
	if insightsDB != nil {
		extra = map[string]http.Handler{resolvers.InsightsExportPattern: root.InsightsExportHandler()}
	}
	schema, err := resolvers.NewSchema(root, resolvers.Limits{MaxDepth: cfg.MaxDepth})
	if err != nil {
		return fmt.Errorf("parsing GraphQL schema: %w", err)
	}
	ready := map[string]httpapi.Pinger{"database": database.Pinger(mainDB)}
	if insightsDB != nil {
		ready["insights database"] = database.Pinger(insightsDB)
	}
	handler := httpapi.NewRouter(httpapi.RouterDeps{
		Logger:             logger.Scoped("http"),
		Schema:             schema,
		Auth:               &auth.Authenticator{Store: st, Logger: logger.Scoped("auth"), SecureCookies: cfg.SecureCookies},
		MaxCost:            float64(cfg.MaxCost),
		MaxExpensiveFields: cfg.MaxExpensive,
		Ready:              ready,
		Gatherer:           reg,
		Metrics:            httpapi.NewMetrics(reg),
		Webhooks:           &webhooks.Handler{Store: st, Logger: logger.Scoped("webhooks"), ChangesetEvents: campaigns.WebhookHandler(st)},
		Extra:              extra,
		App:                webapp.Handler(webapp.App()),
	})
	if !webapp.Installed() {
		logger.Warn("the web app is not built into this binary (make web); / explains how to build it")
	}

	srv := &http.Server{Addr: cfg.Addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("frontend listening", log.String("addr", cfg.Addr), log.String("console", cfg.ExternalURL+httpapi.ConsolePath))

	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// migrateArgs are migrate's flags.
type migrateArgs struct{ down int }

func parseMigrate(args []string) (migrateArgs, error) {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	down := fs.Int("down", -1, "revert the main database's migrations newer than this version")
	err := fs.Parse(args)
	return migrateArgs{down: *down}, err
}

func migrate(ctx context.Context, logger log.Logger, cfg config, a migrateArgs) error {
	down := &a.down
	mainDB, insightsDB, err := cfg.Databases(ctx, "lookout-frontend", logger, database.Size{MaxConns: 2, SizedFrom: "migrations run on one connection"}, database.Size{MaxConns: 2, SizedFrom: "migrations run on one connection"})
	if err != nil {
		return err
	}
	defer mainDB.Close()
	if insightsDB != nil {
		defer insightsDB.Close()
	}
	if *down >= 0 {
		migs, err := database.LoadMigrations(migrations.Main())
		if err != nil {
			return err
		}
		reverted, err := (&database.Migrator{Pool: mainDB, Migrations: migs, Logf: func(f string, a ...any) { logger.Info(fmt.Sprintf(f, a...)) }}).Down(ctx, *down)
		logger.Info("reverted migrations", log.Int("count", len(reverted)))
		return err
	}
	return applyMigrations(ctx, logger, cfg, mainDB, insightsDB)
}

// adminArgs are admin create-token's flags.
type adminArgs struct{ user, note string }

func parseAdmin(args []string) (adminArgs, error) {
	if len(args) == 0 || args[0] != "create-token" {
		return adminArgs{}, errors.New("usage: frontend admin create-token --user NAME [--note TEXT] (with the server's environment; for make run's database: make token)")
	}
	fs := flag.NewFlagSet("create-token", flag.ContinueOnError)
	user := fs.String("user", "", "username the token acts as")
	note := fs.String("note", "created with frontend admin create-token", "what the token is for")
	if err := fs.Parse(args[1:]); err != nil {
		return adminArgs{}, err
	}
	if *user == "" {
		return adminArgs{}, errors.New("--user is required")
	}
	return adminArgs{user: *user, note: *note}, nil
}

func admin(ctx context.Context, cfg config, a adminArgs) error {
	user, note := &a.user, &a.note
	mainDB, err := database.Open(ctx, cfg.DatabaseURL, database.Options{ApplicationName: "lookout-admin"})
	if err != nil {
		return err
	}
	defer mainDB.Close()
	token, err := auth.CreateTokenForUser(ctx, cfg.Store(mainDB), *user, *note)
	if err != nil {
		return fmt.Errorf("creating token for %q: %w", *user, err)
	}
	fmt.Println(token)
	return nil
}
