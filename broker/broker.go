// Package broker runs Velostream's embedded Kafka-protocol broker: a single
// node built on franz-go's kfake, for demos, laptops and tests. Production
// uses a real Kafka cluster.
//
// It takes a [Config] (listen address, optional data directory, partitions of
// auto-created topics, a logger) and gives a running [Broker] whose [Broker.Addr]
// is the address clients dial. Any Kafka client works against it (kafka-go,
// franz-go, librdkafka/kcat): it speaks the wire protocol for produce, fetch,
// consumer groups and offsets, compression, idempotence and transactions.
//
// Topics are created on first use when the client asks for it (producers do
// by default; a Kafka >= 0.11 metadata request carries the flag, exactly as
// with auto.create.topics.enable on a real broker), and CreateTopics without
// a partition count gets [Config.Partitions].
//
// # Persistence
//
// With a DataDir, the broker keeps topics, records, committed consumer-group
// offsets, producer IDs, ACLs and configs on disk and reloads them on the
// next Start. Records are appended to segment files as they are produced and
// offset commits to a log as they happen; [Broker.Close] writes the rest of
// the state and fsyncs the whole data dir. Only one broker may use a data dir
// at a time (an flock; not enforced on Windows).
//
// Verified by this package's tests and by test/kafkatest against the real
// process: records with their keys, headers and offsets, topic partition
// counts and committed group offsets survive a clean stop (SIGTERM) and a
// SIGKILL.
//
// Gaps in kfake's persistence, and what this package does about them:
//   - kfake saves a topic auto-created by a producer's metadata request only
//     at a clean Close (topics made by CreateTopics are saved at once). After
//     a SIGKILL such a topic's records are on disk but kfake would not load
//     them; Start puts the topic back (recoverTopics, logged as a warning)
//     with a new topic ID, no per-topic configs (auto-created topics have
//     none) and max(partitions seen on disk, Config.Partitions) partitions.
//   - Segment writes are not fsynced until Close (like Kafka's default), so a
//     power loss or an OS crash, unlike a process crash, can lose the last
//     records.
//   - Group membership is saved only at a clean Close; after a SIGKILL,
//     consumers rejoin their groups (their committed offsets are kept).
//   - A transaction open at a SIGKILL is aborted on restart.
//
// Without a DataDir everything lives in memory and is gone after Close.
package broker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Defaults for the zero Config.
const (
	DefaultAddr       = "127.0.0.1:9092"
	DefaultPartitions = 3
	// MaxPartitions bounds Config.Partitions: every partition of every
	// auto-created topic is a directory and open files in the data dir, and
	// a dev broker that asks for more is almost certainly a typo.
	MaxPartitions = 10000
)

// Config says where and how the broker runs. The zero value is a usable
// in-memory broker on 127.0.0.1:9092 with 3 partitions per topic.
type Config struct {
	// Addr is the host:port to listen on and to advertise to clients.
	// Port 0 picks a free port (see Broker.Addr). An empty host means
	// loopback: binding any other interface has to be asked for by name.
	Addr string
	// DataDir, when set, keeps the broker's data across restarts. Only one
	// broker may use a data dir at a time.
	DataDir string
	// Partitions is the partition count of topics created automatically
	// or without an explicit count. Zero means DefaultPartitions.
	Partitions int
	// Logger receives the broker's logs; nil discards them.
	Logger *slog.Logger
}

// Broker is a running broker. It stops when Close is called or when the
// context given to Start is cancelled.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	log     *slog.Logger
	klog    *kfakeLogger
	lock    *dirLock
	dataDir string

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// Start validates cfg, binds the listen address, loads the data dir (if any)
// and starts serving. The broker closes itself when ctx is cancelled.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("broker: not started: %w", err)
	}
	addr, err := listenAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	parts := cfg.Partitions
	if parts == 0 {
		parts = DefaultPartitions
	}
	if parts < 1 || parts > MaxPartitions {
		return nil, fmt.Errorf("broker: partitions %d: must be between 1 and %d", cfg.Partitions, MaxPartitions)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var lock *dirLock
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("broker: data dir: %w", err)
		}
		if lock, err = lockDir(cfg.DataDir); err != nil {
			return nil, fmt.Errorf("broker: data dir %s: %w", cfg.DataDir, err)
		}
		if _, err := recoverTopics(cfg.DataDir, parts, log); err != nil {
			lock.unlock()
			return nil, fmt.Errorf("broker: data dir %s: recovering topics: %w", cfg.DataDir, err)
		}
	}
	release := func() {
		if lock != nil {
			lock.unlock()
		}
	}

	// We bind before handing the listener to kfake so that a bad or busy
	// address is reported as such; kfake itself would only ever bind
	// 127.0.0.1, and it advertises whatever address the listener reports.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		release()
		return nil, fmt.Errorf("broker: listen: %w", err)
	}
	handed := false
	listen := func(string, string) (net.Listener, error) {
		if handed {
			return nil, errors.New("broker: kfake asked for a second listener")
		}
		handed = true
		return ln, nil
	}

	klog := &kfakeLogger{log: log.With("component", "kfake")}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(listen),
		kfake.ClusterID("velostream-dev"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(parts),
		kfake.WithLogger(klog),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		ln.Close() // kfake closes it only when it got as far as listening
		release()
		return nil, fmt.Errorf("broker: start: %w", err)
	}

	b := &Broker{
		cluster: cluster,
		addr:    ln.Addr().String(),
		log:     log,
		klog:    klog,
		lock:    lock,
		dataDir: cfg.DataDir,
		done:    make(chan struct{}),
	}
	if !isLoopback(ln.Addr()) {
		log.Warn("broker listens beyond loopback; it has no authentication", "addr", b.addr)
	}
	log.Info("broker started", "addr", b.addr, "data_dir", cfg.DataDir, "partitions", parts)
	go func() {
		select {
		case <-ctx.Done():
			b.Close()
		case <-b.done:
		}
	}()
	return b, nil
}

// Addr returns the address the broker listens on and advertises, with the
// real port when Config.Addr asked for port 0.
func (b *Broker) Addr() string { return b.addr }

// Done is closed once the broker has stopped and flushed its data.
func (b *Broker) Done() <-chan struct{} { return b.done }

// Close stops the broker and, with a data dir, flushes everything to disk.
// It returns an error when the flush failed: the data dir may then miss
// what was produced since the last successful write. Close is safe to call
// more than once; later calls return the first call's result.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.klog.startClosing()
		b.cluster.Close()
		b.closeErr = b.klog.closingErrors()
		if b.dataDir != "" && b.closeErr == nil {
			b.closeErr = syncDir(b.dataDir)
		}
		if b.lock != nil {
			b.lock.unlock()
		}
		if b.closeErr != nil {
			b.closeErr = fmt.Errorf("broker: flush data dir: %w", b.closeErr)
		} else {
			b.log.Info("broker stopped", "addr", b.addr)
		}
		close(b.done)
	})
	return b.closeErr
}

// syncDir fsyncs every file and directory under dir. kfake leaves segment
// writes in the page cache even at Close (it fsyncs only its JSON state), so
// a clean stop followed by a power cut could otherwise lose records.
func syncDir(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", path, err)
		}
		return nil
	})
}

// listenAddr validates a Config.Addr and fills in the defaults.
func listenAddr(addr string) (string, error) {
	if addr == "" {
		return DefaultAddr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("broker: address %q: want host:port (e.g. %s): %w", addr, DefaultAddr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("broker: address %q: port %q is not a number from 0 to 65535", addr, port)
	} else {
		port = strconv.FormatUint(n, 10)
	}
	if host == "" {
		// ":9092" would mean every interface to net.Listen; listening
		// beyond loopback must be asked for by name.
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsUnspecified() {
		// kfake advertises the listener's own address in metadata, and
		// clients cannot dial 0.0.0.0 from another machine.
		return "", fmt.Errorf("broker: address %q: clients are told to dial the address the broker binds, so bind the interface they will reach (e.g. 192.168.1.10:%s), not a wildcard", addr, port)
	}
	return net.JoinHostPort(host, port), nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// kfakeLogger forwards kfake's printf-style logs to slog, and remembers
// errors logged while the broker shuts down: that is the only way kfake
// reports a failed final flush of the data dir.
type kfakeLogger struct {
	log *slog.Logger

	mu      sync.Mutex
	closing bool
	errs    []error
}

var kfakeLevels = [...]slog.Level{
	kfake.LogLevelError: slog.LevelError,
	kfake.LogLevelWarn:  slog.LevelWarn,
	kfake.LogLevelInfo:  slog.LevelInfo,
	kfake.LogLevelDebug: slog.LevelDebug,
}

func (l *kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	if level <= kfake.LogLevelNone || int(level) >= len(kfakeLevels) {
		return
	}
	sl := kfakeLevels[level]
	if level == kfake.LogLevelError {
		l.mu.Lock()
		if l.closing {
			l.errs = append(l.errs, fmt.Errorf(format, args...))
		}
		l.mu.Unlock()
	}
	// kfake logs every request at debug level: format only when wanted.
	if !l.log.Enabled(context.Background(), sl) {
		return
	}
	l.log.Log(context.Background(), sl, fmt.Sprintf(format, args...))
}

func (l *kfakeLogger) startClosing() {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
}

func (l *kfakeLogger) closingErrors() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.errs...)
}
