package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	reposbg "github.com/lookout/lookout/internal/background/repos"
	"github.com/lookout/lookout/internal/background/routine"
	reposvc "github.com/lookout/lookout/internal/repos"
)

// jobDeps are shared by every job's constructor.
type jobDeps struct {
	cfg        config
	env        routine.Env
	insightsDB *pgxpool.Pool

	repos *reposvc.Service
	// changeListeners are told when a fetch brings new commits (push-driven monitors).
	// They only write rows (enqueue jobs), so they apply whichever jobs this worker runs.
	changeListeners []reposbg.ChangeListener
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

// job is a named group of routines WORKER_JOBS can select.
type job struct {
	description   string
	needsInsights bool
	build         func(ctx context.Context, d *jobDeps) ([]routine.Routine, error)
}

var registry = map[string]job{
	"repos": {
		description: "syncs code host connections, schedules and runs repository fetches",
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			svc, err := d.repoService()
			if err != nil {
				return nil, err
			}
			return reposbg.Routines(d.env, reposbg.Options{Store: svc.Store, Service: svc, Listeners: d.changeListeners})
		},
	},
	"janitor": {
		description: "deletes expired sessions and old finished jobs",
		build: func(ctx context.Context, d *jobDeps) ([]routine.Routine, error) {
			st := d.cfg.Store(d.env.DB)
			return []routine.Routine{routine.NewPeriodic(d.env.Logger, "janitor", func(ctx context.Context) error {
				_, err := st.Sessions().DeleteExpired(ctx)
				return err
			}, routine.PeriodicOptions{Interval: time.Hour, Singleton: d.env.DB, Hostname: d.env.Hostname, Metrics: d.env.Metrics, RunAtStart: true})}, nil
		},
	},
}
