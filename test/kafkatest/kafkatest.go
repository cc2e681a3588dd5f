// Package kafkatest runs Velostream's dev broker and kcat as real processes
// for integration tests in other packages.
//
// It takes a testing.TB and gives:
//   - BuildVelo: the path of a velo binary built from this checkout, once per
//     test binary;
//   - StartBroker: a `velo broker` process on a free loopback port, with a
//     data dir, that can be stopped (SIGTERM), killed (SIGKILL) and restarted
//     on the same port; every process is ended by t.Cleanup;
//   - Produce, Consume, ConsumeGroup: kcat (librdkafka) as an independent
//     client, so that what velo writes is checked by a client velo does not
//     share code with.
//
// Helpers fail the test (t.Fatal) rather than return errors: their callers
// are tests, and a missing tool or a dead broker is a failure, never a skip.
package kafkatest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// BuildVelo builds ./cmd/velo into bin/velo-test at the module root once per
// test binary and returns its path.
func BuildVelo(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { buildPath, buildErr = buildVelo() })
	if buildErr != nil {
		t.Fatalf("kafkatest: build velo: %v", buildErr)
	}
	return buildPath
}

func buildVelo() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	// Test binaries of several packages build at once; each links to its
	// own file and renames it into place, so none ever executes a binary
	// another is still writing.
	tmp, err := os.CreateTemp(bin, "velo-test-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command("go", "build", "-o", tmp.Name(), "./cmd/velo")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/velo: %w\n%s", err, out)
	}
	dst := filepath.Join(bin, "velo-test")
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	return dst, nil
}

// moduleRoot asks the go command, so it works from any package directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (go env GOMOD = %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// LockedBuffer collects a process's output while it runs and tests read it
// (a bytes.Buffer safe for one writer and concurrent readers).
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
