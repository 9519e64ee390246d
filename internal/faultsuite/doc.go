// Package faultsuite is Lookout's fault suite: tests that run the real binaries
// (frontend and workers, built from cmd/ by the suite's TestMain) against real Postgres
// servers, real git repositories and real HTTP receivers, inject faults, and assert that
// nothing is lost or doubled. `make test` runs it like any other package; it has no
// non-test code besides this documentation.
//
//   - Small pools (pool_test.go): a worker on a fresh database, with every routine due at
//     once, started with pool_max_conns=2 and with its default pools under GOMAXPROCS 1
//     and 2, becomes ready and syncs a repository. This is the start that deadlocked
//     when singleton routines pinned a pooled connection for their whole run.
//   - Killed workers (kill_test.go): workers are SIGKILLed at randomised points of each
//     queue's jobs (code monitor trigger runs, webhook deliveries, insight backfill
//     pages, campaign changeset pushes and pull requests) and replaced by fresh ones.
//     Every job completes, no pull request or branch is doubled, and no notification is
//     delivered under two delivery ids.
//   - Postgres restarts (restart_test.go): the suite's own Postgres server (never a
//     shared one) is restarted during a backfill and during deliveries; both binaries
//     recover without a restart of their own and finish the work.
//
// Each test prints its figures (faults injected, jobs completed, duplicates, recovery
// times) with t.Logf, so `go test -v ./internal/faultsuite/` shows them. A failing test
// prints the warnings of its processes; FAULTSUITE_LOG_DIR=dir keeps their whole logs
// (FAULTSUITE_LOG_LEVEL=debug for more).
//
// Why real processes: the faults that matter are those of a process dying between two
// writes, or of its connections dropping under it; an in-process stand-in shares the
// test's memory and scheduler and cannot die half-way. The binaries run with their
// default settings (pool sizes, heartbeats, reset intervals, poll intervals), so the
// recovery times printed are what a user gets.
package faultsuite
