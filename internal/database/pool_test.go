package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/database/dbtest"
)

// TestExhaustedPoolIsNamed holds the only connection of a pool while a named caller
// waits for one: the wait is logged with the caller's name, and Ping reports the
// exhausted pool with its numbers rather than a bare deadline.
func TestExhaustedPoolIsNamed(t *testing.T) {
	ctx := context.Background()
	_, url := dbtest.New(t, dbtest.Main)
	logger, logs := logtest.Captured(t)
	pool, err := database.Open(ctx, url, database.Options{MaxConns: 1, Name: "main", Logger: logger, SlowAcquire: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	held, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(database.WithCaller(ctx, "repo-sync-enqueuer"), 2*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		_, err := pool.Exec(waitCtx, "SELECT 1")
		waited <- err
	}()
	time.Sleep(500 * time.Millisecond)

	pingCtx, pingCancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = database.Ping(pingCtx, pool)
	pingCancel()
	var ex *database.PoolExhaustedError
	if !errors.As(err, &ex) {
		t.Fatalf("Ping on an exhausted pool returned %v, want a PoolExhaustedError", err)
	}
	if ex.InUse != 1 || ex.Max != 1 || ex.Waiting != 1 || ex.LongestCaller != "repo-sync-enqueuer" {
		t.Fatalf("exhausted: %+v, want 1 of 1 in use and repo-sync-enqueuer waiting", ex)
	}
	if msg := err.Error(); !strings.Contains(msg, "connection pool exhausted: 1 of 1 connections in use") || !strings.Contains(msg, "repo-sync-enqueuer") {
		t.Fatalf("message %q does not say what is wrong", msg)
	}

	held.Release()
	if err := <-waited; err != nil {
		t.Fatalf("the waiting caller failed once the connection was released: %v", err)
	}
	if err := database.Ping(ctx, pool); err != nil {
		t.Fatalf("Ping after release: %v", err)
	}
	found := logs().Filter(func(l logtest.CapturedLog) bool {
		return l.Message == "waiting for a database connection" && l.Fields["caller"] == "repo-sync-enqueuer" && l.Fields["pool"] == "main"
	})
	if len(found) != 1 {
		t.Fatalf("want one log of the slow acquire naming its caller, got %v", logs().Messages())
	}
}

// TestURLPoolSizeWins checks that pool_max_conns in the URL overrides the size the process
// chose, in both URL and keyword/value forms.
func TestURLPoolSizeWins(t *testing.T) {
	ctx := context.Background()
	_, url := dbtest.New(t, dbtest.Main)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	pool, err := database.Open(ctx, url+sep+"pool_max_conns=3", database.Options{MaxConns: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := pool.Config().MaxConns; got != 3 {
		t.Fatalf("pool size %d, want the URL's 3", got)
	}
	pool2, err := database.Open(ctx, url, database.Options{MaxConns: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	if got := pool2.Config().MaxConns; got != 7 {
		t.Fatalf("pool size %d, want the chosen 7", got)
	}
	for dsn, want := range map[string]bool{
		"host=x pool_max_conns=2":               true,
		"host=x dbname=pool_max_conns":          false,
		"postgres://u@h/db?pool_max_conns=2":    true,
		"postgres://u@h/pool_max_conns?sslmode": false,
	} {
		if got := database.URLSetsMaxConns(dsn); got != want {
			t.Errorf("URLSetsMaxConns(%q) = %v, want %v", dsn, got, want)
		}
	}
}
