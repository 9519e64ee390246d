//go:build !linux

package executor

import (
	"errors"
	"syscall"
)

// waitExited is not available: supervise falls back to reaping the leader
// before it kills the rest of the group.
func waitExited(pid int) error { return errors.ErrUnsupported }

// killMarked needs /proc; elsewhere only the process group is killed.
func killMarked(marker string) {}

// killProcessesUnder needs /proc; elsewhere stale processes are left alone.
func killProcessesUnder(dir string) {}

// newSysProcAttr puts a step in its own process group.
func newSysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
