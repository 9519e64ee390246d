package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/background/routine"
)

// jobDeps are shared by every job's constructor.
type jobDeps struct {
	cfg        config
	env        routine.Env
	insightsDB *pgxpool.Pool
}

// job is a named group of routines WORKER_JOBS can select.
type job struct {
	description   string
	needsInsights bool
	build         func(ctx context.Context, d *jobDeps) ([]routine.Routine, error)
}

var registry = map[string]job{
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
