//go:build !unix

package broker

// dirLock is a no-op where flock does not exist (Windows): there, nothing
// stops two brokers from sharing a data dir, and the package doc says so.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) unlock() {}
