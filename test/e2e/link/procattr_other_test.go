//go:build !linux

package link_test

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
