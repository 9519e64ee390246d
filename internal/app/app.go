// Package app is what both binaries set up the same way: the shared configuration
// (databases, encryption key, mirror cache) and the objects built from it.
package app

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/logging"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
)

// Config is the configuration both binaries read.
type Config struct {
	DatabaseURL         string
	InsightsDatabaseURL string
	DisableInsights     bool
	ReposDir            string
	AllowLocalRepos     bool
	ReadPacks           bool
	EncryptionKey       string
	ExternalURL         string
	// The search index (see SearchIndex).
	IndexDir        string
	ZoektEndpoints  []string
	SearchIndexMode string
	IndexOnDemand   bool
}

// LoadConfig declares and reads the shared variables.
func LoadConfig() Config {
	return Config{
		DatabaseURL:         env.Get("DATABASE_URL", "", "Postgres URL of the main database (required; make run sets it)."),
		InsightsDatabaseURL: env.Get("CODEINSIGHTS_DATABASE_URL", "", "Postgres URL of the code insights database (required unless DISABLE_CODE_INSIGHTS=true)."),
		DisableInsights:     env.Bool("DISABLE_CODE_INSIGHTS", false, "Run without code insights: no insights database, resolvers or routines."),
		ReposDir:            env.Get("REPOS_DIR", filepath.Join(os.TempDir(), "lookout-repos"), "Directory of this process's git mirror cache (a cache: safe to delete)."),
		AllowLocalRepos:     env.Bool("REPOS_ALLOW_LOCAL", true, "Allow GIT code host connections to use file:// URLs and local paths (only site admins add connections)."),
		ReadPacks:           env.Bool("REPOS_READ_PACKS", true, "Searches read mirrors' objects in process (packs and loose objects, through the system zlib); false reads them through git cat-file."),
		EncryptionKey:       env.Get("ENCRYPTION_KEY", "", "Key (16+ characters) that encrypts secrets at rest (code host configs, campaign credentials, webhook secrets, Slack webhook URLs); empty stores them unencrypted. Set later, the frontend encrypts the stored ones at its next start."),
		ExternalURL:         env.Get("EXTERNAL_URL", "http://localhost:3080", "URL users reach Lookout at, used in links (notifications, pull request bodies)."),
		IndexDir:            env.Get("INDEX_DIR", filepath.Join(os.TempDir(), "lookout-index"), "Directory of this process's zoekt shards (a cache like REPOS_DIR: safe to delete, rebuilt on demand); with ZOEKT_ENDPOINTS, the shard directory of the zoekt-webserver beside this worker, which its index job writes."),
		ZoektEndpoints:      env.List("ZOEKT_ENDPOINTS", "", "Comma-separated zoekt-webserver addresses (host:port) that searches read shards from instead of INDEX_DIR."),
		SearchIndexMode:     env.Get("SEARCH_INDEX", "auto", "When searches read file contents at the default branch from the index: auto (queries with a literal of 3+ characters), always, or never."),
		IndexOnDemand:       env.Bool("INDEX_ON_DEMAND", true, "Build, in the background, the shards of repositories this process searched without a current one (embedded index only; with ZOEKT_ENDPOINTS such searches queue index jobs)."),
	}
}

// Check validates the shared configuration.
func (c Config) Check() error {
	if err := env.Check(); err != nil {
		return err
	}
	if c.DatabaseURL == "" {
		return errors.New(`DATABASE_URL is not set: make run sets it; for make run's database, run eval "$(dev/postgres.sh)" first (make token prints an admin token)`)
	}
	if c.InsightsDatabaseURL == "" && !c.DisableInsights {
		return errors.New("CODEINSIGHTS_DATABASE_URL is not set; set it or DISABLE_CODE_INSIGHTS=true")
	}
	if _, err := encryption.NewKey(c.EncryptionKey); err != nil {
		return err
	}
	switch search.IndexMode(c.SearchIndexMode) {
	case search.IndexAlways, search.IndexNever, "auto":
	default:
		return fmt.Errorf("invalid SEARCH_INDEX=%q: want auto, always or never", c.SearchIndexMode)
	}
	return nil
}

// SearchIndex is a process's part of the search index: the shards its searches read, the
// indexer its index jobs (and on-demand builds) write INDEX_DIR with, and the on-demand
// builder (embedded index only; Run it).
type SearchIndex struct {
	Backend  textindex.Backend
	Indexer  *textindex.Indexer
	OnDemand *textindex.OnDemand
	mode     search.IndexMode
	missing  func(repos []*store.Repo)
}

// SearchIndex opens the process's index: remote zoekt-webservers with ZOEKT_ENDPOINTS,
// else the shards of INDEX_DIR.
func (c Config) SearchIndex(st *store.Store, mirrors textindex.MirrorSource, logger log.Logger) (*SearchIndex, error) {
	logger = logger.Scoped("textindex")
	ix, err := textindex.NewIndexer(textindex.Options{Dir: c.IndexDir, MaxFileSize: search.DefaultMaxFileSize, Logger: logger})
	if err != nil {
		return nil, err
	}
	si := &SearchIndex{Indexer: ix, mode: search.IndexMode(c.SearchIndexMode)}
	if si.mode == "auto" {
		si.mode = search.IndexAuto
	}
	if len(c.ZoektEndpoints) > 0 {
		if si.Backend, err = textindex.NewRemote(c.ZoektEndpoints); err != nil {
			return nil, err
		}
		// The shards live where index jobs write them: a search that misses one queues
		// a build (once: a queued job is reused).
		si.missing = func(repos []*store.Repo) {
			ids := make([]int64, len(repos))
			for i, r := range repos {
				ids[i] = r.ID
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := st.Repos().EnqueueTextIndex(ctx, ids, store.TextIndexReasonSearch); err != nil {
					logger.Warn("queueing index builds", log.Error(err))
				}
			}()
		}
		return si, nil
	}
	if si.Backend, err = textindex.NewLocal(c.IndexDir); err != nil {
		return nil, err
	}
	if c.IndexOnDemand && si.mode != search.IndexNever {
		branches := func(ctx context.Context, r *store.Repo) ([]textindex.Branch, error) {
			return search.BranchesToIndex(ctx, st, r)
		}
		si.OnDemand = textindex.NewOnDemand(ix, mirrors, branches, logger)
		si.missing = si.OnDemand.Request
	}
	return si, nil
}

// SearchOptions sets the index options of a search service.
func (si *SearchIndex) SearchOptions(opts search.Options) search.Options {
	opts.Index, opts.IndexMode, opts.OnMissingShard = si.Backend, si.mode, si.missing
	return opts
}

// Close closes the backend.
func (si *SearchIndex) Close() { si.Backend.Close() }

// Databases opens the main and (unless disabled) insights pools with the sizes the process
// chose (a pool_max_conns in a URL wins), logging each pool's size and slow acquires.
func (c Config) Databases(ctx context.Context, appName string, logger log.Logger, mainSize, insightsSize database.Size) (mainDB, insightsDB *pgxpool.Pool, err error) {
	opts := func(name string, size database.Size) database.Options {
		return database.Options{ApplicationName: appName, Name: name, MaxConns: size.MaxConns, SizedFrom: size.SizedFrom, Logger: logger.Scoped("database")}
	}
	mainDB, err = database.Open(ctx, c.DatabaseURL, opts("main", mainSize))
	if err != nil {
		return nil, nil, fmt.Errorf("main database: %w", err)
	}
	if !c.DisableInsights {
		insightsDB, err = database.Open(ctx, c.InsightsDatabaseURL, opts("insights", insightsSize))
		if err != nil {
			mainDB.Close()
			return nil, nil, fmt.Errorf("insights database: %w", err)
		}
	}
	return mainDB, insightsDB, nil
}

// FrontendPoolSizes sizes the frontend's pools. Requests come with no bound on their
// number, so the pools follow the CPUs that serve them: four connections per CPU, at least
// 16 for the main database (one request's resolvers run up to 10 at once) and 8 for the
// insights one. Requests beyond that wait for a connection; none holds one while it waits
// for another.
func FrontendPoolSizes() (mainSize, insightsSize database.Size) {
	cpus := runtime.GOMAXPROCS(0)
	from := fmt.Sprintf("4 per CPU (%d)", cpus)
	return database.Size{MaxConns: int32(max(16, 4*cpus)), SizedFrom: from + ", at least 16"},
		database.Size{MaxConns: int32(max(8, 4*cpus)), SizedFrom: from + ", at least 8"}
}

// Store returns the main store with the configured encryption key.
func (c Config) Store(db *pgxpool.Pool) *store.Store {
	key, _ := encryption.NewKey(c.EncryptionKey) // validated by Check
	return store.New(db).WithEncryptionKey(key)
}

// VCS opens this process's mirror cache.
func (c Config) VCS(logger log.Logger) (*vcs.Cache, error) {
	return vcs.NewCache(c.ReposDir, vcs.Options{Logger: logger.Scoped("vcs"), AllowLocal: c.AllowLocalRepos, NoPackReader: !c.ReadPacks})
}

// Repos returns the repository service over this process's mirror cache.
func (c Config) Repos(st *store.Store, cache *vcs.Cache, logger log.Logger) *repos.Service {
	return &repos.Service{Store: st, VCS: cache, Logger: logger.Scoped("repos"), Credentials: CloneCredential}
}

// CloneCredential is the credential a connection's config gives for cloning over https.
func CloneCredential(kind, config string) (*vcs.Credential, error) {
	cfg, err := codehost.ParseConfig(codehost.Kind(kind), []byte(config))
	if err != nil {
		return nil, err
	}
	cred := codehost.CloneCredential(cfg)
	if cred.IsZero() {
		return nil, nil
	}
	return &vcs.Credential{Username: cred.Username, Password: cred.Token}, nil
}

// InitLogging starts a binary's logs (internal/logging) as service, with scope as its
// root logger, and sends the standard library's log, which zoekt writes to, into it.
func InitLogging(service, scope string) (logger log.Logger, flush func()) {
	flush = logging.Init(service)
	logger = log.Scoped(scope)
	stdlog.SetFlags(0)
	stdlog.SetOutput(textindex.LogWriter(logger))
	return logger, flush
}
