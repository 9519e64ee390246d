package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sourcegraph/log/logtest"
)

func TestContainerArgs(t *testing.T) {
	cfg := ContainerConfig{}
	cfg.setDefaults()
	cfg.CPUs = 1.5
	s := containerStep{
		name: "lookout-step-abc", image: "golang:1.22", hostWork: "/var/ws/ws-1-x/work",
		script: "/var/ws/ws-1-x/steps/step-2.sh", workdir: "sub/dir",
		envNames: []string{"TOKEN", "API_KEY"}, uid: 1000, gid: 1001, label: "ws-1-x",
	}
	got, err := containerArgs("docker", cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"run", "--rm", "--name", "lookout-step-abc", "--label", "lookout.executor.workspace=ws-1-x",
		"--network", "none", "--cpus", "1.5", "--memory", "2147483648", "--memory-swap", "2147483648",
		"--pids-limit", "1024", "--security-opt", "no-new-privileges", "--cap-drop", "ALL",
		"--user", "1000:1001",
		"--mount", "type=bind,source=/var/ws/ws-1-x/work,target=/work",
		"--mount", "type=bind,source=/var/ws/ws-1-x/steps/step-2.sh,target=/lookout/step.sh,readonly",
		"--workdir", "/work/sub/dir", "--env", "HOME=/tmp", "--env", "API_KEY", "--env", "TOKEN",
		"--entrypoint", "/bin/sh", "golang:1.22", "-e", "/lookout/step.sh",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docker argv (-want +got):\n%s", diff)
	}

	// Rootless podman maps the worker's user with keep-id instead.
	got, err = containerArgs("podman", cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got, "--user") || !strings.Contains(strings.Join(got, " "), "--userns keep-id") {
		t.Errorf("podman argv: %q", got)
	}

	s.hostWork = "/var/ws,evil=1/work"
	if _, err := containerArgs("docker", cfg, s); err == nil {
		t.Error("a path with a comma was accepted into --mount")
	}
}

func TestNoContainerEngine(t *testing.T) {
	if _, err := DetectEngine(context.Background(), ""); err == nil {
		t.Skip("a container engine is running here")
	}
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	var sink watchSink
	r := newTestRunner(t, nil)
	_, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "echo hi", Container: "alpine:3"}}}, &sink)
	if !errors.Is(err, ErrNoContainerEngine) {
		t.Fatalf("err = %v, want ErrNoContainerEngine", err)
	}
	if !strings.HasPrefix(err.Error(), "step 1: no container engine available: the step names image alpine:3, but ") {
		t.Errorf("error = %q", err)
	}
	if !strings.Contains(sink.out(), "system: step 1: no container engine available") {
		t.Errorf("log:\n%s", sink.out())
	}
	t.Logf("error: %v", err)

	r = newTestRunner(t, func(c *Config) { c.Container.Engine = "none" })
	_, err = r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "echo hi", Container: "alpine:3"}}}, nil)
	if want := `step 1: no container engine available: the step names image alpine:3, but container steps are disabled (engine "none")`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestContainerFallback(t *testing.T) {
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	var sink watchSink
	r := newTestRunner(t, func(c *Config) { c.Container.Engine = "none"; c.Container.Fallback = true })
	res, err := r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "echo b > a.txt", Container: "alpine:3"}}}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sink.out(), "system: running the step as a local process instead of in image alpine:3") {
		t.Errorf("log:\n%s", sink.out())
	}
	if !strings.Contains(string(res.Diff), "+b\n") {
		t.Errorf("diff:\n%s", res.Diff)
	}
	// A caller whose steps must not run as local processes gets no fallback.
	_, err = r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "echo b > a.txt", Container: "alpine:3"}}, RequireContainer: true}, nil)
	if !errors.Is(err, ErrNoContainerEngine) {
		t.Fatalf("with RequireContainer: err = %v, want ErrNoContainerEngine", err)
	}
}

// fakeDocker is a docker CLI that answers info, records run's argv and
// environment, and runs the step's script on the host the way the real
// engine would run it in the container: in the mounted work tree, with the
// variables named by --env taken from its own environment.
const fakeDocker = `#!/bin/sh
log=LOGDIR
case "$1" in
info) echo 99.0-fake; exit 0;;
rm) echo "$*" >> "$log/rm"; exit 0;;
ps) echo "$*" >> "$log/ps"; echo cafe1234; exit 0;;
run) ;;
*) exit 2;;
esac
printf '%s\n' "$@" > "$log/argv"
env > "$log/env"
shift
while [ $# -gt 0 ]; do
	case "$1" in
	--mount)
		case "$2" in
		*,target=/work) work=${2#type=bind,source=}; work=${work%,target=/work};;
		*,target=/lookout/step.sh,readonly) script=${2#type=bind,source=}; script=${script%,target=/lookout/step.sh,readonly};;
		esac
		shift 2;;
	--workdir) wd=$2; shift 2;;
	--entrypoint) shift 2; break;;
	--rm) shift;;
	*) shift 2;;
	esac
done
cd "$work${wd#/work}" && exec sh -e "$script"
`

func installFakeDocker(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	logDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(strings.ReplaceAll(fakeDocker, "LOGDIR", logDir)), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return logDir
}

func TestContainerStepThroughEngineCLI(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://user:s3cret@db/lookout")
	logDir := installFakeDocker(t)
	f := newFixture(t, map[string]string{"sub/a.txt": "a\n"})
	r := newTestRunner(t, func(c *Config) { c.Container.Engine = "docker" })
	var sink watchSink
	res, err := r.Run(testContext(t), f.source(), Spec{Workdir: "sub", Steps: []Step{
		{Run: "echo \"$API_TOKEN\" > token.txt\necho in container", Container: "alpine:3", Env: map[string]string{"API_TOKEN": "tok-123"}},
	}}, &sink)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, sink.out())
	}
	if !strings.Contains(string(res.Diff), "b/sub/token.txt\nnew file mode 100644") || !strings.Contains(string(res.Diff), "+tok-123\n") {
		t.Errorf("diff:\n%s", res.Diff)
	}
	argv, _ := os.ReadFile(filepath.Join(logDir, "argv"))
	env, _ := os.ReadFile(filepath.Join(logDir, "env"))
	if !strings.Contains(string(argv), "\n--env\nAPI_TOKEN\n") || strings.Contains(string(argv), "tok-123") {
		t.Errorf("argv:\n%s", argv)
	}
	if !strings.Contains(string(env), "API_TOKEN=tok-123\n") || strings.Contains(string(env), "s3cret") {
		t.Errorf("engine CLI environment:\n%s", env)
	}
	steps, _ := sink.Snapshot()
	if len(steps) != 1 || steps[0].Image != "alpine:3" || steps[0].Command[0] != "docker" || strings.Contains(strings.Join(steps[0].Command, " "), "tok-123") {
		t.Errorf("transcript: %+v", steps)
	}
	if !strings.Contains(sink.out(), "stdout: in container\n") {
		t.Errorf("log:\n%s", sink.out())
	}
}

// A stopped container step also removes the container, which killing the
// CLI alone would leave running.
func TestContainerStepStopped(t *testing.T) {
	logDir := installFakeDocker(t)
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r := newTestRunner(t, func(c *Config) { c.Container.Engine = "docker" })
	start := time.Now()
	_, err := r.Run(testContext(t), f.source(), Spec{TimeLimit: 500 * time.Millisecond, Steps: []Step{
		{Run: "sleep 1000", Container: "alpine:3"},
	}}, nil)
	if !errors.Is(err, ErrTimeLimit) {
		t.Fatalf("err = %v, want ErrTimeLimit", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("stopped after %v", elapsed)
	}
	rm, _ := os.ReadFile(filepath.Join(logDir, "rm"))
	if !strings.HasPrefix(string(rm), "rm --force lookout-step-") {
		t.Errorf("engine rm calls: %q", rm)
	}
}

// The janitor removes the containers of a stale workspace too.
func TestRemoveStaleContainers(t *testing.T) {
	logDir := installFakeDocker(t)
	root := t.TempDir()
	name := "ws-" + strconv.FormatInt(time.Now().Add(-5*time.Hour).UnixNano(), 10) + "-abc"
	if err := os.MkdirAll(filepath.Join(root, name, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRunner(Config{Root: root, Container: ContainerConfig{Engine: "docker"}, Logger: logtest.Scoped(t)}); err != nil {
		t.Fatal(err)
	}
	ps, _ := os.ReadFile(filepath.Join(logDir, "ps"))
	rm, _ := os.ReadFile(filepath.Join(logDir, "rm"))
	if string(ps) != "ps --all --quiet --filter label=lookout.executor.workspace="+name+"\n" || string(rm) != "rm --force cafe1234\n" {
		t.Errorf("engine calls: ps %q, rm %q", ps, rm)
	}
	if _, err := os.Stat(filepath.Join(root, name)); err == nil {
		t.Error("stale workspace not removed")
	}
}
