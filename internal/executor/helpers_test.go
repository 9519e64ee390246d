package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/vcs"
)

// fixture is a repository mirrored by a real vcs.Cache, as the worker has it.
type fixture struct {
	repo   *gittest.Repo
	mirror *vcs.Mirror
	base   string
}

func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	repo := gittest.NewRepo(t)
	base := repo.Commit(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "", "initial", files)
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{AllowLocal: true, Logger: logtest.Scoped(t)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cache.EnsureCloned(testContext(t), vcs.Repo{Name: "example.com/repo", URL: repo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{repo: repo, mirror: m, base: base}
}

func (f *fixture) source() Source { return Source{GitDir: f.mirror.Dir(), Revision: f.base} }

func newTestRunner(t *testing.T, mod func(*Config)) *Runner {
	t.Helper()
	cfg := Config{
		Root:      filepath.Join(t.TempDir(), "workspaces"),
		KillGrace: 300 * time.Millisecond,
		Logger:    logtest.Scoped(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	r, err := NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Every run removes its workspace, whatever happened, and leaves no
		// process behind.
		entries, _ := os.ReadDir(r.cfg.Root)
		for _, e := range entries {
			t.Errorf("workspace left behind: %s", e.Name())
		}
		for _, p := range processesIn(r.cfg.Root) {
			t.Errorf("process left behind: %s", p)
		}
	})
	return r
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// watchSink is a Transcript that also lets a test react to lines as they
// arrive.
type watchSink struct {
	Transcript
	mu      sync.Mutex
	onLine  func(LogLine)
	results []StepResult
}

func (w *watchSink) Line(l LogLine) {
	w.Transcript.Line(l)
	w.mu.Lock()
	f := w.onLine
	w.mu.Unlock()
	if f != nil {
		f(l)
	}
}

func (w *watchSink) StepFinished(r StepResult) {
	w.Transcript.StepFinished(r)
	w.mu.Lock()
	w.results = append(w.results, r)
	w.mu.Unlock()
}

func (w *watchSink) finishedSteps() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.results)
}

func (w *watchSink) out() string {
	steps, _ := w.Snapshot()
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.Out)
	}
	return b.String()
}

// running reports whether pid is a live process (not gone, not a zombie),
// waiting up to a second for a killed process to be torn down.
func running(pid int) bool {
	for i := 0; i < 100; i++ {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		s := string(stat)
		if j := strings.LastIndexByte(s, ')'); j >= 0 && j+2 < len(s) && (s[j+2] == 'Z' || s[j+2] == 'X') {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// pidsAfter collects the integers printed after prefix in log lines.
func pidAfter(t *testing.T, out, prefix string) int {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "stdout: "+prefix); ok {
			pid, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatalf("bad pid line %q", line)
			}
			return pid
		}
	}
	t.Fatalf("no %q line in log:\n%s", prefix, out)
	return 0
}

// processesIn lists live processes whose working directory is under root.
func processesIn(root string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err != nil || !strings.HasPrefix(cwd, root+"/") || !running(pid) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		found = append(found, fmt.Sprintf("%d %s (in %s)", pid, strings.ReplaceAll(string(cmdline), "\x00", " "), cwd))
	}
	return found
}
