package kafkatest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Header is one record header.
type Header struct {
	Key, Value string
}

// KcatRecord is one record as kcat's JSON envelope (-J) shows it.
type KcatRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	KeyNull   bool // the record has no key (Key is then "")
	Payload   string
	Null      bool // the value is null, a tombstone (Payload is then "")
	Headers   []Header
	TSType    string // "create" or "logappend"
	TS        time.Time
}

// ProduceOpts are the optional parts of Produce.
type ProduceOpts struct {
	// KeyDelim, when set, splits each line at its first KeyDelim into key
	// and value (kcat -K).
	KeyDelim string
	// Headers are added to every record, in this order (kcat -H).
	Headers []Header
	// Partition, when set, sends every record to that partition (kcat -p);
	// otherwise kcat's partitioner picks by key.
	Partition *int32
	// Compression is "", "gzip", "snappy", "lz4" or "zstd" (kcat -z).
	Compression string
}

// RequireKcat returns kcat's path, failing the test when it is missing:
// tests that need an independent Kafka client must not pass without one.
func RequireKcat(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kafkatest: kcat not found on PATH: run make test (installs kcat): %v", err)
	}
	return path
}

// Produce sends one record per line to topic with kcat -P, acks=all, and
// fails the test unless every record was acknowledged.
func Produce(t testing.TB, addr, topic string, lines []string, opts ProduceOpts) {
	t.Helper()
	kcat := RequireKcat(t)
	var in bytes.Buffer
	for i, l := range lines {
		// kcat splits its input at newlines and drops empty messages
		// without a word: refuse what it would change or lose.
		if strings.ContainsAny(l, "\n") {
			t.Fatalf("kafkatest: Produce: line %d contains a newline: %q", i, l)
		}
		if l == "" {
			t.Fatalf("kafkatest: Produce: line %d is empty, which kcat would not send", i)
		}
		if opts.KeyDelim != "" && !strings.Contains(l, opts.KeyDelim) {
			t.Fatalf("kafkatest: Produce: line %d has no key delimiter %q: %q", i, opts.KeyDelim, l)
		}
		in.WriteString(l)
		in.WriteByte('\n')
	}
	args := []string{
		"-b", addr, "-t", topic, "-P", "-q",
		"-X", "acks=all",
		// Fail rather than retry for librdkafka's default of 5 minutes.
		"-X", "message.timeout.ms=30000",
		"-X", "linger.ms=5",
	}
	if opts.KeyDelim != "" {
		args = append(args, "-K", opts.KeyDelim)
	}
	for _, h := range opts.Headers {
		if strings.Contains(h.Key, "=") {
			t.Fatalf("kafkatest: Produce: header key %q contains '=', which kcat -H cannot express", h.Key)
		}
		args = append(args, "-H", h.Key+"="+h.Value)
	}
	if opts.Partition != nil {
		args = append(args, "-p", strconv.Itoa(int(*opts.Partition)))
	}
	if opts.Compression != "" {
		args = append(args, "-z", opts.Compression)
	}
	cmd := exec.Command(kcat, args...)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := runBounded(cmd, 2*waitLimit); err != nil {
		t.Fatalf("kafkatest: kcat -P to %s/%s: %v\n%s", addr, topic, err, stderr.String())
	}
	// kcat exits 0 after logging some delivery failures; its stderr is
	// quiet (-q) unless something went wrong.
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Fatalf("kafkatest: kcat -P to %s/%s reported errors:\n%s", addr, topic, s)
	}
}

// Consume reads topic from the beginning with kcat -C -e -J until it holds
// exactly n records, and returns them sorted by partition and offset. It
// fails the test if the topic still holds fewer after timeout, or ever
// holds more (a duplicate is a bug, not noise).
func Consume(t testing.TB, addr, topic string, n int, timeout time.Duration) []KcatRecord {
	t.Helper()
	return consume(t, addr, topic, n, timeout, []string{"-C", "-o", "beginning", "-t", topic})
}

// ConsumeGroup reads up to limit records of topic as a member of a consumer
// group (kcat -G), starting at the group's committed offsets (or the
// beginning), until every partition is at its end, and commits what it read
// when it leaves. Pass limit < 0 to read to the end. Records come sorted by
// partition and offset.
func ConsumeGroup(t testing.TB, addr, group, topic string, limit int) []KcatRecord {
	t.Helper()
	// Not -o beginning: under -G kcat would assign that offset and ignore
	// the group's commits.
	args := []string{"-G", group, "-X", "auto.offset.reset=earliest"}
	if limit >= 0 {
		args = append(args, "-c", strconv.Itoa(limit))
	}
	args = append(args, topic) // -G takes topics as arguments
	recs, err := kcatConsume(t, addr, args, waitLimit)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	return recs
}

func consume(t testing.TB, addr, topic string, n int, timeout time.Duration, args []string) []KcatRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []KcatRecord
	var lastErr error
	for {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			break
		}
		// -e exits at the current end of the topic, which may be before
		// a producer under test has written everything: read again.
		recs, err := kcatConsume(t, addr, args, remaining)
		last, lastErr = recs, err
		if err == nil {
			if len(recs) == n {
				return recs
			}
			if len(recs) > n {
				t.Fatalf("kafkatest: %s holds %d records; want exactly %d", topic, len(recs), n)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lastErr != nil {
		t.Fatalf("kafkatest: consuming %s: %v", topic, lastErr)
	}
	t.Fatalf("kafkatest: %s holds %d records after %v; want %d", topic, len(last), timeout, n)
	return nil
}

func kcatConsume(t testing.TB, addr string, mode []string, timeout time.Duration) ([]KcatRecord, error) {
	t.Helper()
	kcat := RequireKcat(t)
	args := append([]string{"-b", addr, "-e", "-J", "-q", "-m", "10"}, mode...)
	cmd := exec.Command(kcat, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := runBounded(cmd, timeout); err != nil {
		return nil, fmt.Errorf("kcat %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	recs, err := parseKcatJSON(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("kcat %s: %w", strings.Join(args, " "), err)
	}
	return sortRecords(recs), nil
}

// sortRecords orders records by partition and offset: kcat prints them as
// they arrive, interleaving partitions.
func sortRecords(recs []KcatRecord) []KcatRecord {
	slices.SortStableFunc(recs, func(a, b KcatRecord) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	return recs
}

// kcatEnvelope is kcat's -J output for one record.
type kcatEnvelope struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	TSType    string    `json:"tstype"`
	TS        int64     `json:"ts"`
	Headers   []*string `json:"headers"` // name, value, name, value, ...
	Key       *string   `json:"key"`
	Payload   *string   `json:"payload"`
}

// parseKcatJSON decodes kcat -J output, one envelope per line.
func parseKcatJSON(out []byte) ([]KcatRecord, error) {
	var recs []KcatRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e kcatEnvelope
		if err := decodeEnvelope(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("kcat output line %d: %w: %s", line, err, sc.Bytes())
		}
		r := KcatRecord{
			Topic:     e.Topic,
			Partition: e.Partition,
			Offset:    e.Offset,
			TSType:    e.TSType,
			TS:        time.UnixMilli(e.TS),
			KeyNull:   e.Key == nil,
			Null:      e.Payload == nil,
		}
		if e.Key != nil {
			r.Key = *e.Key
		}
		if e.Payload != nil {
			r.Payload = *e.Payload
		}
		if len(e.Headers)%2 != 0 {
			return nil, fmt.Errorf("kcat output line %d: %d header fields, want name/value pairs: %s", line, len(e.Headers), sc.Bytes())
		}
		for i := 0; i < len(e.Headers); i += 2 {
			if e.Headers[i] == nil {
				return nil, fmt.Errorf("kcat output line %d: header %d has a null name", line, i/2)
			}
			h := Header{Key: *e.Headers[i]}
			if v := e.Headers[i+1]; v != nil {
				h.Value = *v
			}
			r.Headers = append(r.Headers, h)
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

// decodeEnvelope rejects an envelope without a topic: that is not a record
// but some other JSON kcat printed (an error or a statistics line).
func decodeEnvelope(b []byte, e *kcatEnvelope) error {
	if err := json.Unmarshal(b, e); err != nil {
		return err
	}
	if e.Topic == "" {
		return errors.New("not a record envelope (no topic)")
	}
	return nil
}

// runBounded runs cmd and kills it after timeout, so that a kcat waiting on
// a dead broker fails the test instead of hanging it.
func runBounded(cmd *exec.Cmd, timeout time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("still running after %v; killed", timeout)
	}
}

// TopicPartitions returns the partition count of topic as kcat -L sees it.
// Asking creates the topic on the dev broker, as any producer's metadata
// request would.
func TopicPartitions(t testing.TB, addr, topic string) int {
	t.Helper()
	kcat := RequireKcat(t)
	cmd := exec.Command(kcat, "-b", addr, "-L", "-J", "-t", topic, "-m", "10")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := runBounded(cmd, waitLimit); err != nil {
		t.Fatalf("kafkatest: kcat -L %s: %v\n%s", topic, err, stderr.String())
	}
	var md struct {
		Topics []struct {
			Topic      string            `json:"topic"`
			Error      string            `json:"error"`
			Partitions []json.RawMessage `json:"partitions"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &md); err != nil {
		t.Fatalf("kafkatest: kcat -L %s output: %v: %s", topic, err, stdout.Bytes())
	}
	for _, mt := range md.Topics {
		if mt.Topic == topic {
			if mt.Error != "" {
				t.Fatalf("kafkatest: kcat -L %s: %s", topic, mt.Error)
			}
			return len(mt.Partitions)
		}
	}
	t.Fatalf("kafkatest: kcat -L does not list %s: %s", topic, stdout.Bytes())
	return 0
}
