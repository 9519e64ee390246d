//go:build !linux

package executor

import "errors"

// waitExited is not available: supervise falls back to reaping the leader
// before it kills the rest of the group.
func waitExited(pid int) error { return errors.ErrUnsupported }

// killMarked needs /proc; elsewhere only the process group is killed.
func killMarked(marker string) {}
