// Package executor runs campaign steps: per repository, it checks out the
// base commit into a fresh workspace, runs the steps' shell scripts there
// within a time limit and an output limit, streams their output to the caller
// while they run, and returns the diff they made. It keeps no state: callers
// persist logs and results (see Transcript).
//
// Isolation. Each step is a child process (bash -e, or sh -e in a container)
// leading its own process group, with stdin from /dev/null and an environment
// built from scratch: PATH, HOME and TMPDIR inside the workspace, LANG, the
// variables named in Config.PassEnv and the step's own Env, so none of the
// worker's secrets (DATABASE_URL, ENCRYPTION_KEY, tokens) is passed on. A
// stopped step gets SIGTERM and, after Config.KillGrace, SIGKILL; when a step
// ends, anything left in its group is killed, and so is any process that
// still carries the step's marker variable (one that left the group with
// setsid). The kernel kills a step's process when the worker dies (a
// parent-death signal), and the next worker's janitor kills what it had
// started. A local process runs as the worker's user, so it is isolation from
// accidents, not from hostile code; steps that name an image run in a
// container (docker or podman) with --network none, CPU, memory and process
// limits, all capabilities dropped, and only the checkout mounted. Where no
// engine answers, Config.Container.Fallback runs them as local processes
// instead, unless Spec.RequireContainer is set (steps of someone who may not
// run local processes).
//
// Limits. Spec.TimeLimit covers all steps together; Spec.OutputLimit stops a
// step that prints too much (`yes` stops within a fraction of a second);
// Spec.LogLimit bounds what reaches the log, keeping the first lines live and
// the last lines of each stream at the end. Every failure is an *Error whose
// Kind tells the cause: ErrStepFailed (with the exit code), ErrTimeLimit,
// ErrOutputLimit, ErrCanceled, ErrNoContainerEngine, ErrSetup, ErrInvalidSpec,
// ErrDiffTooLarge; Retryable says which are worth another attempt.
//
// Workspaces. The work tree has its own .git holding only the base commit
// (a shallow fetch from the mirror: self-contained, so steps may use git, and
// sharing no object store with the mirror). The diff is computed with a
// private index outside the work tree, with no hooks, filters or fsmonitor, so
// nothing a step writes into .git runs in the worker. Workspaces live under
// Config.Root, named by creation time; they are removed when Run returns, and
// RemoveStale (run by NewRunner) clears those of a worker that died: the
// directory, processes still running in it, and its containers (labelled
// lookout.executor.workspace). Workspace setup writes every file of the
// repository: on a slow disk a tmpfs Root is several times faster.
//
// Logs. stdout and stderr are read from two pipes, so the order of lines
// within a stream is kept but not across the two.
//
// Typical use in a campaign job handler:
//
//	runner, _ := executor.NewRunner(executor.Config{Root: dir})
//	var t executor.Transcript // poll t.Snapshot() every few seconds into execution_logs
//	res, err := runner.Run(ctx, executor.Source{GitDir: mirror.Dir(), Revision: oid}, spec, &t)
//	switch {
//	case err == nil: // store res.Diff on the job
//	case executor.Retryable(err): // return err: the job is retried
//	default: // workerutil.NonRetryable(err): only this repository fails
//	}
package executor
