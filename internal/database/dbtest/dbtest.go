// Package dbtest gives each test its own freshly migrated Postgres database.
//
// Databases are cloned from a template that is migrated once per schema version (the
// template's name carries a hash of the migrations), so a new database costs one
// CREATE DATABASE ... TEMPLATE rather than a full migration run.
//
// The server comes from LOOKOUT_TEST_DATABASE_URL, else DATABASE_URL (any database on a
// server where the user may create databases); with neither set, dev/postgres.sh starts the
// project's private cluster under .dev/postgres, so tests need nothing running beforehand.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/migrations"
)

// Schema selects which migration set a test database gets.
type Schema struct {
	name string
	fsys func() fs.FS
}

var (
	Main         = Schema{"main", migrations.Main}
	CodeInsights = Schema{"codeinsights", migrations.CodeInsights}
)

// NewDB returns a pool on a new database with the main schema, dropped when t ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	pool, _ := New(t, Main)
	return pool
}

// NewInsightsDB returns a pool on a new database with the code insights schema.
func NewInsightsDB(t testing.TB) *pgxpool.Pool {
	pool, _ := New(t, CodeInsights)
	return pool
}

// New creates a database with the given schema and returns a pool on it and its URL (for
// tests that start other processes against it).
func New(t testing.TB, schema Schema) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	srv, err := server()
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	name := fmt.Sprintf("lookout_test_%d_%s", os.Getpid(), randomSuffix())
	for attempt := 0; ; attempt++ {
		tmpl, err := srv.template(ctx, schema)
		if err != nil {
			t.Fatalf("dbtest: preparing %s template: %v", schema.name, err)
		}
		err = srv.createFromTemplate(ctx, name, tmpl)
		var pgErr *pgconn.PgError
		// 3D000: the template is gone. A test process with another migration set (a
		// branch in another worktree on the same server) dropped it as stale: build it
		// again.
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" && attempt < 5 {
			srv.forgetTemplate(schema, tmpl)
			continue
		}
		if err != nil {
			t.Fatalf("dbtest: creating %s: %v", name, err)
		}
		break
	}
	dbURL := srv.urlFor(name)
	pool, err := database.Open(ctx, dbURL, database.Options{MaxConns: 20, ApplicationName: "dbtest"})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		if os.Getenv("DBTEST_KEEP") != "" {
			t.Logf("dbtest: kept database %s", dbURL)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
			t.Logf("dbtest: dropping %s: %v", name, err)
		}
	})
	return pool, dbURL
}

type pgServer struct {
	base      *url.URL // points at the maintenance database
	private   bool     // the project's own cluster: leftovers of dead test processes may be dropped
	mu        sync.Mutex
	templates map[string]string
}

var (
	serverOnce sync.Once
	theServer  *pgServer
	serverErr  error
)

func server() (*pgServer, error) {
	serverOnce.Do(func() { theServer, serverErr = findServer() })
	return theServer, serverErr
}

func findServer() (*pgServer, error) {
	raw := os.Getenv("LOOKOUT_TEST_DATABASE_URL")
	if raw == "" {
		raw = os.Getenv("DATABASE_URL")
	}
	private := false
	if raw == "" {
		var err error
		raw, err = startPrivateCluster()
		if err != nil {
			return nil, err
		}
		private = true
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing test database URL: %w", err)
	}
	u.Path = "/postgres"
	srv := &pgServer{base: u, private: private, templates: map[string]string{}}
	if private {
		srv.dropLeftovers()
	}
	return srv, nil
}

// startPrivateCluster runs dev/postgres.sh, found relative to this source file.
func startPrivateCluster() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the source tree to find dev/postgres.sh")
	}
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "dev", "postgres.sh")
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("starting the private Postgres cluster with %s: %w", script, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "DATABASE_URL="); ok {
			return strings.Trim(v, "'"), nil
		}
	}
	return "", fmt.Errorf("%s printed no DATABASE_URL", script)
}

func (s *pgServer) urlFor(db string) string {
	u := *s.base
	u.Path = "/" + db
	return u.String()
}

func (s *pgServer) exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.base.String())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// forgetTemplate drops the remembered name of a template found gone, so that the next
// template call builds it again.
func (s *pgServer) forgetTemplate(schema Schema, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templates[schema.name] == name {
		delete(s.templates, schema.name)
	}
}

// template returns the name of a migrated template for schema, building it once per schema
// version across all test processes (an advisory lock on the server serialises builders).
func (s *pgServer) template(ctx context.Context, schema Schema) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name, ok := s.templates[schema.name]; ok {
		return name, nil
	}
	migs, err := database.LoadMigrations(schema.fsys())
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range migs {
		fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.Up)
	}
	prefix := "lookout_tmpl_" + schema.name + "_"
	name := prefix + hex.EncodeToString(h.Sum(nil))[:12]

	conn, err := pgx.Connect(ctx, s.base.String())
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	lock := fnv.New64a()
	lock.Write([]byte("lookout:dbtest:" + schema.name))
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lock.Sum64())); err != nil {
		return "", err
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lock.Sum64()))
	}()

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if err := s.buildTemplate(ctx, conn, name, migs); err != nil {
			return "", err
		}
		// Templates of older schema versions are no longer useful, in the project's own
		// cluster. A shared one (LOOKOUT_TEST_DATABASE_URL) serves checkouts of other
		// branches at once, whose tests clone their own version's template: dropping it
		// fails them midway, and they drop ours in turn.
		if !s.private {
			s.templates[schema.name] = name
			return name, nil
		}
		rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1 || '%' AND datname <> $2", prefix, name)
		if err == nil {
			stale, _ := pgx.CollectRows(rows, pgx.RowTo[string])
			for _, db := range stale {
				_, _ = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" IS_TEMPLATE false")
				_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
			}
		}
	}
	s.templates[schema.name] = name
	return name, nil
}

// buildTemplate migrates a scratch database and renames it into place, so a crash midway
// never leaves a half-migrated template behind under the final name.
func (s *pgServer) buildTemplate(ctx context.Context, conn *pgx.Conn, name string, migs []database.Migration) error {
	scratch := name + "_building"
	ident := pgx.Identifier{scratch}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return err
	}
	pool, err := database.Open(ctx, s.urlFor(scratch), database.Options{MaxConns: 2})
	if err != nil {
		return err
	}
	_, err = (&database.Migrator{Pool: pool, Migrations: migs}).Up(ctx)
	pool.Close()
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" RENAME TO "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" IS_TEMPLATE true")
	return err
}

func (s *pgServer) createFromTemplate(ctx context.Context, name, tmpl string) error {
	sql := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize())
	for attempt := 0; ; attempt++ {
		err := s.exec(ctx, sql)
		var pgErr *pgconn.PgError
		// 55006: the template is briefly in use (autovacuum, a concurrent clone).
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || attempt == 20 {
			return err
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
}

// dropLeftovers drops test databases of processes that no longer run (a killed go test),
// which only makes sense on the private cluster where every test process is local.
func (s *pgServer) dropLeftovers() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.base.String())
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'lookout\\_test\\_%'")
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, name := range names {
		parts := strings.SplitN(strings.TrimPrefix(name, "lookout_test_"), "_", 2)
		pid, err := strconv.Atoi(parts[0])
		if err != nil || processAlive(pid) {
			continue
		}
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
