package kafkatest

import "syscall"

// sysProcAttr has the kernel kill the broker if the test binary dies
// without running its cleanups (a panic in another goroutine, go test's
// timeout), so no broker outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
