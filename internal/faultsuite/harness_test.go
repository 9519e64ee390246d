package faultsuite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/database"
)

// bin holds the binaries TestMain built.
var bin struct {
	frontend, worker string
}

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "lookout-faultsuite-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "faultsuite: building the binaries:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Printf("faultsuite: built frontend and worker in %s\n", time.Since(start).Round(time.Millisecond))
	}
	bin.frontend, bin.worker = filepath.Join(dir, "frontend"), filepath.Join(dir, "worker")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles cmd/frontend and cmd/worker of this checkout into dir.
func build(dir string) error {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/frontend", "./cmd/worker")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a running binary whose output goes to a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	addr    string // its HTTP address (WORKER_ADDR or FRONTEND_ADDR)
	done    chan struct{}
}

// startProc runs a binary with env (on top of a minimal environment) until the test ends.
func startProc(t testing.TB, name, path, addr string, env []string, args ...string) *proc {
	t.Helper()
	dir := os.Getenv("FAULTSUITE_LOG_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	level := os.Getenv("FAULTSUITE_LOG_LEVEL")
	if level == "" {
		level = "info"
	}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "SRC_LOG_LEVEL=" + level, "SRC_LOG_FORMAT=condensed"}, env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, addr: addr, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("last warnings and errors of %s:\n%s", name, p.tail(15))
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the process and waits until it is gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to shut down and kills it if it has not after 10 seconds.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// tail returns the last n lines of the process's log that are not informational.
func (p *proc) tail(n int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "\tINFO\t") {
			continue
		}
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// logContains reports whether the process logged a line containing s.
func (p *proc) logContains(s string) bool {
	b, _ := os.ReadFile(p.logPath)
	return bytes.Contains(b, []byte(s))
}

// get fetches path of the process's HTTP server with a short timeout.
func (p *proc) get(path string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + p.addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// waitReady waits until the process answers /readyz with 200 and returns how long it took.
func (p *proc) waitReady(t testing.TB, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for time.Since(start) < timeout {
		if p.exited() {
			t.Fatalf("%s exited before it was ready:\n%s", p.name, p.tail(30))
		}
		code, body, err := p.get("/readyz")
		if err == nil && code == http.StatusOK {
			return time.Since(start)
		}
		last = fmt.Sprintf("%d %s %v", code, strings.TrimSpace(body), err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s; last /readyz: %s\n%s", p.name, timeout, last, p.tail(30))
	return 0
}

// waitFor polls cond every 50ms until it holds, failing the test after timeout. It
// returns how long it waited.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// deployment is one Lookout installation of the suite: its two databases, a frontend, and
// the workers started on it (one at a time or several).
type deployment struct {
	t                    testing.TB
	mainURL, insightsURL string
	mainDB, insightsDB   *pgxpool.Pool // the test's own view, for assertions
	reposDir, workDir    string
	frontend             *proc
	token                string
	webhookHosts         string

	mu      sync.Mutex
	workers []*proc
}

// newDeployment prepares a deployment on two migrated (or empty: the frontend migrates)
// databases. It starts no process.
func newDeployment(t testing.TB, mainURL, insightsURL string) *deployment {
	t.Helper()
	d := &deployment{t: t, mainURL: mainURL, insightsURL: insightsURL, reposDir: t.TempDir(), workDir: t.TempDir(), webhookHosts: "127.0.0.1"}
	return d
}

// openDBs opens the test's own pools on the deployment's databases (after the frontend
// migrated them), sized as pgx's default like every test pool.
func (d *deployment) openDBs() {
	d.t.Helper()
	ctx := context.Background()
	var err error
	if d.mainDB, err = database.Open(ctx, d.mainURL, database.Options{ApplicationName: "faultsuite"}); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(d.mainDB.Close)
	if d.insightsDB, err = database.Open(ctx, d.insightsURL, database.Options{ApplicationName: "faultsuite"}); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(d.insightsDB.Close)
}

// env is what both binaries of the deployment read.
func (d *deployment) env(extra ...string) []string {
	return append([]string{
		"DATABASE_URL=" + d.mainURL,
		"CODEINSIGHTS_DATABASE_URL=" + d.insightsURL,
		"REPOS_DIR=" + d.reposDir,
		"WEBHOOK_ALLOWED_HOSTS=" + d.webhookHosts,
		"ENCRYPTION_KEY=faultsuite-encryption-key-0123456789",
	}, extra...)
}

// startFrontend starts the frontend (which migrates the databases), waits until it is
// ready and makes an admin access token with its CLI.
func (d *deployment) startFrontend() {
	d.t.Helper()
	addr := freeAddr(d.t)
	d.frontend = startProc(d.t, "frontend", bin.frontend, addr, d.env("FRONTEND_ADDR="+addr, "EXTERNAL_URL=http://"+addr, "ADMIN_PASSWORD=faultsuite-admin-password"))
	d.frontend.waitReady(d.t, 60*time.Second)
	cmd := exec.Command(bin.frontend, "admin", "create-token", "--user", "admin")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, d.env()...)
	out, err := cmd.Output()
	if err != nil {
		d.t.Fatalf("frontend admin create-token: %v", err)
	}
	d.token = strings.TrimSpace(string(out))
}

// startWorker starts a worker with extra environment; the deployment remembers it.
func (d *deployment) startWorker(name string, extra ...string) *proc {
	d.t.Helper()
	addr := freeAddr(d.t)
	env := d.env(append([]string{"WORKER_ADDR=" + addr, "CAMPAIGNS_WORKSPACE_ROOT=" + d.workDir, "EXTERNAL_URL=http://lookout.test"}, extra...)...)
	w := startProc(d.t, name, bin.worker, addr, env)
	d.mu.Lock()
	d.workers = append(d.workers, w)
	d.mu.Unlock()
	return w
}

// gqlResponse is a GraphQL response.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// gql runs a GraphQL request as the admin through the frontend and decodes data into out.
func (d *deployment) gql(query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+d.frontend.addr+"/.api/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "token "+d.token)
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("status %d, not JSON: %s", resp.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("GraphQL errors: %+v", r.Errors)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

// mustGQL is gql that fails the test on error.
func (d *deployment) mustGQL(query string, vars map[string]any, out any) {
	d.t.Helper()
	if err := d.gql(query, vars, out); err != nil {
		d.t.Fatal(err)
	}
}

// count runs a count(*) query on db.
func count(t testing.TB, db *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// durations summarises a sample as min / median / max.
func durations(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	return fmt.Sprintf("min %s / median %s / max %s (n=%d)", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}
