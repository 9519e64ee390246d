//go:build linux

package executor

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// newSysProcAttr puts a step in its own process group, and has the kernel
// kill it if the worker dies, so a crashed worker does not leave it running
// unsupervised (whatever it started is found by RemoveStale later).
func newSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitExited blocks until process pid has exited, leaving it unreaped.
func waitExited(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// killMarked kills every process whose environment holds marker
// ("NAME=value"). A step's children inherit it, so this finds those that left
// the step's process group (setsid, a daemonising tool) as long as they did
// not also replace their environment. It repeats until a scan finds none, so
// a process forking while it is killed is caught too.
func killMarked(marker string) {
	needle := []byte(marker + "\x00")
	for round := 0; round < 5; round++ {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		found := false
		self := os.Getpid()
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || len(env) == 0 {
				continue
			}
			if bytes.HasPrefix(env, needle) || bytes.Contains(env, append([]byte{0}, needle...)) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				found = true
			}
		}
		if !found {
			return
		}
	}
}

// killProcessesUnder kills every process whose working directory is dir or
// below it: what a dead worker's steps left running in its workspace.
func killProcessesUnder(dir string) {
	for round := 0; round < 5; round++ {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		found := false
		self := os.Getpid()
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self {
				continue
			}
			cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
			if err != nil || (cwd != dir && !strings.HasPrefix(cwd, dir+"/")) {
				continue
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
			found = true
		}
		if !found {
			return
		}
	}
}
