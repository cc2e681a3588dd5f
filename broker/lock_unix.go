//go:build unix

package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// dirLock holds an exclusive flock on a file in the data dir. Two brokers
// writing one data dir would corrupt each other's segments; the kernel drops
// the lock when the process dies, so a killed broker never leaves it stale.
type dirLock struct{ f *os.File }

const lockFile = "velo-broker.lock"

func lockDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New("in use by another broker")
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) unlock() {
	// Closing the file releases the flock; the file itself stays so that
	// the data dir's listing does not change between runs.
	l.f.Close()
}
