package executor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/vcs"
)

func TestDiffOfEditedFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{
		"README.md":     "hello\n",
		"old.txt":       "to be deleted\n",
		"src/main.go":   "package main\n\nfunc main() {}\n",
		"script.sh":     "echo hi\n",
		".gitignore":    "build/\n",
		"keep/same.txt": "unchanged\n",
	})
	r := newTestRunner(t, nil)
	var sink watchSink
	res, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{
		{Run: "sed -i 's/hello/hello, world/' README.md\nrm old.txt\nmkdir -p pkg && printf 'package pkg\\n' > pkg/new.go"},
		{Run: "chmod +x script.sh\nprintf '\\000\\001\\002binary' > blob.bin\nmkdir build && echo artifact > build/out.o\ngit status --short"},
	}}, &sink)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, sink.out())
	}
	if res.BaseCommit != f.base {
		t.Errorf("BaseCommit = %s, want %s", res.BaseCommit, f.base)
	}
	diff := string(res.Diff)
	for _, want := range []string{
		"diff --git a/README.md b/README.md\n", "-hello\n+hello, world\n",
		"diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n",
		"diff --git a/pkg/new.go b/pkg/new.go\nnew file mode 100644\n", "+package pkg\n",
		"diff --git a/script.sh b/script.sh\nold mode 100644\nnew mode 100755\n",
		"diff --git a/blob.bin b/blob.bin\nnew file mode 100644\n", "GIT binary patch\n",
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	for _, unwanted := range []string{"build/out.o", "keep/same.txt", "src/main.go"} {
		if strings.Contains(diff, unwanted) {
			t.Errorf("diff mentions %s:\n%s", unwanted, diff)
		}
	}
	// git worked inside the step, on the workspace's own repository.
	if out := sink.out(); !strings.Contains(out, "stdout:  M README.md") || !strings.Contains(out, "stdout: ?? blob.bin") {
		t.Errorf("git status in the step:\n%s", out)
	}

	// The diff is what the changeset worker will commit: it applies to the
	// base commit through vcs.
	oid, err := f.mirror.CreateCommitFromPatch(testContext(t), vcs.PatchCommit{
		Base: f.base, Patch: res.Diff, Message: "campaign",
		Author: vcs.Signature{Name: "Bot", Email: "bot@example.com"},
	})
	if err != nil {
		t.Fatalf("CreateCommitFromPatch: %v", err)
	}
	tree := gittest.Run(t, f.mirror.Dir(), gittest.Env(), "ls-tree", "-r", "--name-only", oid)
	if want := ".gitignore\nREADME.md\nblob.bin\nkeep/same.txt\npkg/new.go\nscript.sh\nsrc/main.go"; tree != want {
		t.Errorf("tree after applying the diff:\n%s\nwant:\n%s", tree, want)
	}

	if len(res.Steps) != 2 || res.Steps[0].ExitCode != 0 || res.Steps[1].ExitCode != 0 || res.Steps[1].Err != nil {
		t.Errorf("steps: %+v", res.Steps)
	}
}

func TestNoChangesGiveEmptyDiff(t *testing.T) {
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	res, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "cat a.txt\ntouch a.txt"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Diff != nil {
		t.Errorf("diff = %q, want nil", res.Diff)
	}
}

// A step controls the work tree's .git; nothing it configures there may run
// in the worker when the diff is computed.
func TestStepCannotHijackDiff(t *testing.T) {
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	pwned := filepath.Join(t.TempDir(), "pwned")
	script := strings.Join([]string{
		"git config core.fsmonitor 'touch " + pwned + "; false'",
		"git config filter.evil.clean 'touch " + pwned + "; cat'",
		"echo '* filter=evil' > .gitattributes",
		"mkdir -p .git/hooks && printf '#!/bin/sh\\ntouch " + pwned + "\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit",
		"echo b > a.txt",
	}, "\n")
	res, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: script}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a command configured by the step ran in the worker")
	}
	if !strings.Contains(string(res.Diff), "-a\n+b\n") || !strings.Contains(string(res.Diff), "+* filter=evil\n") {
		t.Errorf("diff:\n%s", res.Diff)
	}

	// Deleting .git does not break the diff either.
	res, err = r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "rm -rf .git\necho c > a.txt"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Diff), "-a\n+c\n") {
		t.Errorf("diff:\n%s", res.Diff)
	}
}

func TestFailingStep(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	var sink watchSink
	res, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{
		{Run: "echo before\necho oops >&2\nexit 3\necho after"},
		{Run: "echo second step"},
	}}, &sink)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrStepFailed) {
		t.Fatalf("err = %v, want ErrStepFailed", err)
	}
	if e.Step != 1 || e.ExitCode != 3 || err.Error() != "step 1: step failed: exit code 3" {
		t.Errorf("error = %q (step %d, exit %d)", err, e.Step, e.ExitCode)
	}
	if Retryable(err) {
		t.Error("a failing step is not retryable")
	}
	if len(res.Steps) != 1 || res.Steps[0].ExitCode != 3 || res.Diff != nil {
		t.Errorf("result: %+v", res)
	}
	steps, _ := sink.Snapshot()
	want := []TranscriptStep{{
		Step: 1, Command: []string{filepath.Base(r.cfg.Shell), "-e", "step-1.sh"},
		Out:      "stdout: before\nsystem: step 1: step failed: exit code 3\n",
		Finished: true, ExitCode: 3,
	}}
	// Lines of the two streams come through two pipes, so their order
	// relative to each other is not kept; check stderr on its own.
	var stderr []string
	if len(steps) == 1 {
		var rest []string
		for _, l := range strings.SplitAfter(steps[0].Out, "\n") {
			if strings.HasPrefix(l, "stderr: ") {
				stderr = append(stderr, l)
			} else {
				rest = append(rest, l)
			}
		}
		steps[0].Out = strings.Join(rest, "")
	}
	if diff := cmp.Diff(want, steps, cmpTranscript); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"stderr: oops\n"}, stderr); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}

	// -e: the first failing command fails the step.
	_, err = r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "false\necho after"}}}, &sink)
	if !errors.As(err, &e) || e.ExitCode != 1 {
		t.Errorf("err = %v, want exit code 1", err)
	}
}

var cmpTranscript = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool {
		n := p.Last().String()
		return n == ".StartTime" || n == ".Duration"
	}, cmp.Ignore()),
}

func TestTimeLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	var sink watchSink
	start := time.Now()
	res, err := r.Run(testContext(t), f.source(), Spec{TimeLimit: time.Second, Steps: []Step{
		{Run: "echo shell $$\nsleep 1000"},
		{Run: "echo never"},
	}}, &sink)
	elapsed := time.Since(start)
	if !errors.Is(err, ErrTimeLimit) {
		t.Fatalf("err = %v, want ErrTimeLimit", err)
	}
	if want := "step 1: time limit exceeded: the steps ran longer than the time limit of 1s; the step was stopped"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed > 3*time.Second {
		t.Errorf("stopped after %v", elapsed)
	}
	out := sink.out()
	if pid := pidAfter(t, out, "shell "); running(pid) {
		t.Errorf("step shell %d still running", pid)
	}
	if strings.Contains(out, "never") || len(res.Steps) != 1 || res.Steps[0].ExitCode != -1 {
		t.Errorf("steps %+v, log:\n%s", res.Steps, out)
	}
	t.Logf("sleep 1000 stopped after %v", elapsed)
}

// A step that ignores SIGTERM is killed after the grace period.
func TestTimeLimitIgnoringSIGTERM(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	start := time.Now()
	_, err := r.Run(testContext(t), f.source(), Spec{TimeLimit: 500 * time.Millisecond, Steps: []Step{
		{Run: "trap '' TERM\nwhile :; do sleep 0.05; done"},
	}}, nil)
	if !errors.Is(err, ErrTimeLimit) {
		t.Fatalf("err = %v, want ErrTimeLimit", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("stopped after %v", elapsed)
	}
}

func TestOutputLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	var sink watchSink
	start := time.Now()
	res, err := r.Run(testContext(t), f.source(), Spec{
		OutputLimit: 8 << 20, LogLimit: 64 << 10,
		Steps: []Step{{Run: "echo start\nyes"}},
	}, &sink)
	elapsed := time.Since(start)
	if !errors.Is(err, ErrOutputLimit) {
		t.Fatalf("err = %v, want ErrOutputLimit", err)
	}
	if want := "step 1: output limit exceeded: the step printed more than 8 MiB; it was stopped"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed > 5*time.Second {
		t.Errorf("stopped after %v", elapsed)
	}
	sr := res.Steps[0]
	if !sr.OutputTruncated || sr.OutputBytes <= 8<<20 {
		t.Errorf("step result %+v", sr)
	}
	out := sink.out()
	if len(out) > 64<<10+2*LogTail+1024 {
		t.Errorf("log is %d bytes", len(out))
	}
	for _, want := range []string{"stdout: start\nstdout: y\n", "system: log limit of 64 KiB reached", "system: output truncated: ", "stdout: y\nsystem: step 1: output limit exceeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	t.Logf("yes stopped after %v having printed %s", elapsed, formatBytes(sr.OutputBytes))
}

// A line without newlines is split, and the log stays bounded, while the step
// itself succeeds.
func TestLongLinesAndLogLimit(t *testing.T) {
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	var sink watchSink
	res, err := r.Run(testContext(t), f.source(), Spec{
		LogLimit: 100 << 10,
		Steps:    []Step{{Run: "head -c 3000000 /dev/zero | tr '\\0' x\necho\necho last line >&2"}},
	}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	out := sink.out()
	if len(out) > 100<<10+2*LogTail+1024 {
		t.Errorf("log is %d bytes", len(out))
	}
	if !strings.Contains(out, "stdout: "+strings.Repeat("x", maxLine)+"\n") {
		t.Error("long line not split at maxLine")
	}
	if !strings.HasSuffix(out, "stderr: last line\n") {
		t.Errorf("log does not end with the tail: ...%s", out[max(0, len(out)-200):])
	}
	if sr := res.Steps[0]; !sr.OutputTruncated || sr.OutputBytes != 3000000+1+10 {
		t.Errorf("step result %+v", sr)
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://user:s3cret-db@db/lookout")
	t.Setenv("ENCRYPTION_KEY", "s3cret-key")
	t.Setenv("LOOKOUT_PROXY_FOR_TEST", "http://proxy:3128")
	f := newFixture(t, map[string]string{"sub/dir/a.txt": "a\n"})
	r := newTestRunner(t, func(c *Config) { c.PassEnv = []string{"LOOKOUT_PROXY_FOR_TEST"} })
	var sink watchSink
	_, err := r.Run(testContext(t), f.source(), Spec{Workdir: "sub/dir", Steps: []Step{
		{Run: "env | sort\npwd\ncat a.txt\ncat /proc/$$/cmdline | tr '\\0' ' '; echo", Env: map[string]string{"API_TOKEN": "step-token", "MULTI": "a b\nc"}},
	}}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	out := sink.out()
	for _, secret := range []string{"s3cret", "DATABASE_URL", "ENCRYPTION_KEY"} {
		if strings.Contains(out, secret) {
			t.Errorf("step saw %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"stdout: API_TOKEN=step-token\n", "stdout: MULTI=a b\n", "stdout: c\n", "stdout: LANG=C.UTF-8\n",
		"stdout: LOOKOUT_PROXY_FOR_TEST=http://proxy:3128\n",
		"/work/sub/dir\n", "stdout: a\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "step-token ") || strings.Count(out, "step-token") != 1 {
		t.Errorf("the env value is on the command line:\n%s", out)
	}
	// HOME and TMPDIR are the workspace's.
	for _, name := range []string{"HOME", "TMPDIR"} {
		if !strings.Contains(out, "stdout: "+name+"="+r.cfg.Root+"/ws-") {
			t.Errorf("%s not inside the workspace:\n%s", name, out)
		}
	}
}

func TestLogsStreamWhileRunning(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	var sink watchSink
	var tmp string
	released := map[string]bool{}
	// The step waits for files the test creates only when it has seen a
	// line, so each line provably arrived while the step was running.
	release := func(name string) {
		if !released[name] && sink.finishedSteps() == 0 {
			released[name] = true
			_ = os.WriteFile(filepath.Join(tmp, name), nil, 0o644)
		}
	}
	sink.onLine = func(l LogLine) {
		switch {
		case strings.HasPrefix(l.Text, "tmp "):
			tmp = strings.TrimPrefix(l.Text, "tmp ")
		case l.Stream == Stdout && l.Text == "no newline yet":
			release("partial-seen")
		case l.Text == "a line":
			release("line-seen")
		}
	}
	_, err := r.Run(testContext(t), f.source(), Spec{TimeLimit: 10 * time.Second, Steps: []Step{{Run: strings.Join([]string{
		`echo "tmp $TMPDIR"`,
		`printf 'no newline yet'`,
		`while [ ! -f "$TMPDIR/partial-seen" ]; do sleep 0.02; done`,
		`echo`,
		`echo "a line"`,
		`while [ ! -f "$TMPDIR/line-seen" ]; do sleep 0.02; done`,
		`echo done`,
	}, "\n")}}}, &sink)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, sink.out())
	}
	if !strings.Contains(sink.out(), "stdout: done\n") || len(released) != 2 {
		t.Errorf("released %v; log:\n%s", released, sink.out())
	}
}

func TestCancelKillsEveryProcess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var sink watchSink
	var mu sync.Mutex
	seen := 0
	sink.onLine = func(l LogLine) {
		if strings.HasPrefix(l.Text, "child ") || strings.HasPrefix(l.Text, "escaped ") {
			mu.Lock()
			seen++
			if seen == 2 {
				cancel()
			}
			mu.Unlock()
		}
	}
	_, err := r.Run(ctx, f.source(), Spec{Steps: []Step{{Run: strings.Join([]string{
		"sleep 1000 &",
		"echo child $!",
		"setsid sleep 1000 > /dev/null 2>&1 < /dev/null &",
		"echo escaped $!",
		"wait",
	}, "\n")}}}, &sink)
	if !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrCanceled", err)
	}
	out := sink.out()
	for _, prefix := range []string{"child ", "escaped "} {
		if pid := pidAfter(t, out, prefix); running(pid) {
			t.Errorf("%s%d still running", prefix, pid)
		}
	}
	if Retryable(err) {
		t.Error("cancellation is not retryable")
	}
}

// Background processes a successful step leaves behind are killed too.
func TestLeftoverProcessesKilled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	var sink watchSink
	res, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: strings.Join([]string{
		"sleep 1000 &",
		"echo bg $!",
		// A daemon in a session of its own, holding the step's stdout.
		`setsid sh -c 'echo "daemon $$" > "$TMPDIR/d"; exec sleep 1000' &`,
		`while [ ! -s "$TMPDIR/d" ]; do sleep 0.01; done`,
		`cat "$TMPDIR/d"`,
	}, "\n")}}}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	// Readers give up on pipes still open 2s after the step; the daemon
	// holding one must have been killed before that.
	if d := res.Steps[0].Duration; d > 1900*time.Millisecond {
		t.Errorf("step took %v: a background process held the pipes", d)
	}
	out := sink.out()
	for _, prefix := range []string{"bg ", "daemon "} {
		if pid := pidAfter(t, out, prefix); running(pid) {
			t.Errorf("%s%d still running", prefix, pid)
		}
	}
}

func TestSetupErrors(t *testing.T) {
	f := newFixture(t, map[string]string{"a.txt": "a\n", "link": ""})
	if err := os.Symlink("/tmp", filepath.Join(f.repo.Dir, "out")); err != nil {
		t.Fatal(err)
	}
	f.base = f.repo.Commit(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "", "symlink", nil)
	if _, err := f.mirror.ResolveRevision(testContext(t), "HEAD"); err != nil {
		t.Fatal(err)
	}
	cache, _ := vcs.NewCache(filepath.Dir(filepath.Dir(f.mirror.Dir())), vcs.Options{AllowLocal: true})
	if _, err := cache.Fetch(testContext(t), vcs.Repo{Name: "example.com/repo", URL: f.repo.Dir}); err != nil {
		t.Fatal(err)
	}
	r := newTestRunner(t, nil)
	ok := []Step{{Run: "true"}}
	tests := []struct {
		name  string
		src   Source
		spec  Spec
		kind  error
		inMsg string
	}{
		{"no steps", f.source(), Spec{}, ErrInvalidSpec, "no steps"},
		{"blank step", f.source(), Spec{Steps: []Step{{Run: " \n"}}}, ErrInvalidSpec, "step 1 has no commands"},
		{"bad env name", f.source(), Spec{Steps: []Step{{Run: "true", Env: map[string]string{"A=B": "x"}}}}, ErrInvalidSpec, `invalid environment variable name "A=B"`},
		{"marker env", f.source(), Spec{Steps: []Step{{Run: "true", Env: map[string]string{markerEnv: "x"}}}}, ErrInvalidSpec, "reserved"},
		{"engine env", f.source(), Spec{Steps: []Step{{Run: "true", Container: "alpine", Env: map[string]string{"DOCKER_HOST": "tcp://x"}}}}, ErrInvalidSpec, "container engine reads it"},
		{"bad image", f.source(), Spec{Steps: []Step{{Run: "true", Container: "--privileged"}}}, ErrInvalidSpec, "invalid container image"},
		{"workdir up", f.source(), Spec{Steps: ok, Workdir: "../x"}, ErrInvalidSpec, "not a path inside"},
		{"workdir missing", f.source(), Spec{Steps: ok, Workdir: "nope"}, ErrInvalidSpec, "no such directory"},
		{"workdir symlink out", f.source(), Spec{Steps: ok, Workdir: "out"}, ErrInvalidSpec, "leads outside"},
		{"relative git dir", Source{GitDir: "repo.git", Revision: f.base}, Spec{Steps: ok}, ErrInvalidSpec, "not an absolute path"},
		{"option revision", Source{GitDir: f.mirror.Dir(), Revision: "--output=/tmp/x"}, Spec{Steps: ok}, ErrInvalidSpec, "base revision"},
		{"unknown revision", Source{GitDir: f.mirror.Dir(), Revision: strings.Repeat("ab", 20)}, Spec{Steps: ok}, ErrSetup, "resolving base revision"},
		{"no mirror", Source{GitDir: "/nonexistent/repo.git", Revision: "main"}, Spec{Steps: ok}, ErrSetup, "not a bare git repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Run(testContext(t), tt.src, tt.spec, nil)
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("err = %v, want %v containing %q", err, tt.kind, tt.inMsg)
			}
			if Retryable(err) != (tt.kind == ErrSetup) {
				t.Errorf("Retryable = %v", Retryable(err))
			}
		})
	}
}

func TestDiffLimit(t *testing.T) {
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	_, err := r.Run(testContext(t), f.source(), Spec{DiffLimit: 10 << 10, Steps: []Step{{Run: "seq 1 100000 > big.txt"}}}, nil)
	if !errors.Is(err, ErrDiffTooLarge) || err.Error() != "diff too large: the changes exceed the diff limit of 10 KiB" {
		t.Fatalf("err = %v, want ErrDiffTooLarge", err)
	}
}

func TestTimeLimitIsForAllSteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, nil)
	start := time.Now()
	res, err := r.Run(testContext(t), f.source(), Spec{TimeLimit: 1200 * time.Millisecond, Steps: []Step{
		{Run: "sleep 0.7"}, {Run: "sleep 0.7"}, {Run: "echo never"},
	}}, nil)
	if !errors.Is(err, ErrTimeLimit) || len(res.Steps) != 2 {
		t.Fatalf("err = %v after %d steps", err, len(res.Steps))
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func TestRemoveStale(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, "ws-"+itoa(time.Now().Add(-3*time.Hour).UnixNano())+"-abc")
	fresh := filepath.Join(root, "ws-"+itoa(time.Now().UnixNano())+"-def")
	other := filepath.Join(root, "unrelated")
	for _, d := range []string{filepath.Join(old, "home/go/pkg/mod/x"), fresh, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Read-only directories, as Go's module cache leaves them.
	if err := os.WriteFile(filepath.Join(old, "home/go/pkg/mod/x/f"), []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"home/go/pkg/mod/x", "home/go/pkg/mod"} {
		if err := os.Chmod(filepath.Join(old, d), 0o555); err != nil {
			t.Fatal(err)
		}
	}
	// A process a dead worker's step left running there.
	orphan := exec.Command("sleep", "1000")
	orphan.Dir = filepath.Join(old, "home/go")
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	defer orphan.Process.Kill()
	n, err := RemoveStale(root, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStale = %d, %v", n, err)
	}
	if running(orphan.Process.Pid) {
		t.Error("a process in a stale workspace survived")
	}
	_ = orphan.Wait()
	for dir, want := range map[string]bool{old: false, fresh: true, other: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", dir, err == nil, want)
		}
	}

	// NewRunner sweeps its root.
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRunner(Config{Root: root, MaxTimeLimit: 30 * time.Minute, GitTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("NewRunner left a stale workspace")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
