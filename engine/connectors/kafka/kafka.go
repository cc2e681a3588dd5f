// Package kafka is the Kafka connector. It takes a connectors.Config (the
// source's or sink's WITH properties) and gives a connectors.Source that
// reads a topic's partitions in parallel, decodes their values (JSON, CSV or
// raw text) into batches with Kafka provenance, and commits offsets with
// metadata for the executor (connectors.Committer); and a connectors.Sink
// that writes keyed records with headers and acknowledges them on Flush.
//
// Registered types: 'kafka_source' and 'kafka_sink'. Properties (without the
// `<name>.` prefix):
//
//	topic                 the topic (required)
//	bootstrap.servers     host:port[,host:port...] (required)
//	group.id              source: the consumer group; without one every
//	                      partition is read and nothing is committed
//	format                source: json (default), csv or raw
//	columns               source, csv: the field order of each record
//	value.field           source, raw: the STRING column that gets the value
//	start                 source: committed (default; earliest when the group
//	                      has no commit), earliest or latest
//	bounded               source: true reads up to the end offsets as they
//	                      are at start, then ends the input
//	idle.timeout          source: a partition without data this long stops
//	                      holding the watermark back (default 30s; 0: never)
//	partitions            sink: partitions of the topic when the sink creates it
//	compression           sink: none (default), gzip, snappy, lz4 or zstd
//	security.protocol     PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL
//	sasl.mechanism        PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
//	sasl.username, sasl.password
//	tls.ca.file, tls.cert.file, tls.key.file, tls.insecure.skip.verify
//
// The client is github.com/segmentio/kafka-go, configured on purpose rather
// than left at its defaults (see docs/kafka.md): every source and sink owns
// its kafka.Transport (the shared default caches metadata for seconds and
// hides new topics), the writer waits a few milliseconds for a batch instead
// of a second and asks for acknowledgement by all replicas, and offsets are
// committed only when the executor says their effects are durable.
package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/velostream/velostream/engine/connectors"
)

func init() {
	connectors.RegisterSource("kafka_source", func(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
		return OpenSource(ctx, cfg, Options{})
	})
	connectors.RegisterSink("kafka_sink", func(ctx context.Context, cfg connectors.Config) (connectors.Sink, error) {
		return OpenSink(ctx, cfg, Options{})
	})
}

// Options are what the registry cannot pass through properties.
type Options struct {
	// Logger receives connection problems (at most one line per
	// reportEvery) and group changes; nil means slog.Default(), which
	// writes to standard error.
	Logger *slog.Logger
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Timings that are not properties. They are chosen for a stream processor
// on a LAN or loopback, not for a batch consumer.
const (
	// dialTimeout bounds connecting to a broker.
	dialTimeout = 10 * time.Second
	// requestTimeout bounds one request other than a long-poll fetch.
	requestTimeout = 10 * time.Second
	// fetchMaxWait is how long the broker may hold a fetch when it has no
	// data: new records are returned as soon as they arrive (MinBytes 1),
	// so this only decides how often an idle partition is polled.
	fetchMaxWait = 250 * time.Millisecond
	// fetchMaxBytes bounds one fetch response (one partition).
	fetchMaxBytes = 4 << 20
	// sessionTimeout is the group session: a member that died (SIGKILL)
	// holds its partitions this long before the group rebalances. Kafka's
	// minimum is 6s; kafka-go's default of 30s makes every crash-restart
	// wait half a minute.
	sessionTimeout   = 10 * time.Second
	heartbeat        = 1 * time.Second
	rebalanceTimeout = 10 * time.Second
	joinBackoff      = 1 * time.Second
	// backoffMin and backoffMax bound the wait between retries while a
	// broker is unreachable.
	backoffMin = 100 * time.Millisecond
	backoffMax = 2 * time.Second
	// reportEvery limits how often a connector says that it cannot reach
	// the broker.
	reportEvery = 5 * time.Second
	// maxMetadataBytes is Kafka's default offset.metadata.max.bytes.
	maxMetadataBytes = 4096
)

// conn is what sources and sinks share: where the brokers are and how to
// reach them.
type conn struct {
	name    string
	topic   string
	brokers []string
	tls     *tls.Config
	sasl    sasl.Mechanism
}

func parseConn(cfg connectors.Config) (conn, error) {
	c := conn{name: cfg.Name, topic: strings.TrimSpace(cfg.Get("topic", ""))}
	if c.topic == "" {
		return c, fmt.Errorf("%s: Kafka needs a 'topic' property", cfg.Name)
	}
	if err := validTopic(c.topic); err != nil {
		return c, fmt.Errorf("%s: 'topic' %q: %w", cfg.Name, c.topic, err)
	}
	for _, b := range strings.Split(cfg.Get("bootstrap.servers", ""), ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return c, fmt.Errorf("%s: 'bootstrap.servers' entry %q: want host:port", cfg.Name, b)
		}
		c.brokers = append(c.brokers, b)
	}
	if len(c.brokers) == 0 {
		return c, fmt.Errorf("%s: Kafka needs 'bootstrap.servers' (host:port[,host:port...]), e.g. kafka://127.0.0.1:9092/%s", cfg.Name, c.topic)
	}
	var err error
	if c.tls, c.sasl, err = security(cfg); err != nil {
		return c, err
	}
	return c, nil
}

// validTopic applies Kafka's rules for topic names, so that a typo fails
// here with a reason rather than as a broker error code.
func validTopic(t string) error {
	if len(t) > 249 {
		return errors.New("longer than 249 characters")
	}
	if t == "." || t == ".." {
		return errors.New("not a valid topic name")
	}
	for i, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("character %q at byte %d: topic names use letters, digits, '.', '_' and '-'", r, i)
		}
	}
	return nil
}

// Security is security for callers that connect with another client (the
// ClusterLink replicator, link/cluster), so that every Kafka connection
// Velostream makes reads its TLS files and SASL settings the same way.
func Security(cfg connectors.Config) (*tls.Config, sasl.Mechanism, error) { return security(cfg) }

// security turns the security.protocol, sasl.* and tls.* properties into a
// TLS config and a SASL mechanism (either may be nil).
func security(cfg connectors.Config) (*tls.Config, sasl.Mechanism, error) {
	proto := strings.ToUpper(strings.TrimSpace(cfg.Get("security.protocol", "PLAINTEXT")))
	var useTLS, useSASL bool
	switch proto {
	case "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return nil, nil, fmt.Errorf("%s: 'security.protocol' %q: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", cfg.Name, proto)
	}
	for _, k := range []string{"tls.ca.file", "tls.cert.file", "tls.key.file", "tls.insecure.skip.verify"} {
		if _, ok := cfg.Props[k]; ok && !useTLS {
			return nil, nil, fmt.Errorf("%s: '%s' is set but 'security.protocol' is %s: use SSL or SASL_SSL", cfg.Name, k, proto)
		}
	}
	for _, k := range []string{"sasl.mechanism", "sasl.username", "sasl.password"} {
		if _, ok := cfg.Props[k]; ok && !useSASL {
			return nil, nil, fmt.Errorf("%s: '%s' is set but 'security.protocol' is %s: use SASL_PLAINTEXT or SASL_SSL", cfg.Name, k, proto)
		}
	}
	var tc *tls.Config
	if useTLS {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
		if f := cfg.Get("tls.ca.file", ""); f != "" {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: 'tls.ca.file': %w", cfg.Name, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, fmt.Errorf("%s: 'tls.ca.file' %s holds no PEM certificate", cfg.Name, f)
			}
			tc.RootCAs = pool
		}
		cert, key := cfg.Get("tls.cert.file", ""), cfg.Get("tls.key.file", "")
		if (cert == "") != (key == "") {
			return nil, nil, fmt.Errorf("%s: a client certificate needs both 'tls.cert.file' and 'tls.key.file'", cfg.Name)
		}
		if cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: client certificate: %w", cfg.Name, err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		skip, err := boolProp(cfg, "tls.insecure.skip.verify", false)
		if err != nil {
			return nil, nil, err
		}
		tc.InsecureSkipVerify = skip
	}
	var mech sasl.Mechanism
	if useSASL {
		user, pass := cfg.Get("sasl.username", ""), cfg.Get("sasl.password", "")
		if user == "" {
			return nil, nil, fmt.Errorf("%s: %s needs 'sasl.username' and 'sasl.password'", cfg.Name, proto)
		}
		switch m := strings.ToUpper(strings.TrimSpace(cfg.Get("sasl.mechanism", "PLAIN"))); m {
		case "PLAIN":
			mech = plain.Mechanism{Username: user, Password: pass}
		case "SCRAM-SHA-256", "SCRAM-SHA-512":
			algo := scram.SHA256
			if m == "SCRAM-SHA-512" {
				algo = scram.SHA512
			}
			sm, err := scram.Mechanism(algo, user, pass)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: SASL %s: %w", cfg.Name, m, err)
			}
			mech = sm
		default:
			return nil, nil, fmt.Errorf("%s: 'sasl.mechanism' %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", cfg.Name, m)
		}
	}
	return tc, mech, nil
}

// transport is a connector's own kafka.Transport: never the shared default,
// whose metadata cache outlives topics created by someone else.
func (c conn) transport() *kafka.Transport {
	return &kafka.Transport{
		Dial:        (&net.Dialer{Timeout: dialTimeout}).DialContext,
		DialTimeout: dialTimeout,
		IdleTimeout: 5 * time.Minute,
		// A short metadata TTL: a sink that meets a topic created after it
		// started, or a partition leader that moved, looks again soon.
		MetadataTTL: 2 * time.Second,
		ClientID:    "velostream",
		TLS:         c.tls,
		SASL:        c.sasl,
	}
}

func (c conn) client(t *kafka.Transport) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(c.brokers...), Timeout: requestTimeout, Transport: t}
}

// dialer is for kafka-go's ConsumerGroup, which talks to the coordinator
// over its own connections rather than through a Transport.
func (c conn) dialer() *kafka.Dialer {
	return &kafka.Dialer{
		ClientID:      "velostream",
		Timeout:       dialTimeout,
		DualStack:     true,
		TLS:           c.tls,
		SASLMechanism: c.sasl,
	}
}

func boolProp(cfg connectors.Config, key string, def bool) (bool, error) {
	v, ok := cfg.Props[key]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("%s: '%s' must be true or false, got %q", cfg.Name, key, v)
	}
	return b, nil
}

// durationProp reads a duration as the dialect writes them: Go's form
// ('30s', '1m30s', '500ms'), a number and a unit ('30 seconds', '1 minute'),
// or a bare number of milliseconds.
func durationProp(cfg connectors.Config, key string, def time.Duration) (time.Duration, error) {
	v, ok := cfg.Props[key]
	if !ok {
		return def, nil
	}
	bad := fmt.Errorf("%s: '%s' must be a duration such as '30s', '500ms' or '1 minute', got %q", cfg.Name, key, v)
	s := strings.ToLower(strings.TrimSpace(v))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, bad
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	if num, unit, ok := strings.Cut(s, " "); ok {
		n, err := strconv.ParseInt(num, 10, 64)
		u, known := durationUnits[strings.TrimSpace(unit)]
		if err != nil || !known || n < 0 {
			return 0, bad
		}
		return time.Duration(n) * u, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
}

// health counts and reports trouble reaching the brokers: one line per
// reportEvery at most, with how many failures it stands for, and one line
// when things work again.
type health struct {
	log  *slog.Logger
	name string

	failures atomic.Int64

	mu         sync.Mutex
	failing    bool
	lastReport time.Time
	unreported int
}

// fail records a failed attempt that will be retried.
func (h *health) fail(what string, err error) {
	h.failures.Add(1)
	h.mu.Lock()
	h.failing = true
	h.unreported++
	now := time.Now()
	if now.Sub(h.lastReport) < reportEvery {
		h.mu.Unlock()
		return
	}
	n := h.unreported
	h.unreported, h.lastReport = 0, now
	h.mu.Unlock()
	h.log.Warn("kafka: "+what+" failed; retrying", "connector", h.name, "failures", n, "error", err)
}

// ok records a successful request after failures.
func (h *health) ok() {
	h.mu.Lock()
	if !h.failing {
		h.mu.Unlock()
		return
	}
	h.failing = false
	h.unreported = 0
	h.lastReport = time.Time{}
	h.mu.Unlock()
	h.log.Info("kafka: connected again", "connector", h.name, "failures_so_far", h.failures.Load())
}

// backoff is an exponential wait between retries.
type backoff struct{ d time.Duration }

func (b *backoff) wait(ctx context.Context) error {
	if b.d == 0 {
		b.d = backoffMin
	} else {
		b.d = min(2*b.d, backoffMax)
	}
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (b *backoff) reset() { b.d = 0 }
