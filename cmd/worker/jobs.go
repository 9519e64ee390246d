package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/app"
	campaignsbg "github.com/lookout/lookout/internal/background/campaigns"
	"github.com/lookout/lookout/internal/background/codemonitors"
	insightsbg "github.com/lookout/lookout/internal/background/insights"
	issuemonitorsbg "github.com/lookout/lookout/internal/background/issuemonitors"
	reposbg "github.com/lookout/lookout/internal/background/repos"
	"github.com/lookout/lookout/internal/background/routine"
	textindexbg "github.com/lookout/lookout/internal/background/textindex"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/notify"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
)

// jobDeps are shared by every job's constructor.
type jobDeps struct {
	cfg        config
	env        routine.Env
	insightsDB *pgxpool.Pool

	repos  *reposvc.Service
	search *search.Service
	// index is the process's search index (INDEX_DIR or ZOEKT_ENDPOINTS).
	index *app.SearchIndex
	// changeListeners are told when a fetch brings new commits (push-driven monitors).
	// They only write rows (enqueue jobs), so they apply whichever jobs this worker runs.
	changeListeners []reposbg.ChangeListener
	// notifier sends monitor notifications.
	notifier *notify.Notifier

	// The settings of jobs whose pool needs depend on them, read once.
	campaigns *campaignsbg.Config
	insights  *insightsbg.Options
}

func (d *jobDeps) campaignsConfig() (campaignsbg.Config, error) {
	if d.campaigns == nil {
		c, err := campaignsbg.ConfigFromEnv(d.cfg.ReposDir)
		if err != nil {
			return c, err
		}
		d.campaigns = &c
	}
	return *d.campaigns, nil
}

func (d *jobDeps) insightsOptions() insightsbg.Options {
	if d.insights == nil {
		o := insightsbg.OptionsFromEnv()
		d.insights = &o
	}
	return *d.insights
}

// repoService returns the process's one repository service (one mirror cache).
func (d *jobDeps) repoService() (*reposvc.Service, error) {
	if d.repos != nil {
		return d.repos, nil
	}
	cache, err := d.cfg.VCS(d.env.Logger)
	if err != nil {
		return nil, err
	}
	d.repos = d.cfg.Repos(d.cfg.Store(d.env.DB), cache, d.env.Logger)
	return d.repos, nil
}

// job is a named group of routines WORKER_JOBS can select. needs says what its routines
// may hold at once on each database (the pools are sized from it before build runs).
type job struct {
	description   string
	needsInsights bool
	needs         func(d *jobDeps) ([]routine.Need, error)
	build         func(ctx context.Context, d *jobDeps) ([]routine.Routine, error)
	// queues are the job queues it runs (none for periodic routines only), with the
	// handler counts the configuration gives them.
	queues func(cfg config) ([]routine.QueueInfo, error)
}

func (j job) queueInfo(cfg config) ([]routine.QueueInfo, error) {
	if j.queues == nil {
		return nil, nil
	}
	return j.queues(cfg)
}

var registry = map[string]job{
	"campaigns": {
		description: "runs campaign steps in workspaces, pushes and publishes changesets under a per-host rate limit, syncs them",
		needs: func(d *jobDeps) ([]routine.Need, error) {
			c, err := d.campaignsConfig()
			return campaignsbg.Needs(c.Options), err
		},
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			c, err := d.campaignsConfig()
			if err != nil {
				return nil, err
			}
			c.Executor.Logger = d.env.Logger.Scoped("executor")
			if c.Runner, err = executor.NewRunner(c.Executor); err != nil {
				return nil, err
			}
			c.Store, c.Repos, c.ExternalURL = svc.Store, svc, d.cfg.ExternalURL
			return campaignsbg.Routines(d.env, c.Options)
		},
		queues: func(cfg config) ([]routine.QueueInfo, error) {
			c, err := campaignsbg.ConfigFromEnv(cfg.ReposDir)
			return campaignsbg.Queues(c.Options), err
		},
	},
	"codemonitors": {
		description: "runs code monitor triggers (on a schedule and on push) and sends their notifications",
		needs:       func(*jobDeps) ([]routine.Need, error) { return codemonitors.Needs(), nil },
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			searchSvc, err := d.searchService(svc)
			if err != nil {
				return nil, err
			}
			c := d.cfg.CodeMonitors
			return codemonitors.Routines(d.env, codemonitors.Options{
				Store: svc.Store, Search: searchSvc, Mirrors: svc,
				Notifier: d.notifier, ExternalURL: d.cfg.ExternalURL,
				PollInterval: c.PollInterval, EnqueueInterval: c.EnqueueInterval, WorkerPollInterval: c.WorkerPollInterval,
			})
		},
		queues: fixedQueues(codemonitors.TriggerQueue, codemonitors.ActionQueue),
	},
	"issuemonitors": {
		description: "runs issue monitors (searches and updates on their schedules, alerts) and sends their messages",
		needs:       func(*jobDeps) ([]routine.Need, error) { return issuemonitorsbg.Needs(), nil },
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			opts := issuemonitorsbg.OptionsFromEnv()
			opts.Store, opts.Notifier, opts.ExternalURL = svc.Store, d.notifier, d.cfg.ExternalURL
			if opts.Search, err = d.searchService(svc); err != nil {
				return nil, err
			}
			return issuemonitorsbg.Routines(d.env, opts)
		},
		queues: fixedQueues(issuemonitorsbg.RunQueue, issuemonitorsbg.ActionQueue),
	},
	"insights": {
		description:   "backfills, records, snapshots and retains code insights",
		needsInsights: true,
		needs:         func(d *jobDeps) ([]routine.Need, error) { return insightsbg.Needs(d.insightsOptions()), nil },
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			// Per-blob counts persist in the main database, so a resumed backfill or
			// another worker counts only blobs no worker counted before.
			opts := d.insightsOptions()
			opts.Main, opts.InsightsDB = svc.Store, d.insightsDB
			searchSvc, err := d.searchService(svc)
			if err != nil {
				return nil, err
			}
			opts.Source = &insights.SearchSource{Search: searchSvc, Mirrors: svc, Persist: true}
			return insightsbg.Routines(d.env, opts)
		},
		queues: func(config) ([]routine.QueueInfo, error) { return insightsbg.Queues(insightsbg.OptionsFromEnv()), nil },
	},
	"textindex": {
		description: "builds the zoekt shards of repositories whose default branch moved (in INDEX_DIR), and removes those of deleted repositories",
		needs:       func(*jobDeps) ([]routine.Need, error) { return textindexbg.Needs(), nil },
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			si, err := d.searchIndex(svc)
			if err != nil {
				return nil, err
			}
			return textindexbg.Routines(d.env, textindexbg.Options{Store: svc.Store, Mirrors: svc, Indexer: si.Indexer})
		},
		queues: fixedQueues(textindexbg.Queue),
	},
	"repos": {
		description: "syncs code host connections, schedules and runs repository fetches",
		needs:       func(*jobDeps) ([]routine.Need, error) { return reposbg.Needs(), nil },
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			return reposbg.Routines(d.env, reposbg.Options{Store: svc.Store, Service: svc, Listeners: d.changeListeners})
		},
		queues: fixedQueues(reposbg.SyncQueue, reposbg.FetchQueue),
	},
	"janitor": {
		description: "deletes expired sessions and old finished jobs, and bounds the persisted per-blob search counts",
		needs: func(*jobDeps) ([]routine.Need, error) {
			return []routine.Need{routine.PeriodicNeed("janitor", false)}, nil
		},
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			st := d.cfg.Store(d.env.DB)
			blobCounts := search.BlobCountRetentionFromEnv()
			return []routine.Routine{routine.NewPeriodic(d.env.Logger, "janitor", func(ctx context.Context) error {
				if _, err := st.Sessions().DeleteExpired(ctx); err != nil {
					return err
				}
				_, err := blobCounts.Prune(ctx, st, time.Now())
				return err
			}, routine.PeriodicOptions{Interval: time.Hour, Singleton: d.env.DB, Hostname: d.env.Hostname, Metrics: d.env.Metrics, RunAtStart: true})}, nil
		},
	},
}

// searchService returns the process's one search service: one blob cache shared by
// every job (counts are written to Postgres only by callers that ask to persist them),
// reading the process's search index.
func (d *jobDeps) searchService(svc *reposvc.Service) (*search.Service, error) {
	if d.search == nil {
		si, err := d.searchIndex(svc)
		if err != nil {
			return nil, err
		}
		d.search = search.NewService(svc.Store, svc, search.NewBlobCache(0, svc.Store), d.env.Logger.Scoped("search"), si.SearchOptions(search.Options{}))
	}
	return d.search, nil
}

// searchIndex returns the process's search index, opened once.
func (d *jobDeps) searchIndex(svc *reposvc.Service) (*app.SearchIndex, error) {
	if d.index == nil {
		si, err := d.cfg.SearchIndex(svc.Store, svc, d.env.Logger)
		if err != nil {
			return nil, fmt.Errorf("opening the search index: %w", err)
		}
		d.index = si
	}
	return d.index, nil
}

// fixedQueues are queues whose handler counts need no configuration.
func fixedQueues(qs ...routine.QueueInfo) func(config) ([]routine.QueueInfo, error) {
	return func(config) ([]routine.QueueInfo, error) { return qs, nil }
}

// declareJobEnv reads every job's settings without starting anything, so `worker env`
// lists all the variables the worker reads (the handlers of every queue among them),
// whichever jobs it would run.
func declareJobEnv(cfg config) {
	_ = issuemonitorsbg.OptionsFromEnv()
	_ = search.BlobCountRetentionFromEnv()
	for _, j := range registry {
		qs, _ := j.queueInfo(cfg)
		for _, q := range qs {
			q.Declare()
		}
	}
}

// codeMonitorsConfig are the code monitor settings of the worker.
type codeMonitorsConfig struct {
	PollInterval, EnqueueInterval, WorkerPollInterval time.Duration
}

func loadCodeMonitorsConfig() codeMonitorsConfig {
	return codeMonitorsConfig{
		PollInterval:       env.Duration("CODE_MONITORS_POLL_INTERVAL", codemonitors.DefaultPollInterval, "Time between two scheduled runs of a code monitor (pushes run it sooner)."),
		EnqueueInterval:    env.Duration("CODE_MONITORS_ENQUEUE_INTERVAL", codemonitors.DefaultEnqueueInterval, "How often code monitors that are due are queued."),
		WorkerPollInterval: env.Duration("CODE_MONITORS_WORKER_POLL_INTERVAL", codemonitors.DefaultWorkerPollInterval, "How often idle code monitor workers look for jobs when no notification woke them."),
	}
}
