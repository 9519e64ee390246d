package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sourcegraph/log"
)

// Step is one command script run in the workspace.
type Step struct {
	// Run is a shell script, one command per line, run with `-e` so the first
	// failing command fails the step.
	Run string
	// Env is added to the step's environment. Values travel only through
	// process environments, never on a command line.
	Env map[string]string
	// Container, if set, is the image to run the step in; empty runs it as a
	// local process.
	Container string
}

// Spec is what to run in one repository.
type Spec struct {
	Steps []Step
	// Workdir is the directory, relative to the repository's top, that steps
	// start in. It must exist at the base commit.
	Workdir string
	// TimeLimit bounds all steps together. Zero means
	// Config.DefaultTimeLimit; more than Config.MaxTimeLimit is lowered to it.
	TimeLimit time.Duration
	// OutputLimit is how many bytes of stdout and stderr together one step may
	// print before it is stopped with ErrOutputLimit. Default 64 MiB.
	OutputLimit int64
	// LogLimit bounds the log of one step as a Transcript writes it (each
	// line's text plus 9 bytes for "stdout: " and the newline). Lines reach
	// the Sink as they are printed until the limit; the rest is counted and
	// dropped, except the last lines of each stream (up to LogTail bytes of
	// log each), sent when the step ends. Default 1 MiB; at most OutputLimit.
	LogLimit int64
	// DiffLimit bounds the resulting diff. Default 32 MiB.
	DiffLimit int64
	// RequireContainer makes a step that names an image fail with
	// ErrNoContainerEngine when no engine answers, even where
	// Config.Container.Fallback would run it as a local process: the caller
	// runs steps of someone who may not run local processes.
	RequireContainer bool
}

// Spec defaults.
const (
	DefaultOutputLimit = 64 << 20
	DefaultLogLimit    = 1 << 20
	DefaultDiffLimit   = 32 << 20
	// LogTail is how much of each stream's last output is kept once the
	// log limit is reached.
	LogTail = 16 << 10
	// maxLine splits longer lines in the log.
	maxLine = 16 << 10
)

// StepResult describes one step that ran (or was stopped).
type StepResult struct {
	Step  int    // 1-based
	Image string // empty for a local process
	// ExitCode is the step's exit status; -1 when it was killed by a signal
	// or could not start.
	ExitCode  int
	StartTime time.Time
	Duration  time.Duration
	// OutputBytes counts all the step printed, logged or not.
	OutputBytes int64
	// OutputTruncated is set when part of the output did not reach the log.
	OutputTruncated bool
	// Err is nil when the step succeeded, else the same *Error Run returns.
	Err error
}

// Result is what a run produced. Run returns it, with the steps that ran,
// even when it also returns an error.
type Result struct {
	// BaseCommit is the commit id the revision resolved to.
	BaseCommit string
	// Diff is the binary git diff (a/ b/ prefixes, no rename detection) from
	// BaseCommit to the work tree after the last step; nil when nothing
	// changed or a step failed.
	Diff  []byte
	Steps []StepResult
}

// Config configures a Runner. The zero value is usable.
type Config struct {
	// Root is where workspaces are created. Default
	// $TMPDIR/lookout-executor. Workers on one machine may share it.
	Root string
	// Shell runs local steps. Default bash, or sh when there is no bash.
	// Container steps always use the image's /bin/sh.
	Shell string
	// Path is PATH for local steps. Default the worker's own PATH.
	Path string
	// PassEnv names worker environment variables also given to local steps
	// (proxies, say). Nothing else of the worker's environment reaches a step.
	PassEnv []string
	// KillGrace is how long a stopped step has between SIGTERM and SIGKILL.
	// Default 5 seconds.
	KillGrace time.Duration
	// DefaultTimeLimit applies to specs without one. Default 20 minutes.
	DefaultTimeLimit time.Duration
	// MaxTimeLimit caps any spec's time limit. Default 2 hours.
	MaxTimeLimit time.Duration
	// GitTimeout bounds each git command of workspace setup and diff.
	// Default 5 minutes.
	GitTimeout time.Duration
	// StaleAfter is the age past which a workspace is a dead worker's
	// leftover. Default MaxTimeLimit + 4*GitTimeout.
	StaleAfter time.Duration
	// GitBinary defaults to git on PATH.
	GitBinary string
	// Container configures steps that name an image.
	Container ContainerConfig
	// Logger defaults to log.Scoped("executor").
	Logger log.Logger
}

// Runner runs specs. It is safe for concurrent use; each run gets its own
// workspace.
type Runner struct {
	cfg    Config
	logger log.Logger

	engineMu      sync.Mutex
	engine        *Engine
	engineErr     error
	engineChecked time.Time
}

// engineRecheck is how long an engine detection result is trusted.
const engineRecheck = time.Minute

// NewRunner checks the configuration, creates Root and removes stale
// workspaces from it.
func NewRunner(cfg Config) (*Runner, error) {
	if cfg.Root == "" {
		cfg.Root = filepath.Join(os.TempDir(), "lookout-executor")
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("executor: workspace root: %w", err)
	}
	cfg.Root = root
	if cfg.Shell == "" {
		cfg.Shell = "bash"
		if _, err := exec.LookPath("bash"); err != nil {
			cfg.Shell = "sh"
		}
	}
	if !strings.Contains(cfg.Shell, "/") {
		p, err := exec.LookPath(cfg.Shell)
		if err != nil {
			return nil, fmt.Errorf("executor: shell: %w", err)
		}
		cfg.Shell = p
	}
	if cfg.GitBinary == "" {
		cfg.GitBinary = "git"
	}
	if !strings.Contains(cfg.GitBinary, "/") {
		p, err := exec.LookPath(cfg.GitBinary)
		if err != nil {
			return nil, fmt.Errorf("executor: git binary: %w", err)
		}
		cfg.GitBinary = p
	}
	if cfg.Path == "" {
		cfg.Path = os.Getenv("PATH")
	}
	if cfg.Path == "" {
		cfg.Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, n := range cfg.PassEnv {
		if !envName.MatchString(n) {
			return nil, fmt.Errorf("executor: PassEnv: invalid variable name %q", n)
		}
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 5 * time.Second
	}
	if cfg.DefaultTimeLimit <= 0 {
		cfg.DefaultTimeLimit = 20 * time.Minute
	}
	if cfg.MaxTimeLimit <= 0 {
		cfg.MaxTimeLimit = 2 * time.Hour
	}
	if cfg.DefaultTimeLimit > cfg.MaxTimeLimit {
		cfg.DefaultTimeLimit = cfg.MaxTimeLimit
	}
	if cfg.GitTimeout <= 0 {
		cfg.GitTimeout = 5 * time.Minute
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = cfg.MaxTimeLimit + 4*cfg.GitTimeout
	}
	switch cfg.Container.Engine {
	case "", "docker", "podman", "none":
	default:
		return nil, fmt.Errorf("executor: unknown container engine %q (want docker, podman or none)", cfg.Container.Engine)
	}
	if strings.HasPrefix(cfg.Container.Network, "-") {
		return nil, fmt.Errorf("executor: invalid container network %q", cfg.Container.Network)
	}
	cfg.Container.setDefaults()
	if cfg.Logger == nil {
		cfg.Logger = log.Scoped("executor")
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return nil, fmt.Errorf("executor: creating workspace root: %w", err)
	}
	r := &Runner{cfg: cfg, logger: cfg.Logger}
	if n, err := r.RemoveStale(context.Background()); err != nil {
		r.logger.Warn("removing stale workspaces", log.Error(err))
	} else if n > 0 {
		r.logger.Info("removed stale workspaces", log.Int("count", n))
	}
	return r, nil
}

// RemoveStale deletes workspaces older than Config.StaleAfter, kills the
// processes still running in them and removes their containers; NewRunner
// calls it, and a worker may call it now and then in case another worker on
// the machine died.
func (r *Runner) RemoveStale(ctx context.Context) (int, error) {
	return removeStale(r.cfg.Root, r.cfg.StaleAfter, func(name string) { r.removeContainers(ctx, name) })
}

// removeContainers removes the containers of a dead worker's workspace: the
// engine keeps a container running when the CLI that started it dies.
func (r *Runner) removeContainers(ctx context.Context, workspace string) {
	if r.cfg.Container.Engine == "none" {
		return
	}
	engine, err := r.Engine(ctx)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, engine.Path, "ps", "--all", "--quiet", "--filter", "label="+containerLabel+"="+workspace)
	cmd.Env = engineEnv()
	out, err := cmd.Output()
	if err != nil {
		r.logger.Warn("listing a stale workspace's containers", log.String("workspace", workspace), log.Error(err))
		return
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return
	}
	cmd = exec.CommandContext(ctx, engine.Path, append([]string{"rm", "--force"}, ids...)...)
	cmd.Env = engineEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		r.logger.Warn("removing a stale workspace's containers", log.String("workspace", workspace),
			log.Error(err), log.String("output", strings.TrimSpace(string(out))))
	}
}

// Engine returns the container engine steps with an image run in, detecting
// it at most once a minute.
func (r *Runner) Engine(ctx context.Context) (*Engine, error) {
	r.engineMu.Lock()
	defer r.engineMu.Unlock()
	if !r.engineChecked.IsZero() && time.Since(r.engineChecked) < engineRecheck {
		return r.engine, r.engineErr
	}
	engine, err := DetectEngine(ctx, r.cfg.Container.Engine)
	if ctx.Err() != nil {
		// Says nothing about the engine: do not remember it.
		return nil, err
	}
	r.engine, r.engineErr, r.engineChecked = engine, err, time.Now()
	return engine, err
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// normalize fills in defaults and rejects specs no run could satisfy.
func (r *Runner) normalize(spec Spec) (Spec, error) {
	if len(spec.Steps) == 0 {
		return spec, invalidf("no steps")
	}
	for i, s := range spec.Steps {
		n := i + 1
		if strings.TrimSpace(s.Run) == "" {
			return spec, invalidf("step %d has no commands", n)
		}
		if strings.ContainsRune(s.Run, 0) {
			return spec, invalidf("step %d: script contains a NUL byte", n)
		}
		if s.Container != "" {
			if strings.HasPrefix(s.Container, "-") || strings.ContainsFunc(s.Container, func(r rune) bool { return r <= ' ' || r == 0x7f }) || len(s.Container) > 512 {
				return spec, invalidf("step %d: invalid container image %q", n, s.Container)
			}
		}
		for k, v := range s.Env {
			if !envName.MatchString(k) {
				return spec, invalidf("step %d: invalid environment variable name %q", n, k)
			}
			if k == markerEnv {
				return spec, invalidf("step %d: environment variable %s is reserved", n, k)
			}
			if strings.ContainsRune(v, 0) {
				return spec, invalidf("step %d: environment variable %s contains a NUL byte", n, k)
			}
			if s.Container != "" && reservedForEngine(k) {
				return spec, invalidf("step %d: environment variable %s cannot be set for a container step: the container engine reads it", n, k)
			}
		}
	}
	if spec.Workdir != "" {
		clean := filepath.Clean(spec.Workdir)
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsRune(clean, 0) {
			return spec, invalidf("workdir %q is not a path inside the repository", spec.Workdir)
		}
		if clean == "." {
			clean = ""
		}
		spec.Workdir = clean
	}
	if spec.TimeLimit <= 0 {
		spec.TimeLimit = r.cfg.DefaultTimeLimit
	}
	if spec.TimeLimit > r.cfg.MaxTimeLimit {
		spec.TimeLimit = r.cfg.MaxTimeLimit
	}
	if spec.OutputLimit <= 0 {
		spec.OutputLimit = DefaultOutputLimit
	}
	if spec.LogLimit <= 0 {
		spec.LogLimit = DefaultLogLimit
	}
	if spec.LogLimit > spec.OutputLimit {
		spec.LogLimit = spec.OutputLimit
	}
	if spec.DiffLimit <= 0 {
		spec.DiffLimit = DefaultDiffLimit
	}
	return spec, nil
}

// Run checks out src into a fresh workspace, runs the spec's steps in order
// and returns the diff they made. The first failing step ends the run. Every
// error is an *Error (see its Kind for the cause); the workspace is removed
// before Run returns, whatever happened. sink may be nil.
func (r *Runner) Run(ctx context.Context, src Source, spec Spec, sink Sink) (*Result, error) {
	res := &Result{}
	spec, err := r.normalize(spec)
	if err != nil {
		return res, err
	}
	ls := &lockedSink{sink: sink}
	ws, err := r.createWorkspace(ctx, src)
	if err != nil {
		if ctx.Err() != nil {
			return res, &Error{Kind: ErrCanceled, ExitCode: -1, Detail: "while setting up the workspace", Err: context.Cause(ctx)}
		}
		return res, err
	}
	defer func() {
		if err := ws.remove(); err != nil {
			r.logger.Warn("removing workspace", log.String("dir", ws.root), log.Error(err))
		}
	}()
	res.BaseCommit = ws.base

	dir := ws.work
	if spec.Workdir != "" {
		dir = filepath.Join(ws.work, spec.Workdir)
		if err := checkInside(ws.work, dir); err != nil {
			return res, invalidf("workdir %q: %v at %s", spec.Workdir, err, ws.base)
		}
	}

	deadline := time.Now().Add(spec.TimeLimit)
	for i, step := range spec.Steps {
		sr := r.runStep(ctx, ws, spec, dir, i+1, step, deadline, ls)
		res.Steps = append(res.Steps, sr)
		if sr.Err != nil {
			return res, sr.Err
		}
	}
	diff, err := r.diff(ctx, ws, spec.DiffLimit)
	if err != nil {
		if ctx.Err() != nil {
			return res, &Error{Kind: ErrCanceled, ExitCode: -1, Detail: "while computing the diff", Err: context.Cause(ctx)}
		}
		return res, err
	}
	res.Diff = diff
	return res, nil
}

// checkInside requires dir to be an existing directory that, with symlinks
// resolved, is inside top.
func checkInside(top, dir string) error {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return errors.New("no such directory")
	}
	realTop, err := filepath.EvalSymlinks(top)
	if err != nil {
		return err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(realTop, realDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return errors.New("leads outside the repository")
	}
	return nil
}

// runStep runs one step and reports it to the sink; its result's Err is set
// when the run must stop.
func (r *Runner) runStep(ctx context.Context, ws *workspace, spec Spec, dir string, n int, step Step, deadline time.Time, ls *lockedSink) (sr StepResult) {
	sr = StepResult{Step: n, Image: step.Container, ExitCode: -1, StartTime: time.Now()}
	out := newStepOutput(n, outputLimits{
		hard: spec.OutputLimit, log: spec.LogLimit, tail: LogTail, maxLine: maxLine, idleFlush: 500 * time.Millisecond,
	}, ls)
	started := false
	defer func() {
		sr.Duration = time.Since(sr.StartTime)
		sr.OutputBytes = out.total.Load()
		sr.OutputTruncated = out.truncated() || sr.OutputBytes > spec.OutputLimit
		if sr.Err != nil {
			if !started {
				ls.started(StepStart{Step: n, Image: step.Container, Time: sr.StartTime})
			}
			out.system(sr.Err.Error())
		}
		ls.finished(sr)
	}()

	if err := ctx.Err(); err != nil {
		sr.Err = &Error{Kind: ErrCanceled, Step: n, ExitCode: -1, Err: context.Cause(ctx)}
		return sr
	}
	if !time.Now().Before(deadline) {
		sr.Err = &Error{Kind: ErrTimeLimit, Step: n, ExitCode: -1,
			Detail: fmt.Sprintf("the time limit of %s was used up before the step started", spec.TimeLimit)}
		return sr
	}

	script := filepath.Join(ws.steps, fmt.Sprintf("step-%d.sh", n))
	// A spec written on Windows would otherwise end every command with \r.
	body := strings.ReplaceAll(step.Run, "\r\n", "\n")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		sr.Err = &Error{Kind: ErrSetup, Step: n, ExitCode: -1, Detail: "writing the step's script", Err: err}
		return sr
	}

	marker := randomHex(12)
	var p process
	var display []string
	var note string
	if step.Container != "" {
		engine, err := r.Engine(ctx)
		switch {
		case err == nil:
			p, err = r.containerProcess(engine, ws, spec, step, script, marker)
			if err != nil {
				sr.Err = &Error{Kind: ErrSetup, Step: n, ExitCode: -1, Detail: "preparing the container", Err: err}
				return sr
			}
			display = append([]string{engine.Name}, p.argv[1:]...)
		case r.cfg.Container.Fallback && !spec.RequireContainer:
			note = fmt.Sprintf("running the step as a local process instead of in image %s: %v", step.Container, err)
		default:
			e := &Error{Kind: ErrNoContainerEngine, Step: n, ExitCode: -1,
				Detail: fmt.Sprintf("the step names image %s", step.Container), Err: err}
			var de *Error
			if errors.As(err, &de) && de.Kind == ErrNoContainerEngine {
				e.Detail += ", but " + de.Detail
				e.Err = nil
			}
			sr.Err = e
			return sr
		}
	}
	if p.argv == nil {
		p = process{
			argv:        []string{r.cfg.Shell, "-e", script},
			env:         r.localEnv(ws, step, marker),
			dir:         dir,
			markerValue: marker,
		}
		display = []string{filepath.Base(r.cfg.Shell), "-e", filepath.Base(script)}
	}

	started = true
	ls.started(StepStart{Step: n, Command: display, Image: step.Container, Time: sr.StartTime})
	if note != "" {
		out.system(note)
	}
	res, err := supervise(ctx, p, deadline, r.cfg.KillGrace, out)
	sr.ExitCode = res.exitCode
	switch {
	case err != nil:
		sr.Err = &Error{Kind: ErrSetup, Step: n, ExitCode: -1, Detail: "running the step", Err: err}
	case res.stopped == ErrTimeLimit:
		sr.Err = &Error{Kind: ErrTimeLimit, Step: n, ExitCode: -1,
			Detail: fmt.Sprintf("the steps ran longer than the time limit of %s; the step was stopped", spec.TimeLimit)}
	case res.stopped == ErrOutputLimit:
		sr.Err = &Error{Kind: ErrOutputLimit, Step: n, ExitCode: -1,
			Detail: fmt.Sprintf("the step printed more than %s; it was stopped", formatBytes(spec.OutputLimit))}
	case res.stopped == ErrCanceled:
		sr.Err = &Error{Kind: ErrCanceled, Step: n, ExitCode: -1, Detail: "the step was stopped", Err: res.cause}
	case res.exitCode != 0:
		detail := fmt.Sprintf("exit code %d", res.exitCode)
		if res.signal != 0 {
			detail = "killed by signal " + res.signal.String()
		} else if res.exitCode == 137 && step.Container != "" && p.forceStop != nil {
			// The engine reports a container killed by the kernel this way.
			detail += fmt.Sprintf(" (killed: out of memory? the limit is %s)", formatBytes(r.cfg.Container.Memory))
		}
		sr.Err = &Error{Kind: ErrStepFailed, Step: n, ExitCode: res.exitCode, Detail: detail}
	}
	return sr
}

// localEnv is a local step's whole environment: a few basics, the names in
// PassEnv, the step's own variables and the marker.
func (r *Runner) localEnv(ws *workspace, step Step, marker string) []string {
	vars := map[string]string{
		"PATH":   r.cfg.Path,
		"HOME":   ws.home,
		"TMPDIR": ws.tmp,
		"LANG":   "C.UTF-8",
	}
	for _, k := range r.cfg.PassEnv {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range step.Env {
		vars[k] = v
	}
	vars[markerEnv] = marker
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// containerProcess runs the step through the engine's CLI. The CLI's
// environment carries the step's variables for its -e NAME flags.
func (r *Runner) containerProcess(engine *Engine, ws *workspace, spec Spec, step Step, script, marker string) (process, error) {
	names := make([]string, 0, len(step.Env))
	for k := range step.Env {
		names = append(names, k)
	}
	cs := containerStep{
		name:     "lookout-step-" + marker,
		image:    step.Container,
		hostWork: ws.work,
		script:   script,
		workdir:  filepath.ToSlash(spec.Workdir),
		envNames: names,
		uid:      os.Getuid(),
		gid:      os.Getgid(),
		label:    ws.name,
	}
	args, err := containerArgs(engine.Name, r.cfg.Container, cs)
	if err != nil {
		return process{}, err
	}
	env := engineEnv()
	for k, v := range step.Env {
		env = append(env, k+"="+v)
	}
	env = append(env, markerEnv+"="+marker)
	return process{
		argv:        append([]string{engine.Path}, args...),
		env:         env,
		dir:         ws.root,
		markerValue: marker,
		forceStop: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, engine.Path, "rm", "--force", cs.name)
			cmd.Env = engineEnv()
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if out, err := cmd.CombinedOutput(); err != nil {
				r.logger.Warn("removing a stopped step's container", log.String("container", cs.name),
					log.Error(err), log.String("output", strings.TrimSpace(string(out))))
			}
		},
	}, nil
}
