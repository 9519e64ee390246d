// Package app is what both binaries set up the same way: the shared configuration
// (databases, encryption key, mirror cache) and the objects built from it.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
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
	}
}

// Check validates the shared configuration.
func (c Config) Check() error {
	if err := env.Check(); err != nil {
		return err
	}
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (make run starts a development Postgres and sets it; see README)")
	}
	if c.InsightsDatabaseURL == "" && !c.DisableInsights {
		return errors.New("CODEINSIGHTS_DATABASE_URL is not set; set it or DISABLE_CODE_INSIGHTS=true")
	}
	if _, err := encryption.NewKey(c.EncryptionKey); err != nil {
		return err
	}
	return nil
}

// Databases opens the main and (unless disabled) insights pools.
func (c Config) Databases(ctx context.Context, appName string) (mainDB, insightsDB *pgxpool.Pool, err error) {
	mainDB, err = database.Open(ctx, c.DatabaseURL, database.Options{ApplicationName: appName})
	if err != nil {
		return nil, nil, fmt.Errorf("main database: %w", err)
	}
	if !c.DisableInsights {
		insightsDB, err = database.Open(ctx, c.InsightsDatabaseURL, database.Options{ApplicationName: appName})
		if err != nil {
			mainDB.Close()
			return nil, nil, fmt.Errorf("insights database: %w", err)
		}
	}
	return mainDB, insightsDB, nil
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
