package kafkatest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const consumeTimeout = 30 * time.Second

// lines returns n "key|value" lines; keys repeat over 17 symbols so that
// every partition gets some, and each value carries its sequence number.
func lines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`sym-%02d|{"seq":%d,"symbol":"sym-%02d","price":%d.25}`, i%17, i, i%17, 100+i)
	}
	return out
}

var testHeaders = []Header{{"source", "kcat"}, {"schema", "trade-v1"}}

func TestProduceAndConsumeThroughBrokerProcess(t *testing.T) {
	RequireKcat(t)
	p := StartBroker(t)
	const topic, n = "trades", 1000
	in := lines(n)
	Produce(t, p.Addr(), topic, in, ProduceOpts{KeyDelim: "|", Headers: testHeaders})

	if got := TopicPartitions(t, p.Addr(), topic); got != 3 {
		t.Fatalf("auto-created topic has %d partitions; want 3", got)
	}
	recs := Consume(t, p.Addr(), topic, n, consumeTimeout)
	checkRecords(t, recs, in, 3)
}

func TestProduceToOnePartition(t *testing.T) {
	RequireKcat(t)
	p := StartBroker(t, InMemory(), WithPartitions(4))
	part := int32(2)
	in := []string{"a", "b", "c"}
	Produce(t, p.Addr(), "one", in, ProduceOpts{Partition: &part, Compression: "lz4"})
	recs := Consume(t, p.Addr(), "one", len(in), consumeTimeout)
	for i, r := range recs {
		if r.Partition != 2 || r.Offset != int64(i) || r.Payload != in[i] || !r.KeyNull || r.Null {
			t.Fatalf("record %d = %+v; want partition 2 offset %d payload %q, no key", i, r, i, in[i])
		}
	}
	if got := TopicPartitions(t, p.Addr(), "one"); got != 4 {
		t.Fatalf("topic has %d partitions; want 4 (--partitions)", got)
	}
}

// checkRecords checks that recs (sorted by partition and offset) are exactly
// the produced lines: every line once, in produce order within a partition,
// offsets dense from 0, one partition per key, keys and headers intact.
func checkRecords(t *testing.T, recs []KcatRecord, in []string, partitions int) {
	t.Helper()
	if len(recs) != len(in) {
		t.Fatalf("got %d records; want %d", len(recs), len(in))
	}
	seen := make([]bool, len(in))
	keyPart := map[string]int32{}
	lastSeq := map[int32]int{}
	nextOff := map[int32]int64{}
	for _, r := range recs {
		var seq int
		if _, err := fmt.Sscanf(r.Payload, `{"seq":%d,`, &seq); err != nil || seq < 0 || seq >= len(in) {
			t.Fatalf("record %s/%d@%d has payload %q; not one that was produced", r.Topic, r.Partition, r.Offset, r.Payload)
		}
		if want := in[seq]; r.Key+"|"+r.Payload != want {
			t.Fatalf("record seq %d = key %q payload %q; want line %q", seq, r.Key, r.Payload, want)
		}
		if seen[seq] {
			t.Fatalf("record seq %d read twice", seq)
		}
		seen[seq] = true
		if r.Offset != nextOff[r.Partition] {
			t.Fatalf("partition %d: offset %d after %d", r.Partition, r.Offset, nextOff[r.Partition]-1)
		}
		nextOff[r.Partition]++
		if last, ok := lastSeq[r.Partition]; ok && seq <= last {
			t.Fatalf("partition %d: seq %d at offset %d comes after seq %d: produce order lost", r.Partition, seq, r.Offset, last)
		}
		lastSeq[r.Partition] = seq
		if p, ok := keyPart[r.Key]; ok && p != r.Partition {
			t.Fatalf("key %s in partitions %d and %d", r.Key, p, r.Partition)
		}
		keyPart[r.Key] = r.Partition
		if !slices.Equal(r.Headers, testHeaders) {
			t.Fatalf("record seq %d headers = %v; want %v", seq, r.Headers, testHeaders)
		}
		if r.KeyNull || r.Null || r.TSType != "create" || time.Since(r.TS) > time.Hour || r.TS.After(time.Now().Add(time.Minute)) {
			t.Fatalf("record seq %d = %+v; want a key, a value and a create timestamp of about now", seq, r)
		}
	}
	if len(nextOff) != partitions {
		t.Fatalf("records landed in %d partitions; want all %d", len(nextOff), partitions)
	}
}

// TestRestartKeepsData stops the broker either cleanly or with SIGKILL and
// checks that records and a consumer group's committed offsets come back.
func TestRestartKeepsData(t *testing.T) {
	RequireKcat(t)
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "SIGTERM", true: "SIGKILL"}[crash]
		t.Run(name, func(t *testing.T) {
			p := StartBroker(t)
			const topic, group, n, first = "orders", "billing", 1000, 600
			in := lines(n)
			Produce(t, p.Addr(), topic, in, ProduceOpts{KeyDelim: "|", Headers: testHeaders})
			// A real group member (librdkafka's balanced consumer) reads
			// 600 records and commits when it leaves.
			firstRead := ConsumeGroup(t, p.Addr(), group, topic, first)
			if len(firstRead) != first {
				t.Fatalf("group read %d records; want %d", len(firstRead), first)
			}

			if crash {
				p.Kill()
			}
			p.Restart()

			checkRecords(t, Consume(t, p.Addr(), topic, n, consumeTimeout), in, 3)
			rest := ConsumeGroup(t, p.Addr(), group, topic, -1)
			if len(rest) != n-first {
				t.Fatalf("after restart the group read %d records; want the %d it had not committed", len(rest), n-first)
			}
			// Together the two reads are every record exactly once: the
			// committed offsets came back where the group left them.
			checkRecords(t, sortRecords(append(firstRead, rest...)), in, 3)
		})
	}
}

func TestSignalsStopBrokerWithExitZero(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := StartBroker(t)
			if err := p.stopWith(sig); err != nil {
				t.Fatalf("broker stopped by %v: %v; want exit status 0\nstderr:\n%s", sig, err, p.Stderr())
			}
			if !strings.Contains(p.Stderr(), `msg="broker stopped"`) {
				t.Fatalf("stderr lacks the stop log:\n%s", p.Stderr())
			}
			// The port is free once the process is gone.
			ln, err := net.Listen("tcp", p.Addr())
			if err != nil {
				t.Fatalf("port still held after exit: %v", err)
			}
			ln.Close()
		})
	}
}

func TestStartBrokerListensOnLoopback(t *testing.T) {
	p := StartBroker(t, InMemory())
	host, port, err := net.SplitHostPort(p.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q (%v); want 127.0.0.1 with a real port", p.Addr(), err)
	}
}

// TestBrokerCommandLine runs velo broker with flags a user might type.
func TestBrokerCommandLine(t *testing.T) {
	velo := BuildVelo(t)
	lockedDir := StartBroker(t).DataDir() // held by a running broker
	tests := []struct {
		name      string
		args      []string
		wantReady string // prefix of the address on the ready line
		wantExit  int
		wantOut   []string
	}{
		{name: "empty host means loopback", args: []string{"--addr", ":0"}, wantReady: "127.0.0.1:"},
		{name: "ipv6 loopback", args: []string{"--addr", "[::1]:0"}, wantReady: "[::1]:"},
		{name: "wildcard refused", args: []string{"--addr", "0.0.0.0:0"}, wantExit: 2,
			wantOut: []string{`velo: broker: address "0.0.0.0:0"`, "not a wildcard"}},
		{name: "bad port", args: []string{"--addr", "127.0.0.1:http"}, wantExit: 2, wantOut: []string{`port "http"`}},
		{name: "bad partitions", args: []string{"--addr", ":0", "--partitions", "0"}, wantExit: 2,
			wantOut: []string{"partitions 0: must be between 1 and 10000"}},
		{name: "data dir in use", args: []string{"--addr", ":0", "--data-dir", lockedDir}, wantExit: 2,
			wantOut: []string{"in use by another broker"}},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantExit: 2, wantOut: []string{`--log-level "loud"`}},
		{name: "help", args: []string{"--help"}, wantOut: []string{
			"for demos, laptops and tests", "Production uses a\nreal Kafka cluster", "--data-dir", "--partitions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(velo, append([]string{"broker"}, tt.args...)...)
			cmd.SysProcAttr = sysProcAttr()
			if tt.wantReady != "" {
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				line, err := bufio.NewReader(out).ReadString('\n')
				if err != nil {
					t.Fatalf("no ready line: %v", err)
				}
				addr, ok := strings.CutPrefix(strings.TrimSpace(line), readyPrefix)
				if !ok || !strings.HasPrefix(addr, tt.wantReady) || strings.HasSuffix(addr, ":0") {
					t.Fatalf("ready line %q; want %s<port>", line, readyPrefix+tt.wantReady)
				}
				return
			}
			out, err := runWithLimit(cmd)
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit {
				t.Fatalf("exit status %d; want %d\n%s", code, tt.wantExit, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func runWithLimit(cmd *exec.Cmd) (string, error) {
	var out LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := runBounded(cmd, waitLimit)
	return out.String(), err
}

func TestParseKcatJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []KcatRecord
		wantErr string
	}{
		{
			name: "key, payload and headers",
			in:   `{"topic":"t","partition":1,"offset":7,"tstype":"create","ts":1700000000123,"broker":0,"headers":["a","1","b",""],"key":"k","payload":"{\"x\":1}"}` + "\n",
			want: []KcatRecord{{Topic: "t", Partition: 1, Offset: 7, TSType: "create", TS: time.UnixMilli(1700000000123),
				Key: "k", Payload: `{"x":1}`, Headers: []Header{{"a", "1"}, {"b", ""}}}},
		},
		{
			name: "null key and tombstone",
			in:   `{"topic":"t","partition":0,"offset":0,"tstype":"logappend","ts":5,"broker":0,"key":null,"payload":null}`,
			want: []KcatRecord{{Topic: "t", TSType: "logappend", TS: time.UnixMilli(5), KeyNull: true, Null: true}},
		},
		{name: "blank lines", in: "\n\n", want: nil},
		{name: "odd headers", in: `{"topic":"t","headers":["a"],"key":null,"payload":"x"}`, wantErr: "line 1: 1 header fields"},
		{name: "not json", in: "{\"topic\":\"t\",\"key\":null,\"payload\":\"x\"}\n% ERROR: broker down", wantErr: "line 2:"},
		{name: "not a record", in: `{"error":"x"}`, wantErr: "not a record envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKcatJSON([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parse error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tt.want, func(a, b KcatRecord) bool {
				return a.Topic == b.Topic && a.Partition == b.Partition && a.Offset == b.Offset && a.Key == b.Key &&
					a.KeyNull == b.KeyNull && a.Payload == b.Payload && a.Null == b.Null && a.TSType == b.TSType &&
					a.TS.Equal(b.TS) && slices.Equal(a.Headers, b.Headers)
			}) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
