package faultsuite

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgServer is a Postgres server of the suite's own, which it may stop and start: never
// the shared development or test server.
type pgServer struct {
	bindir, dir, port string
	asPostgres        bool // running as root: initdb and postgres run as the postgres user
}

// startPostgres initialises and starts a private server on a free port. It skips the
// test when no PostgreSQL binaries are installed.
func startPostgres(t testing.TB) *pgServer {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	s := &pgServer{asPostgres: os.Getuid() == 0}
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			s.bindir = dirs[i]
			break
		}
	}
	if s.bindir == "" {
		p, err := exec.LookPath("initdb")
		if err != nil {
			t.Skip("no PostgreSQL binaries (initdb) to run a private server with")
		}
		s.bindir = filepath.Dir(p)
	}
	// Not under t.TempDir: as root the server runs as the postgres user, who must reach it.
	dir, err := os.MkdirTemp("", "lookout-faultsuite-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() {
		_ = s.pgctl("stop", "-m", "immediate", "-w")
		os.RemoveAll(dir)
	})
	if s.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	_, s.port, _ = net.SplitHostPort(freeAddr(t))
	if out, err := s.run(filepath.Join(s.bindir, "initdb"), "-D", s.data(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// fsync off only risks data on an operating system crash; commits stay synchronous,
	// as in production, so the server's own crash (an immediate shutdown) loses nothing
	// it acknowledged.
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = ''\nmax_connections = 200\nfsync = off\nfull_page_writes = off\n", s.port)
	f, err := os.OpenFile(filepath.Join(s.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(conf)
	f.Close()
	if out, err := s.start(); err != nil {
		t.Fatalf("starting Postgres: %v\n%s", err, out)
	}
	return s
}

func (s *pgServer) data() string { return filepath.Join(s.dir, "data") }

// run runs a server binary, as the postgres user when the suite runs as root.
func (s *pgServer) run(path string, args ...string) ([]byte, error) {
	cmd := exec.Command(path, args...)
	if s.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

func (s *pgServer) pgctl(args ...string) error {
	_, err := s.run(filepath.Join(s.bindir, "pg_ctl"), append([]string{"-D", s.data()}, args...)...)
	return err
}

func (s *pgServer) start() ([]byte, error) {
	return s.run(filepath.Join(s.bindir, "pg_ctl"), "-D", s.data(), "-l", filepath.Join(s.dir, "postgres.log"), "-w", "-t", "60", "start")
}

// url is the URL of database db on the server.
func (s *pgServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", s.port, db)
}

// createDB creates an empty database.
func (s *pgServer) createDB(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return s.url(name)
}

// restart stops the server with mode (fast: sessions are terminated; immediate: a crash,
// recovered from the WAL at start), keeps it down for outage, and starts it again. It
// returns when the server accepts connections, and how long it was unreachable.
func (s *pgServer) restart(t testing.TB, mode string, outage time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := s.pgctl("stop", "-m", mode, "-w"); err != nil {
		t.Fatalf("stopping Postgres (%s): %v", mode, err)
	}
	time.Sleep(outage)
	if out, err := s.start(); err != nil {
		t.Fatalf("starting Postgres again: %v\n%s", err, out)
	}
	return time.Since(start)
}

// TestPostgresRestarts restarts the suite's own Postgres server twice while a frontend
// and a worker run: once during an insight backfill (a fast shutdown), once while code
// monitor webhooks are being delivered (a crash: immediate shutdown). Neither binary is
// restarted; both become ready again on their own, the backfill completes with points
// equal to git grep, and every push is notified with no notification under two delivery
// ids.
func TestPostgresRestarts(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	d := newDeployment(t, pg.createDB(t, "lookout"), pg.createDB(t, "lookout_codeinsights"))
	d.startFrontend()
	d.openDBs()
	w := d.startWorker("worker")
	w.waitReady(t, 30*time.Second)
	e := newEstate(t, d, 4, false)
	rc := startReceiver(t)
	rc.hold = 300 * time.Millisecond
	e.addMonitors(t, rc)

	// ready reports how long after now both binaries answer /readyz with 200.
	bothReady := func() time.Duration {
		start := time.Now()
		for _, p := range []*proc{d.frontend, w} {
			waitFor(t, p.name+" to be ready again", 60*time.Second, func() bool {
				if p.exited() {
					t.Fatalf("%s exited after the restart:\n%s", p.name, p.tail(15))
				}
				code, _, err := p.get("/readyz")
				return err == nil && code == http.StatusOK
			})
		}
		return time.Since(start)
	}

	// 1. During a backfill.
	viewID := e.addInsight(t, "needles")
	waitFor(t, "the backfill to start counting", 30*time.Second, func() bool {
		var n int
		_ = d.insightsDB.QueryRow(context.Background(), `SELECT count(*) FROM insight_series_backfill WHERE state = 'processing' AND backfill_state = 'processing'`).Scan(&n)
		return n > 0
	})
	down1 := pg.restart(t, "fast", time.Second)
	ready1 := bothReady()
	backfill := waitFor(t, "the backfill to complete after the restart", 90*time.Second, func() bool {
		var n int
		err := d.insightsDB.QueryRow(context.Background(), `SELECT count(*) FROM insight_series_backfill WHERE backfill_state <> 'completed'`).Scan(&n)
		return err == nil && n == 0
	})
	points := e.checkInsightPoints(t, viewID)

	// 2. During deliveries: the server crashes as the first webhook of a burst of
	// pushes arrives.
	crash := make(chan struct{}, 1)
	rc.mu.Lock()
	rc.onDelivery = func() {
		select {
		case crash <- struct{}{}:
		default:
		}
	}
	rc.mu.Unlock()
	for i := 0; i < 4; i++ {
		e.push(t, i, i)
	}
	select {
	case <-crash:
	case <-time.After(60 * time.Second):
		t.Fatal("no webhook was delivered within 60s of the pushes")
	}
	rc.mu.Lock()
	rc.onDelivery = nil
	rc.mu.Unlock()
	before := len(rc.all())
	down2 := pg.restart(t, "immediate", time.Second)
	ready2 := bothReady()
	delivered := e.waitNotified(t, rc, 90*time.Second)
	time.Sleep(time.Second) // late duplicates would arrive now
	notifications, redeliveries, duplicates, problems := deliveryFigures(rc.all(), monitorNames, e.pushedCommits())
	for _, p := range problems {
		t.Error(p)
	}
	for _, p := range []*proc{d.frontend, w} {
		if p.exited() {
			t.Errorf("%s exited", p.name)
		}
	}
	var me struct{ CurrentUser struct{ Username string } }
	d.mustGQL(`{ currentUser { username } }`, nil, &me)

	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	t.Logf("restart 1 (fast, during a backfill): Postgres down %s; both binaries ready %s after it was back; backfill completed %s later, %d points equal to git grep",
		r(down1), r(ready1), r(backfill), points)
	t.Logf("restart 2 (crash, during deliveries, %d webhooks in before it): Postgres down %s; both binaries ready %s after; every push notified %s later",
		before, r(down2), r(ready2), r(delivered))
	t.Logf("deliveries: %d pushes, %d notifications by %d monitors, %d redeliveries (same delivery id), %d duplicates; frontend and worker never restarted",
		len(e.pushedCommits()), notifications, len(monitorNames), redeliveries, duplicates)
}
