// Package benchdb gives the benchmarks under dev/bench a Postgres server (the one tests
// use: LOOKOUT_TEST_DATABASE_URL, DATABASE_URL, else the project's private cluster) and
// scratch databases migrated like the real ones, dropped at the end of a run.
package benchdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/database"
)

// FindServer returns the maintenance URL of the Postgres server to benchmark on.
func FindServer() (*url.URL, error) {
	raw := os.Getenv("LOOKOUT_TEST_DATABASE_URL")
	if raw == "" {
		raw = os.Getenv("DATABASE_URL")
	}
	if raw == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(root, "dev", "postgres.sh"))
		cmd.Env = append(os.Environ(), "DATABASE_URL=")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("dev/postgres.sh: %w", err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "DATABASE_URL="); ok {
				raw = strings.Trim(v, "'")
			}
		}
	}
	if raw == "" {
		return nil, errors.New("no Postgres server: set DATABASE_URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	u.Path = "/postgres"
	return u, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "dev", "postgres.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the Lookout checkout (dev/postgres.sh not found)")
		}
		dir = parent
	}
}

// Scratch creates a migrated database and returns a pool of size on it (as the process
// the benchmark stands for sizes it) and a function that drops it (unless keep, which prints its URL instead).
func Scratch(ctx context.Context, srv *url.URL, bench, kind string, fsys fs.FS, size database.Size, keep bool) (*pgxpool.Pool, func(), error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("lookout_bench_%s_%s_%s", bench, kind, hex.EncodeToString(b))
	admin := func(sql string) error {
		conn, err := pgx.Connect(ctx, srv.String())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, nil, fmt.Errorf("creating %s: %w", name, err)
	}
	u := *srv
	u.Path = "/" + name
	pool, err := database.Open(ctx, u.String(), database.Options{MaxConns: size.MaxConns, ApplicationName: "bench-" + bench})
	if keep {
		fmt.Printf("keeping %s\n", u.String())
	}
	drop := func() {
		if pool != nil {
			pool.Close()
		}
		if keep {
			return
		}
		_ = admin("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)")
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	if err := database.MigrateFS(ctx, pool, fsys, nil); err != nil {
		drop()
		return nil, nil, err
	}
	return pool, drop, nil
}
