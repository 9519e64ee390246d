package vcs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/redact"
)

var gitDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "lookout_vcs_git_command_duration_seconds",
	Help:    "Duration of git commands run by the mirror cache, by subcommand and outcome.",
	Buckets: []float64{0.005, 0.02, 0.1, 0.5, 2, 10, 60, 300},
}, []string{"command", "status"})

// CommandError is a git command that failed. Args and Stderr are redacted.
type CommandError struct {
	Args     []string
	ExitCode int // -1 when the process did not exit normally (killed, not started)
	Stderr   string
	Err      error
}

func (e *CommandError) Error() string {
	var b strings.Builder
	b.WriteString("git")
	for _, a := range e.Args {
		if len(b.String()) > 200 {
			b.WriteString(" ...")
			break
		}
		b.WriteByte(' ')
		b.WriteString(a)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// gitCmd describes one git invocation.
type gitCmd struct {
	gitDir  string   // passed as --git-dir; empty for none
	config  []string // "key=value" passed with -c (never secrets)
	args    []string
	stdin   io.Reader
	env     []string // extra environment
	remote  *remote  // sets up the credential helper and redaction
	timeout time.Duration
}

// allowedEnv are inherited from the process environment; everything else is
// dropped so that no GIT_DIR, GIT_INDEX_FILE or askpass program leaks in.
var allowedEnv = []string{
	"PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH",
	"SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "GIT_SSH",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH",
}

// credentialHelper is a credential helper defined in the environment: git runs
// it through the shell, and it prints the username and secret from environment
// variables only for "get", so nothing is stored anywhere.
const credentialHelper = `!f() { test "$1" = get || return 0; printf 'username=%s\npassword=%s\n' "${LOOKOUT_GIT_USERNAME:-git}" "$LOOKOUT_GIT_PASSWORD"; }; f`

func (c *Cache) baseEnv() []string {
	env := make([]string, 0, 32)
	for _, k := range allowedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	protocols := "https:http:ssh:git"
	if c.opts.AllowLocal {
		protocols += ":file"
	}
	env = append(env,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=", // set but empty: git then neither asks nor falls back to SSH_ASKPASS
		"GIT_LITERAL_PATHSPECS=1",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_ALLOW_PROTOCOL="+protocols,
		"LC_ALL=C",
	)
	if _, ok := os.LookupEnv("GIT_SSH_COMMAND"); !ok {
		env = append(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
	}
	return env
}

// command builds the exec.Cmd. The process runs in its own process group, and
// cancelling ctx kills the whole group (git spawns helpers such as
// index-pack and remote-https that would otherwise outlive it).
func (c *Cache) command(ctx context.Context, g *gitCmd) *exec.Cmd {
	args := make([]string, 0, len(g.args)+2*len(g.config)+1)
	if g.gitDir != "" {
		args = append(args, "--git-dir="+g.gitDir)
	}
	for _, kv := range g.config {
		args = append(args, "-c", kv)
	}
	args = append(args, g.args...)
	cmd := exec.CommandContext(ctx, c.opts.GitBinary, args...)
	cmd.Env = append(c.baseEnv(), g.env...)
	if g.remote != nil && g.remote.cred != nil && g.remote.scope != "" {
		cmd.Env = append(cmd.Env,
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=credential."+g.remote.scope+".helper",
			"GIT_CONFIG_VALUE_0="+credentialHelper,
			"LOOKOUT_GIT_USERNAME="+g.remote.cred.Username,
			"LOOKOUT_GIT_PASSWORD="+g.remote.cred.Password,
		)
	}
	if g.gitDir != "" {
		cmd.Dir = g.gitDir
	}
	cmd.Stdin = g.stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// Bounds the wait for stdout/stderr copying after the process is gone, in
	// case a grandchild keeps a pipe open.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// limitedBuffer keeps the first max bytes written to it, so a chatty command
// cannot exhaust memory through stderr.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }

// run runs a git command to completion and returns its stdout.
func (c *Cache) run(ctx context.Context, g *gitCmd) ([]byte, error) {
	timeout := g.timeout
	if timeout == 0 {
		timeout = c.opts.CommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := c.command(ctx, g)
	var stdout bytes.Buffer
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	start := time.Now()
	err := cmd.Run()
	c.observe(g, start, err)
	if err != nil {
		return stdout.Bytes(), c.commandError(ctx, g, err, stderr.String())
	}
	return stdout.Bytes(), nil
}

func (c *Cache) observe(g *gitCmd, start time.Time, err error) {
	status := "ok"
	if err != nil {
		status = "error"
	}
	gitDuration.WithLabelValues(subcommand(g.args), status).Observe(time.Since(start).Seconds())
	if c.logger != nil && time.Since(start) > c.opts.SlowCommand {
		c.logger.Debug("slow git command",
			log.String("command", subcommand(g.args)),
			log.String("gitDir", g.gitDir),
			log.Duration("duration", time.Since(start)))
	}
}

func (c *Cache) commandError(ctx context.Context, g *gitCmd, err error, stderr string) error {
	redact := func(s string) string {
		if g.remote != nil {
			return g.remote.redact(s)
		}
		return redact.Credentials(s)
	}
	ce := &CommandError{ExitCode: -1, Stderr: redact(stderr), Err: err}
	for _, a := range g.args {
		ce.Args = append(ce.Args, redact(a))
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		ce.ExitCode = exitErr.ExitCode()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// Report the cause (deadline or cancellation) so callers can tell a
		// timeout from a git failure with errors.Is.
		ce.Err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return ce
}

// subcommand is the metric label for a command: its first non-option argument.
func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "unknown"
}

// errStopped is returned by a stream callback when its consumer stopped early.
var errStopped = errors.New("stopped by caller")

// stream runs a git command and hands its stdout to fn as it is produced. If
// fn returns an error the process is killed and fn's error returned;
// otherwise the command's own failure, if any, is.
func (c *Cache) stream(ctx context.Context, g *gitCmd, fn func(*bufio.Reader) error) error {
	timeout := g.timeout
	if timeout == 0 {
		timeout = c.opts.CommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := c.command(ctx, g)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("git %s: %w", subcommand(g.args), err)
	}
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return c.commandError(ctx, g, err, "")
	}
	fnErr := fn(bufio.NewReaderSize(stdout, 64<<10))
	if fnErr != nil {
		cancel()
	} else {
		// Drain so that git is not blocked writing (normally nothing is left).
		_, _ = io.Copy(io.Discard, stdout)
	}
	waitErr := cmd.Wait()
	if fnErr != nil {
		c.observe(g, start, nil)
		return fnErr
	}
	c.observe(g, start, waitErr)
	if waitErr != nil {
		return c.commandError(ctx, g, waitErr, stderr.String())
	}
	return nil
}
