package mariadbtest

import "syscall"

// sysProcAttr kills the server when the test process dies (a test timeout,
// a crash), so that no server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
