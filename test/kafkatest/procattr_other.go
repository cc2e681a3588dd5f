//go:build !linux

package kafkatest

import "syscall"

// sysProcAttr: only Linux can tie a child's life to its parent's; elsewhere
// t.Cleanup alone ends the broker.
func sysProcAttr() *syscall.SysProcAttr { return nil }
