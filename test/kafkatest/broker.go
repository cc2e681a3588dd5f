package kafkatest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readyPrefix is what `velo broker` prints on stdout once it accepts
// connections, followed by its address.
const readyPrefix = "velo broker listening on "

// waitLimit bounds how long a helper waits for a broker to come up or go
// down, so that a hung process fails the test with its logs instead of
// hanging it until the go test timeout. It is not a performance check.
const waitLimit = 60 * time.Second

// BrokerOpt configures StartBroker.
type BrokerOpt func(*brokerOpts)

type brokerOpts struct {
	dataDir    string
	inMemory   bool
	partitions int
	extra      []string
}

// WithDataDir makes the broker keep its data in dir (default: a fresh
// t.TempDir, so that Restart finds the data again).
func WithDataDir(dir string) BrokerOpt { return func(o *brokerOpts) { o.dataDir = dir } }

// InMemory runs the broker without a data dir: Restart then starts empty.
func InMemory() BrokerOpt { return func(o *brokerOpts) { o.inMemory = true } }

// WithPartitions sets the partition count of auto-created topics (default 3).
func WithPartitions(n int) BrokerOpt { return func(o *brokerOpts) { o.partitions = n } }

// WithArgs appends raw arguments to `velo broker` (e.g. "--log-level", "debug").
func WithArgs(args ...string) BrokerOpt {
	return func(o *brokerOpts) { o.extra = append(o.extra, args...) }
}

// Proc is a `velo broker` process started by StartBroker.
type Proc struct {
	t    testing.TB
	bin  string
	args []string // everything but --addr
	addr string
	dir  string

	mu  sync.Mutex
	run *run // the current process; nil before the first start
}

// run is one life of the process: Restart starts a new one.
type run struct {
	cmd    *exec.Cmd
	stderr *LockedBuffer
	ready  chan string   // the address, once printed
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done closes
}

// StartBroker builds velo (once), runs `velo broker --addr 127.0.0.1:0` with
// a data dir in t.TempDir(), and returns once the broker has printed its
// ready line. The process is ended when the test finishes.
func StartBroker(t testing.TB, opts ...BrokerOpt) *Proc {
	t.Helper()
	o := brokerOpts{partitions: 3}
	for _, opt := range opts {
		opt(&o)
	}
	args := []string{"broker", "--partitions", strconv.Itoa(o.partitions)}
	dir := ""
	if !o.inMemory {
		dir = o.dataDir
		if dir == "" {
			dir = t.TempDir()
		}
		args = append(args, "--data-dir", dir)
	}
	args = append(args, o.extra...)
	p := &Proc{t: t, bin: BuildVelo(t), args: args, dir: dir}
	// Registered before the start so that a start that fails half way
	// still has its process ended.
	t.Cleanup(p.cleanup)
	p.start("127.0.0.1:0")
	return p
}

// Addr is the broker's address (host:port); it stays the same across Restart.
func (p *Proc) Addr() string { return p.addr }

// DataDir is the broker's data dir, or "" for an in-memory broker.
func (p *Proc) DataDir() string { return p.dir }

// Stderr returns what the broker has logged so far in its current life.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil {
		return ""
	}
	return p.run.stderr.String()
}

// Stop sends SIGTERM and waits for the broker to exit. It returns nil only
// if the process exited with status 0, which for `velo broker` means its
// data was flushed.
func (p *Proc) Stop() error { return p.stopWith(syscall.SIGTERM) }

// stopWith is Stop with another signal (tests also check SIGINT).
func (p *Proc) stopWith(sig syscall.Signal) error {
	r := p.current()
	select {
	case <-r.done:
		return r.err
	default:
	}
	if err := r.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kafkatest: %v to broker: %w", sig, err)
	}
	select {
	case <-r.done:
		return r.err
	case <-time.After(waitLimit):
		r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("kafkatest: broker did not exit within %v of %v; killed\nstderr:\n%s", waitLimit, sig, r.stderr)
	}
}

// Kill sends SIGKILL and waits for the process to be gone, as a crash would
// leave it: nothing is flushed.
func (p *Proc) Kill() {
	p.t.Helper()
	r := p.current()
	r.cmd.Process.Kill()
	<-r.done
}

// Restart stops the broker (SIGTERM; the test fails if that does not exit
// 0) unless it is already stopped or killed, and starts it again on the same
// address and with the same data dir.
func (p *Proc) Restart() {
	p.t.Helper()
	if err := p.Stop(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !killed(ee) {
			p.t.Fatalf("kafkatest: restart: stopping broker: %v\nstderr:\n%s", err, p.Stderr())
		}
	}
	p.start(p.addr)
}

// killed reports whether an exit came from SIGKILL, i.e. from Kill.
func killed(ee *exec.ExitError) bool {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func (p *Proc) current() *run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run
}

func (p *Proc) start(addr string) {
	p.t.Helper()
	r := &run{
		stderr: &LockedBuffer{},
		ready:  make(chan string, 1),
		done:   make(chan struct{}),
	}
	r.cmd = exec.Command(p.bin, append(p.args, "--addr", addr)...)
	r.cmd.Stdout = &readyWriter{ready: r.ready}
	r.cmd.Stderr = r.stderr
	r.cmd.SysProcAttr = sysProcAttr()
	if err := r.cmd.Start(); err != nil {
		p.t.Fatalf("kafkatest: start %s: %v", p.bin, err)
	}
	p.mu.Lock()
	p.run = r
	p.mu.Unlock()
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()

	select {
	case got := <-r.ready:
		if addr != "127.0.0.1:0" && got != addr {
			p.t.Fatalf("kafkatest: broker restarted on %s; want %s", got, addr)
		}
		p.addr = got
	case <-r.done:
		p.t.Fatalf("kafkatest: velo %s exited before it was ready: %v\nstderr:\n%s",
			strings.Join(r.cmd.Args[1:], " "), r.err, r.stderr)
	case <-time.After(waitLimit):
		p.t.Fatalf("kafkatest: velo broker printed no ready line within %v\nstderr:\n%s", waitLimit, r.stderr)
	}
}

// cleanup ends the process however the test left it, and shows the broker's
// logs when the test failed.
func (p *Proc) cleanup() {
	r := p.current()
	if r == nil {
		return
	}
	select {
	case <-r.done:
	default:
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(waitLimit):
			r.cmd.Process.Kill()
			<-r.done
		}
	}
	if p.t.Failed() {
		p.t.Logf("velo broker stderr (last run):\n%s", r.stderr)
	}
}

// readyWriter watches stdout for the ready line.
type readyWriter struct {
	line  bytes.Buffer
	ready chan string
	sent  bool
}

func (w *readyWriter) Write(b []byte) (int, error) {
	if w.sent {
		return len(b), nil
	}
	w.line.Write(b)
	for {
		line, err := w.line.ReadString('\n')
		if err != nil {
			// An incomplete line: keep it for the next write.
			w.line.Reset()
			w.line.WriteString(line)
			return len(b), nil
		}
		if addr, ok := strings.CutPrefix(strings.TrimSpace(line), readyPrefix); ok {
			w.ready <- addr
			w.sent = true
			return len(b), nil
		}
	}
}
