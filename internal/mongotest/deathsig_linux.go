package mongotest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the server when the test binary dies without
// closing it (a test timeout, a crash), so no server outlives its tests.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
