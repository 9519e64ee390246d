package campaigns

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/executor"
)

// Config is the campaign settings of the worker, from the environment.
type Config struct {
	Options
	Executor executor.Config
}

// DefaultWorkspaceRoot is where a worker whose mirror cache is reposDir keeps its step
// workspaces: beside the cache (REPOS_DIR=.dev/repos gives .dev/repos-workspaces), so
// checkouts and processes with their own cache never share one directory, and a worker
// restarted on the same cache finds its dead predecessor's workspaces to remove.
func DefaultWorkspaceRoot(reposDir string) string {
	reposDir = filepath.Clean(reposDir)
	return filepath.Join(filepath.Dir(reposDir), filepath.Base(reposDir)+"-workspaces")
}

// ConfigFromEnv declares and reads the CAMPAIGNS_* variables; reposDir is the process's
// mirror cache (REPOS_DIR), next to which workspaces live by default. The caller sets
// Store, Repos, ExternalURL and the executor's Logger, then builds the Runner from Executor.
func ConfigFromEnv(reposDir string) (Config, error) {
	var c Config
	rates, err := campaigns.ParseRates(env.Get("CAMPAIGNS_PUBLISH_RATE", campaigns.DefaultPublishRate,
		"How often campaigns open pull requests per code host: N/second|minute|hour|day or unlimited, comma-separated, host=rate for one host (like 8/minute, github.example.com=30/hour). Changesets waiting for their turn show as SCHEDULED."))
	if err != nil {
		return c, fmt.Errorf("CAMPAIGNS_PUBLISH_RATE: %w", err)
	}
	c.Rates = &rates
	c.SyncInterval = env.Duration("CAMPAIGNS_SYNC_INTERVAL", DefaultSyncInterval, "How often changesets due for a sync are loaded from their code hosts (each backs off from 2 minutes to 8 hours since its last change; webhooks make it due at once).")
	c.JobConcurrency = env.Int("CAMPAIGNS_JOB_CONCURRENCY", 2, "Campaign plan jobs (steps in one repository) one worker runs at once.")
	c.ChangesetConcurrency = env.Int("CAMPAIGNS_CHANGESET_CONCURRENCY", 4, "Changesets one worker pushes and publishes at once.")
	c.Bot = campaigns.Author{
		Name:  env.Get("CAMPAIGNS_COMMIT_AUTHOR_NAME", campaigns.DefaultBot.Name, "Author and committer name of campaign commits (a spec's commit author replaces the author)."),
		Email: env.Get("CAMPAIGNS_COMMIT_AUTHOR_EMAIL", campaigns.DefaultBot.Email, "Author and committer email of campaign commits."),
	}
	c.Executor = executor.Config{
		Root:             env.Get("CAMPAIGNS_WORKSPACE_ROOT", DefaultWorkspaceRoot(reposDir), "Directory of campaign step workspaces (a tmpfs is faster); by default next to REPOS_DIR, so processes with their own mirror cache have their own workspaces."),
		DefaultTimeLimit: env.Duration("CAMPAIGNS_STEP_TIME_LIMIT", 20*time.Minute, "Time limit of a repository's steps when the spec sets no timeLimit."),
		MaxTimeLimit:     env.Duration("CAMPAIGNS_STEP_MAX_TIME_LIMIT", 2*time.Hour, "Largest timeLimit a spec may set."),
		Container: executor.ContainerConfig{
			Engine:   env.Get("CAMPAIGNS_CONTAINER_ENGINE", "", "Container engine for steps that name an image: docker, podman, empty to detect, or none."),
			Network:  env.Get("CAMPAIGNS_CONTAINER_NETWORK", "none", "Network mode of step containers."),
			Fallback: env.Bool("CAMPAIGNS_CONTAINER_FALLBACK", false, "Run steps that name an image as local processes when no container engine is available (site admins' plans only; others' steps then fail)."),
		},
	}
	// A job also clones, sets up the workspace and computes the diff.
	c.MaxJobRuntime = c.Executor.MaxTimeLimit + time.Hour
	if cpus := env.Get("CAMPAIGNS_CONTAINER_CPUS", "1", "CPU quota of a step container."); cpus != "" {
		v, err := strconv.ParseFloat(cpus, 64)
		if err != nil || v <= 0 {
			return c, fmt.Errorf("CAMPAIGNS_CONTAINER_CPUS=%q: want a positive number", cpus)
		}
		c.Executor.Container.CPUs = v
	}
	mem, err := campaigns.ParseByteSize(env.Get("CAMPAIGNS_CONTAINER_MEMORY", "2GiB", "Memory limit of a step container (like 512MiB or 2GiB)."))
	if err != nil {
		return c, fmt.Errorf("CAMPAIGNS_CONTAINER_MEMORY: %w", err)
	}
	c.Executor.Container.Memory = mem
	return c, nil
}
