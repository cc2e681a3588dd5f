package link_test

import "syscall"

// sysProcAttr has the kernel kill the link if the test binary dies
// without running its cleanups, so no link outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
