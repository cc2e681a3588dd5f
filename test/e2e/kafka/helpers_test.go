// Package kafka_test runs `velo run` as a process against `velo broker`
// processes, with kcat as the independent client that produces the input
// and reads the output: the Kafka connectors end to end, including a
// query killed with SIGKILL and a broker restarted under a running query.
package kafka_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/velostream/velostream/test/kafkatest"
)

// waitLimit bounds waits for a process or a topic, so that a hang fails
// the test with logs. It is not a performance check.
const waitLimit = 2 * time.Minute

// repoRoot is the module root (the queries live under engine/testdata).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// proc is a `velo run` process.
type proc struct {
	cmd    *exec.Cmd
	stderr *kafkatest.LockedBuffer
	stdout *kafkatest.LockedBuffer
	done   chan struct{}
	err    error
}

// startVelo starts velo with args; the process is killed at cleanup if the
// test left it running.
func startVelo(t testing.TB, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(kafkatest.BuildVelo(t), args...), stderr: &kafkatest.LockedBuffer{}, stdout: &kafkatest.LockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stderr, p.cmd.Stdout = p.stderr, p.stdout
	p.cmd.Dir = repoRoot(t)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start velo: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("velo %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	return p
}

// wait waits for the process to exit and fails the test unless it exited 0.
func (p *proc) wait(t testing.TB) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("velo still running after %v; killed\nstderr:\n%s", waitLimit, p.stderr.String())
	}
	if p.err != nil {
		t.Fatalf("velo exited with %v\nstderr:\n%s", p.err, p.stderr.String())
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// sourceURI is a --source value for a Kafka topic.
func sourceURI(name, addr, topic, group string, extra ...string) string {
	q := "group=" + group + "&bounded=true"
	for _, e := range extra {
		q += "&" + e
	}
	return fmt.Sprintf("%s=kafka://%s/%s?%s", name, addr, topic, q)
}

// readLines reads a file's non-empty lines.
func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// payloads returns the values of records, sorted: partitions interleave,
// so only each key's order is defined.
func payloads(recs []kafkatest.KcatRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Payload
	}
	slices.Sort(out)
	return out
}

// field reads one field of a JSON object as text.
func field(t testing.TB, line, name string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not a JSON object: %s: %v", line, err)
	}
	return string(m[name])
}

// committedAtEnd checks with kcat, as a member of the group, that the
// group has nothing left to read in topic: its committed offsets are at
// the end of every partition.
func committedAtEnd(t testing.TB, addr, group, topic string) {
	t.Helper()
	if rest := kafkatest.ConsumeGroup(t, addr, group, topic, -1); len(rest) != 0 {
		t.Errorf("group %s has %d records of %s left past its committed offsets; first: %+v", group, len(rest), topic, rest[0])
	}
}

func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// feeder produces trades (tradeLines' records, in order) to a topic with
// kcat at a steady rate, as a live source would, until Stop.
type feeder struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *kafkatest.LockedBuffer
	sent   atomic.Int64
	stop   chan struct{}
	done   chan error
}

// startFeeder feeds trades from, from+1, ... at rate records per second.
func startFeeder(t testing.TB, addr, topic string, from, rate int) *feeder {
	t.Helper()
	f := &feeder{stderr: &kafkatest.LockedBuffer{}, stop: make(chan struct{}), done: make(chan error, 1)}
	f.sent.Store(int64(from))
	// Idempotence keeps each key's records in order even if librdkafka
	// retries a batch (its default allows reordering on retry).
	f.cmd = exec.Command(kafkatest.RequireKcat(t), "-b", addr, "-t", topic, "-P", "-q", "-K", "|",
		"-X", "acks=all", "-X", "enable.idempotence=true", "-X", "linger.ms=5", "-X", "message.timeout.ms=60000")
	f.cmd.Stderr = f.stderr
	var err error
	if f.stdin, err = f.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("start kcat: %v", err)
	}
	t.Cleanup(func() {
		select {
		case <-f.stop:
		default:
			close(f.stop)
		}
		f.cmd.Process.Kill()
		<-f.done
	})
	go func() {
		const tick = 10 * time.Millisecond
		tk := time.NewTicker(tick)
		defer tk.Stop()
		start := time.Now()
		var buf bytes.Buffer
		for {
			select {
			case <-f.stop:
				f.stdin.Close()
				f.done <- f.cmd.Wait()
				return
			case now := <-tk.C:
				due := int64(from) + int64(now.Sub(start).Seconds()*float64(rate)) - f.sent.Load()
				buf.Reset()
				for range due {
					buf.WriteString(genTrade(int(f.sent.Load())).line())
					buf.WriteByte('\n')
					f.sent.Add(1)
				}
				if _, err := f.stdin.Write(buf.Bytes()); err != nil {
					<-f.stop
					f.done <- fmt.Errorf("writing to kcat: %w", err)
					return
				}
			}
		}
	}()
	return f
}

// Stop ends the feed, waits for kcat to deliver everything, and returns
// the index after the last trade produced.
func (f *feeder) Stop(t testing.TB) int {
	t.Helper()
	close(f.stop)
	select {
	case err := <-f.done:
		f.done <- err // for the cleanup
		if err != nil || strings.TrimSpace(f.stderr.String()) != "" {
			t.Fatalf("kcat producer: %v\n%s", err, f.stderr.String())
		}
	case <-time.After(waitLimit):
		t.Fatalf("kcat producer did not finish within %v", waitLimit)
	}
	return int(f.sent.Load())
}
