package main

import "golang.org/x/sys/unix"

// hardenProcess makes the worker non-dumpable, so campaign steps running as the same user
// cannot read its environment (database URLs, keys) through /proc/<pid>/environ or
// attach to it with ptrace.
func hardenProcess() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
