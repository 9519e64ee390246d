package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// process is one step's child process: a shell, or a container engine's CLI.
type process struct {
	argv []string
	env  []string
	dir  string
	// markerValue is the value of markerEnv in the process's environment,
	// unique to this step, used to find processes that left its group.
	markerValue string
	// forceStop, if set, is called (once) when the step is stopped, to tear
	// down what killing the process group does not reach (a container).
	forceStop func()
}

// outcome is how a process ended.
type outcome struct {
	exitCode int // -1 when killed by a signal
	signal   syscall.Signal
	// stopped is ErrTimeLimit, ErrOutputLimit or ErrCanceled when the runner
	// stopped the process, nil when it exited by itself.
	stopped error
	cause   error // the context error behind ErrCanceled
}

// markerEnv is set in every step's environment; see killMarked.
const markerEnv = "LOOKOUT_EXECUTOR_STEP"

// supervise runs p with its output going to out until it exits, the deadline
// passes, ctx is done or the output limit is exceeded. The process leads its
// own process group; a stopped step gets SIGTERM, then SIGKILL after grace.
// Whatever way it ends, every process left in its group, and every process
// carrying its marker, is killed before supervise returns, so nothing of a
// step outlives it.
func supervise(ctx context.Context, p process, deadline time.Time, grace time.Duration, out *stepOutput) (outcome, error) {
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return outcome{}, fmt.Errorf("creating stdout pipe: %w", err)
	}
	defer stdoutR.Close()
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutW.Close()
		return outcome{}, fmt.Errorf("creating stderr pipe: %w", err)
	}
	defer stderrR.Close()

	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = p.env
	cmd.Dir = p.dir
	// Files rather than writers: exec then hands the pipes to the child
	// directly, and Wait does not wait for grandchildren that keep them open.
	cmd.Stdout = stdoutW
	cmd.Stderr = stderrW
	cmd.SysProcAttr = newSysProcAttr()
	// The parent-death signal (see newSysProcAttr) fires when the thread that
	// started the child exits, not the process: keep this goroutine on its
	// thread until the step is over so the runtime cannot retire it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err = cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		return outcome{}, fmt.Errorf("starting %s: %w", p.argv[0], err)
	}
	pgid := cmd.Process.Pid

	var wg sync.WaitGroup
	var readers [2]*streamReader
	wg.Add(2)
	go func() { defer wg.Done(); readers[0] = out.read(stdoutR, Stdout) }()
	go func() { defer wg.Done(); readers[1] = out.read(stderrR, Stderr) }()

	// Wait for the leader to exit without reaping it, so its pid, which
	// names the group, cannot be reused before the group is killed.
	exited := make(chan struct{})
	var reaped bool
	var waitErr error
	go func() {
		if err := waitExited(pgid); err != nil {
			waitErr = cmd.Wait()
			reaped = true
		}
		close(exited)
	}()

	var once sync.Once
	forceStop := func() {
		if p.forceStop != nil {
			once.Do(p.forceStop)
		}
	}

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var res outcome
	select {
	case <-exited:
	case <-timer.C:
		res.stopped = ErrTimeLimit
	case <-ctx.Done():
		res.stopped, res.cause = ErrCanceled, context.Cause(ctx)
	case <-out.exceeded:
		res.stopped = ErrOutputLimit
	}
	if res.stopped != nil {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		graceTimer := time.NewTimer(grace)
		select {
		case <-exited:
		case <-graceTimer.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			forceStop()
			<-exited
		}
		graceTimer.Stop()
		forceStop()
	}

	// The leader is gone (a zombie, still holding the group's id): kill
	// whatever it left running, then reap it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	killMarked(markerEnv + "=" + p.markerValue)
	if !reaped {
		waitErr = cmd.Wait()
	}
	// Data still in the pipes is read at once; a process that escaped both
	// the group and the marker sweep must not keep the step open.
	out.stopReading(2*time.Second, stdoutR, stderrR)
	wg.Wait()
	out.finish(readers[0], readers[1])

	res.exitCode = -1
	if st := cmd.ProcessState; st != nil {
		res.exitCode = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.signal = ws.Signal()
		}
	} else if waitErr != nil {
		return res, fmt.Errorf("waiting for %s: %w", p.argv[0], waitErr)
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return res, fmt.Errorf("waiting for %s: %w", p.argv[0], waitErr)
	}
	return res, nil
}
