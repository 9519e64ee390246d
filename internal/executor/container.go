package executor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ContainerConfig configures steps that name an image.
type ContainerConfig struct {
	// Engine is "docker", "podman", "" to try docker then podman, or "none"
	// to run no containers.
	Engine string
	// CPUs is the CPU quota per step (--cpus). Default 1.
	CPUs float64
	// Memory is the memory limit per step in bytes (--memory, and
	// --memory-swap with the same value so it cannot swap). Default 2 GiB.
	Memory int64
	// PidsLimit bounds the processes of a step (--pids-limit). Default 1024.
	PidsLimit int
	// Network is the --network mode. Default "none": steps change code, they
	// need no network unless an operator says so.
	Network string
	// Fallback runs a step that names an image as a local process when no
	// engine is available, instead of failing it with ErrNoContainerEngine.
	Fallback bool
}

func (c *ContainerConfig) setDefaults() {
	if c.CPUs <= 0 {
		c.CPUs = 1
	}
	if c.Memory <= 0 {
		c.Memory = 2 << 30
	}
	if c.PidsLimit <= 0 {
		c.PidsLimit = 1024
	}
	if c.Network == "" {
		c.Network = "none"
	}
}

// Engine is a container engine CLI whose engine answered.
type Engine struct {
	Name string // "docker" or "podman"
	Path string // the CLI binary
}

// engineEnv is what the engine CLI inherits from the worker: what it needs to
// find its daemon, configuration and registry credentials, nothing else.
var engineEnvNames = []string{
	"PATH", "HOME", "TMPDIR", "USER",
	"DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY",
	"CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINERS_CONF", "CONTAINERS_REGISTRIES_CONF",
	"CONTAINERS_STORAGE_CONF", "REGISTRY_AUTH_FILE",
	"XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
}

// reservedForEngine reports whether a step's env name would change how the
// engine CLI itself behaves: step values reach the container through the
// CLI's environment (-e NAME), so such names are refused for container steps.
func reservedForEngine(name string) bool {
	for _, n := range engineEnvNames {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	upper := strings.ToUpper(name)
	for _, p := range []string{"DOCKER_", "CONTAINER_", "CONTAINERS_", "PODMAN_", "BUILDAH_", "XDG_", "REGISTRY_", "SSL_", "LD_", "GODEBUG", "GOTRACEBACK"} {
		if strings.HasPrefix(upper, p) {
			return true
		}
	}
	return false
}

func engineEnv() []string {
	var env []string
	for _, k := range engineEnvNames {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// DetectEngine finds a container engine whose CLI is on PATH and whose engine
// answers `info`. name is "docker", "podman" or "" for either (docker first).
// A CLI without a running engine does not count: the error, an *Error of
// kind ErrNoContainerEngine, then says why.
func DetectEngine(ctx context.Context, name string) (*Engine, error) {
	names := []string{"docker", "podman"}
	switch name {
	case "":
	case "docker", "podman":
		names = []string{name}
	case "none":
		return nil, &Error{Kind: ErrNoContainerEngine, ExitCode: -1, Detail: "container steps are disabled (engine \"none\")"}
	default:
		return nil, fmt.Errorf("unknown container engine %q (want docker or podman)", name)
	}
	var reasons []string
	for _, n := range names {
		bin, err := exec.LookPath(n)
		if err != nil {
			reasons = append(reasons, n+": not found on PATH")
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		// Some CLI versions exit 0 from info with the server's error in
		// the output, so an empty server version also means no engine.
		format := "{{.ServerVersion}}"
		if n == "podman" {
			format = "{{.Version.Version}}"
		}
		cmd := exec.CommandContext(cctx, bin, "info", "--format", format)
		cmd.Env = engineEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout = &limitedWriter{w: &stdout, n: 4 << 10}
		cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
		err = cmd.Run()
		cancel()
		if err == nil && strings.TrimSpace(stdout.String()) != "" {
			return &Engine{Name: n, Path: bin}, nil
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		reasons = append(reasons, fmt.Sprintf("%s: engine not answering: %s", n, msg))
	}
	return nil, &Error{Kind: ErrNoContainerEngine, ExitCode: -1, Detail: strings.Join(reasons, "; ")}
}

// containerLabel names a container's workspace, so the janitor can find the
// containers of a dead worker.
const containerLabel = "lookout.executor.workspace"

// Paths inside the container.
const (
	containerWork   = "/work"
	containerScript = "/lookout/step.sh"
)

// containerStep is what is needed to build a container step's argv.
type containerStep struct {
	name     string // container name, so it can be removed if the CLI is killed
	image    string
	hostWork string // the repository checkout, mounted at /work
	script   string // the step's script on the host, mounted read-only
	workdir  string // relative directory inside the checkout, "" for the top
	envNames []string
	uid, gid int
	label    string // workspace name, for finding containers of dead workers
}

// containerArgs builds the engine's argv (without the binary). Env values are
// never on it: each -e NAME takes its value from the CLI's own environment.
func containerArgs(engine string, cfg ContainerConfig, s containerStep) ([]string, error) {
	for _, p := range []string{s.hostWork, s.script} {
		// --mount is comma-separated key=value pairs.
		if strings.ContainsAny(p, ",\"\n") || !path.IsAbs(p) {
			return nil, fmt.Errorf("workspace path %q cannot be mounted into a container", p)
		}
	}
	workdir := containerWork
	if s.workdir != "" {
		workdir = path.Join(containerWork, s.workdir)
	}
	args := []string{
		"run", "--rm",
		"--name", s.name,
		"--label", containerLabel + "=" + s.label,
		"--network", cfg.Network,
		"--cpus", strconv.FormatFloat(cfg.CPUs, 'f', -1, 64),
		"--memory", strconv.FormatInt(cfg.Memory, 10),
		"--memory-swap", strconv.FormatInt(cfg.Memory, 10),
		"--pids-limit", strconv.Itoa(cfg.PidsLimit),
		"--security-opt", "no-new-privileges",
		"--cap-drop", "ALL",
	}
	if engine == "podman" && s.uid != 0 {
		// Rootless podman: keep-id maps the worker's user to itself inside
		// the container, so files written to /work stay the worker's.
		args = append(args, "--userns", "keep-id")
	} else {
		args = append(args, "--user", fmt.Sprintf("%d:%d", s.uid, s.gid))
	}
	args = append(args,
		"--mount", "type=bind,source="+s.hostWork+",target="+containerWork,
		"--mount", "type=bind,source="+s.script+",target="+containerScript+",readonly",
		"--workdir", workdir,
		// A user without a passwd entry would get HOME=/, which it cannot
		// write; a constant, not a secret, so it may be on the command line.
		"--env", "HOME=/tmp",
	)
	names := append([]string(nil), s.envNames...)
	sort.Strings(names)
	for _, n := range names {
		args = append(args, "--env", n)
	}
	// The image's entrypoint would otherwise receive the script as arguments.
	args = append(args, "--entrypoint", "/bin/sh", s.image, "-e", containerScript)
	return args, nil
}

// limitedWriter keeps at most n bytes.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		if len(p) > room {
			l.w.Write(p[:room])
		} else {
			l.w.Write(p)
		}
	}
	return len(p), nil
}
