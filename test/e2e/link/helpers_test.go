// Package link_test runs `velo link` as a process between two `velo broker`
// processes (each with its own data dir, on its own loopback port), with
// franz-go producing the source's records and kcat, a client that shares
// no code with the link, reading both sides to compare them.
package link_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/test/kafkatest"
)

// waitLimit bounds every wait for a process, a topic or a metric, so a
// hang fails the test with the link's logs. It is not a performance check.
const waitLimit = 4 * time.Minute

// readyPrefix is what `velo link` prints once it replicates (cli/link.go).
const readyPrefix = "velo link ready; metrics on "

// linkProc is a `velo link` process.
type linkProc struct {
	t      testing.TB
	args   []string
	cmd    *exec.Cmd
	stderr *kafkatest.LockedBuffer
	url    string
	done   chan struct{}
	err    error
}

// startLink runs `velo link -f file --listen 127.0.0.1:0 extra...` and
// returns once it printed its ready line. The process is killed at cleanup
// if the test left it running, and its logs are shown when the test fails.
func startLink(t testing.TB, file string, extra ...string) *linkProc {
	t.Helper()
	args := append([]string{"link", "-f", file, "--listen", "127.0.0.1:0"}, extra...)
	p := &linkProc{t: t, args: args, stderr: &kafkatest.LockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(kafkatest.BuildVelo(t), args...)
	p.cmd.Stderr = p.stderr
	p.cmd.SysProcAttr = sysProcAttr()
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start velo link: %v", err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				ready <- u
			}
		}
		io.Copy(io.Discard, out)
	}()
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
	select {
	case p.url = <-ready:
	case <-p.done:
		t.Fatalf("velo link exited before it was ready: %v\nstderr:\n%s", p.err, p.stderr.String())
	case <-time.After(waitLimit):
		t.Fatalf("velo link printed no ready line within %v\nstderr:\n%s", waitLimit, p.stderr.String())
	}
	return p
}

// kill sends SIGKILL and waits for the process to be gone: nothing is
// flushed, as in a crash.
func (p *linkProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and fails the test unless the link exits 0.
func (p *linkProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("velo link did not stop within %v of SIGTERM", waitLimit)
	}
	if p.err != nil {
		p.t.Fatalf("velo link exited with %v after SIGTERM\nstderr:\n%s", p.err, p.stderr.String())
	}
}

// alive fails the test if the link exited.
func (p *linkProc) alive() {
	p.t.Helper()
	select {
	case <-p.done:
		p.t.Fatalf("velo link exited: %v\nstderr:\n%s", p.err, p.stderr.String())
	default:
	}
}

// scrape reads the link's metrics endpoint.
func (p *linkProc) scrape() (*metrics.Status, string) {
	p.t.Helper()
	resp, err := http.Get(p.url)
	if err != nil {
		p.t.Fatalf("scrape %s: %v", p.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	st, err := metrics.ParseStatus(bytes.NewReader(b))
	if err != nil {
		p.t.Fatalf("parse %s: %v", p.url, err)
	}
	return st, string(b)
}

// linkYAML writes a ClusterLink between src and tgt with the given spec
// lines (indented two spaces, after source and target).
func linkYAML(t testing.TB, name, src, tgt string, spec ...string) string {
	t.Helper()
	y := fmt.Sprintf("apiVersion: velostream.io/v1alpha1\nkind: ClusterLink\nmetadata: {name: %s}\nspec:\n  source: {bootstrapServers: %q}\n  target: {bootstrapServers: %q}\n", name, src, tgt)
	for _, s := range spec {
		y += "  " + s + "\n"
	}
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func client(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return c
}

// createTopic creates a topic with partitions and configs.
func createTopic(t testing.TB, addr, topic string, partitions int, configs map[string]string) {
	t.Helper()
	adm := kadm.NewClient(client(t, addr))
	cfg := map[string]*string{}
	for k, v := range configs {
		cfg[k] = &v
	}
	resp, err := adm.CreateTopic(ctx(t), int32(partitions), -1, cfg, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// producer writes records as fast as the broker takes them, to the
// partition each record names, and fails the test unless every one is
// acknowledged.
func produce(t testing.TB, addr string, recs []*kgo.Record) {
	t.Helper()
	cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(200_000), kgo.ProducerBatchMaxBytes(1<<20))
	var first kgo.FirstErrPromise
	for _, r := range recs {
		cl.Produce(ctx(t), r, first.Promise())
	}
	if err := first.Err(); err != nil {
		t.Fatalf("produce to %s: %v", addr, err)
	}
}

// endOffsets returns the high watermark of each partition of topic.
func endOffsets(t testing.TB, addr, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(client(t, addr))
	lo, err := adm.ListEndOffsets(ctx(t), topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			out[o.Partition] = o.Offset
		}
	})
	return out
}

func total(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// waitUntil polls cond every 100 ms while the link runs.
func waitUntil(t testing.TB, p *linkProc, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if p != nil {
			p.alive()
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", waitLimit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// topicExists asks the broker's metadata without creating the topic.
func topicExists(t testing.TB, addr, topic string) bool {
	t.Helper()
	adm := kadm.NewClient(client(t, addr))
	td, err := adm.ListTopics(ctx(t), topic)
	if err != nil {
		return false
	}
	return td.Has(topic) && td[topic].Err == nil
}

// topicConfig reads one config of a topic.
func topicConfig(t testing.TB, addr, topic, key string) string {
	t.Helper()
	adm := kadm.NewClient(client(t, addr))
	rcs, err := adm.DescribeTopicConfigs(ctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rc.Configs {
		if c.Key == key {
			return c.MaybeValue()
		}
	}
	return ""
}
