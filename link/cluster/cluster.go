// Package cluster connects a link to one Kafka cluster. It takes a
// config.Connection (brokers, TLS and SASL files) and gives a Cluster: the
// franz-go client options every client of that side shares, and the admin
// operations the link needs (topics with partition counts and replicated
// configurations, creating topics and partitions, end offsets, consumer
// groups and their offsets, the brokers the cluster advertises).
//
// Credentials are read with the engine's Kafka connector
// (engine/connectors/kafka.Security), so a link and a query read the same
// TLS files and SASL settings the same way; the connector's SASL mechanism
// (kafka-go's) is adapted to franz-go's interface.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	kgsasl "github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/kafka"
	"github.com/velostream/velostream/link/config"
)

// Timeouts of admin requests. A link runs for months; one slow request must
// fail and be retried at the next sync rather than hang the link.
const (
	dialTimeout    = 10 * time.Second
	requestTimeout = 15 * time.Second
)

// ReplicatedConfigs are the topic configurations a link copies to the
// target when they are set on the source topic (not left at the broker's
// default): retention, cleanup policy, compression and maximum record size.
var ReplicatedConfigs = []string{"cleanup.policy", "retention.ms", "retention.bytes", "compression.type", "max.message.bytes"}

// Cluster is one side of a link.
type Cluster struct {
	// Side is "source" or "target", for logs, errors and metrics.
	Side  string
	opts  []kgo.Opt
	cl    *kgo.Client
	admin *kadm.Client
}

// Dial builds the client options for c and an admin client. It does not
// wait for the cluster: a link starts while a cluster is down and retries.
func Dial(side string, c config.Connection, log *slog.Logger) (*Cluster, error) {
	opts, err := Options(side, c, log)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", side, err)
	}
	admin := kadm.NewClient(cl)
	admin.SetTimeoutMillis(int32(requestTimeout / time.Millisecond))
	return &Cluster{Side: side, opts: opts, cl: cl, admin: admin}, nil
}

// Close closes the admin client.
func (c *Cluster) Close() { c.cl.Close() }

// Opts returns the connection options plus extra, for a consumer or
// producer of this side.
func (c *Cluster) Opts(extra ...kgo.Opt) []kgo.Opt {
	return append(slices.Clip(c.opts), extra...)
}

// Client is the admin client's underlying client (for requests kadm does
// not wrap).
func (c *Cluster) Client() *kgo.Client { return c.cl }

// Options turns a connection into franz-go options: seed brokers, TLS and
// SASL, timeouts, and a logger.
func Options(side string, c config.Connection, log *slog.Logger) ([]kgo.Opt, error) {
	props := map[string]string{"bootstrap.servers": strings.Join(c.Brokers, ",")}
	proto := "PLAINTEXT"
	switch {
	case c.TLS != nil && c.SASL != nil:
		proto = "SASL_SSL"
	case c.TLS != nil:
		proto = "SSL"
	case c.SASL != nil:
		proto = "SASL_PLAINTEXT"
	}
	props["security.protocol"] = proto
	if t := c.TLS; t != nil {
		setIf(props, "tls.ca.file", t.CAFile)
		setIf(props, "tls.cert.file", t.CertFile)
		setIf(props, "tls.key.file", t.KeyFile)
		if t.InsecureSkipVerify {
			props["tls.insecure.skip.verify"] = "true"
		}
	}
	if s := c.SASL; s != nil {
		user, err := readSecret(s.UsernameFile, "sasl.usernameFile")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		pass, err := readSecret(s.PasswordFile, "sasl.passwordFile")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		props["sasl.mechanism"], props["sasl.username"], props["sasl.password"] = s.Mechanism, user, pass
	}
	tlsCfg, mech, err := kafka.Security(connectors.Config{Name: side, Props: props})
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID("velo-link"),
		kgo.DialTimeout(dialTimeout),
		kgo.RequestTimeoutOverhead(requestTimeout),
		// Retry a request for as long as a sync interval could wait; the
		// link's loops retry after that themselves.
		kgo.RetryTimeout(requestTimeout),
		kgo.MetadataMinAge(time.Second),
		kgo.WithLogger(slogger{log: log.With("cluster", side)}),
	}
	if tlsCfg != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(saslAdapter{mech}))
	}
	return opts, nil
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// readSecret reads a credential file. A trailing newline (an edited file, a
// Secret made with --from-file) would otherwise fail authentication in a
// way that is hard to see.
func readSecret(path, field string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", field, path)
	}
	return s, nil
}

// saslAdapter gives a kafka-go SASL mechanism franz-go's interface: both
// are a first message and then challenge-response steps.
type saslAdapter struct{ m kgsasl.Mechanism }

func (a saslAdapter) Name() string { return a.m.Name() }

func (a saslAdapter) Authenticate(ctx context.Context, host string) (sasl.Session, []byte, error) {
	sm, first, err := a.m.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	return saslSession{ctx: ctx, sm: sm}, first, nil
}

type saslSession struct {
	ctx context.Context
	sm  kgsasl.StateMachine
}

func (s saslSession) Challenge(b []byte) (bool, []byte, error) { return s.sm.Next(s.ctx, b) }

// slogger sends franz-go's logs to slog; its debug logs (every request) are
// dropped unless slog asks for debug.
type slogger struct{ log *slog.Logger }

func (l slogger) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case l.log.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelDebug
	case l.log.Enabled(ctx, slog.LevelInfo):
		// franz-go's info level logs every connection and metadata
		// change; a link would repeat them forever.
		return kgo.LogLevelWarn
	}
	return kgo.LogLevelError
}

func (l slogger) Log(level kgo.LogLevel, msg string, kv ...any) {
	lv := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	case kgo.LogLevelInfo:
		lv = slog.LevelInfo
	}
	l.log.Log(context.Background(), lv, "kafka: "+msg, kv...)
}

// Topic is a topic as the link sees it.
type Topic struct {
	Name       string
	Partitions int
	// Internal is Kafka's flag (__consumer_offsets, __transaction_state).
	Internal bool
}

// Topics lists the cluster's topics with their partition counts. A topic
// whose metadata carries an error (being created or deleted) is left out
// and reported as the error if nothing else is.
func (c *Cluster) Topics(ctx context.Context) (map[string]Topic, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	md, err := c.admin.Metadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: listing topics: %w", c.Side, err)
	}
	out := make(map[string]Topic, len(md.Topics))
	for name, td := range md.Topics {
		if td.Err != nil {
			continue
		}
		out[name] = Topic{Name: name, Partitions: len(td.Partitions), Internal: td.IsInternal}
	}
	return out, nil
}

// Brokers returns the cluster's ID and the host:port of every broker it
// advertises, sorted. Two connections whose clusters advertise a broker in
// common reach the same cluster.
func (c *Cluster) Brokers(ctx context.Context) (clusterID string, addrs []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	md, err := c.admin.BrokerMetadata(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("%s: metadata: %w", c.Side, err)
	}
	for _, b := range md.Brokers {
		addrs = append(addrs, strings.ToLower(b.Host)+":"+strconv.Itoa(int(b.Port)))
	}
	sort.Strings(addrs)
	return md.Cluster, addrs, nil
}

// TopicConfigs returns, per topic, the ReplicatedConfigs set on it (not
// the broker's defaults).
func (c *Cluster) TopicConfigs(ctx context.Context, topics ...string) (map[string]map[string]string, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	rcs, err := c.admin.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("%s: describing topic configs: %w", c.Side, err)
	}
	out := make(map[string]map[string]string, len(rcs))
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("%s: describing configs of %s: %w", c.Side, rc.Name, rc.Err)
		}
		m := map[string]string{}
		for _, cfg := range rc.Configs {
			if !slices.Contains(ReplicatedConfigs, cfg.Key) || cfg.Value == nil {
				continue
			}
			// Old brokers report no source; a value they list for the
			// topic is then taken as set on it.
			if cfg.Source == kmsg.ConfigSourceDynamicTopicConfig || cfg.Source == kmsg.ConfigSourceUnknown {
				m[cfg.Key] = *cfg.Value
			}
		}
		out[rc.Name] = m
	}
	return out, nil
}

// CreateTopic creates a topic with the given partition count and
// configurations, keeping record timestamps as the producer set them. It is
// not an error when the topic already exists.
func (c *Cluster) CreateTopic(ctx context.Context, name string, partitions int, configs map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	cfgs := map[string]*string{}
	for k, v := range configs {
		cfgs[k] = &v
	}
	// A target whose brokers default to LogAppendTime would otherwise
	// overwrite every replicated timestamp.
	cfgs["message.timestamp.type"] = ptr("CreateTime")
	resp, err := c.admin.CreateTopic(ctx, int32(partitions), -1, cfgs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("%s: creating topic %s: %w", c.Side, name, err)
	}
	return nil
}

// AlterConfigs sets configurations of a topic.
func (c *Cluster) AlterConfigs(ctx context.Context, topic string, configs map[string]string) error {
	if len(configs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var alters []kadm.AlterConfig
	for k, v := range configs {
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: ptr(v)})
	}
	sort.Slice(alters, func(i, j int) bool { return alters[i].Name < alters[j].Name })
	resps, err := c.admin.AlterTopicConfigs(ctx, alters, topic)
	if err != nil {
		return fmt.Errorf("%s: altering configs of %s: %w", c.Side, topic, err)
	}
	for _, r := range resps {
		if r.Err != nil {
			return fmt.Errorf("%s: altering configs of %s: %w", c.Side, topic, r.Err)
		}
	}
	return nil
}

// SetPartitions raises a topic's partition count to n.
func (c *Cluster) SetPartitions(ctx context.Context, topic string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resps, err := c.admin.UpdatePartitions(ctx, n, topic)
	if err == nil {
		var r kadm.CreatePartitionsResponse
		if r, err = resps.On(topic, nil); err == nil {
			err = r.Err
		}
	}
	if err != nil {
		return fmt.Errorf("%s: raising partitions of %s to %d: %w", c.Side, topic, n, err)
	}
	return nil
}

// Which offsets of a partition Offsets lists.
type Which int

const (
	// Start is the first offset still on the broker.
	Start Which = iota
	// End is the high watermark: the offset the next record gets.
	End
	// Committed is the last stable offset: what a read_committed
	// consumer can reach (End when no transaction is open).
	Committed
)

// Offsets returns the start, end or last stable offset of each partition
// of topics. Partitions whose offsets failed are left out; the first
// failure is returned only when no partition succeeded.
func (c *Cluster) Offsets(ctx context.Context, which Which, topics ...string) (map[string]map[int32]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	list := map[Which]func(context.Context, ...string) (kadm.ListedOffsets, error){
		Start: c.admin.ListStartOffsets, End: c.admin.ListEndOffsets, Committed: c.admin.ListCommittedOffsets,
	}[which]
	lo, err := list(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("%s: listing offsets: %w", c.Side, err)
	}
	out := map[string]map[int32]int64{}
	var firstErr error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: offsets of %s[%d]: %w", c.Side, o.Topic, o.Partition, o.Err)
			}
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Group is a consumer group as ListGroups and DescribeGroups see it.
type Group struct {
	Name string
	// State is Kafka's: Empty, Stable, PreparingRebalance,
	// CompletingRebalance or Dead.
	State   string
	Members int
}

// Active reports whether the group has consumers: its offsets belong to
// them, and a link must not commit over them.
func (g Group) Active() bool {
	return g.Members > 0 || (g.State != "Empty" && g.State != "Dead" && g.State != "")
}

// Groups lists the cluster's consumer groups.
func (c *Cluster) Groups(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	lg, err := c.admin.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: listing groups: %w", c.Side, err)
	}
	out := lg.Groups()
	sort.Strings(out)
	return out, nil
}

// DescribeGroups returns the state of each group; a group the cluster does
// not know is Dead with no members.
func (c *Cluster) DescribeGroups(ctx context.Context, groups ...string) (map[string]Group, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	dg, err := c.admin.DescribeGroups(ctx, groups...)
	if err != nil {
		return nil, fmt.Errorf("%s: describing groups: %w", c.Side, err)
	}
	out := make(map[string]Group, len(groups))
	for _, g := range groups {
		d, ok := dg[g]
		if !ok || d.Err != nil {
			if ok && !errors.Is(d.Err, kerr.GroupIDNotFound) {
				return nil, fmt.Errorf("%s: describing group %s: %w", c.Side, g, d.Err)
			}
			out[g] = Group{Name: g, State: "Dead"}
			continue
		}
		out[g] = Group{Name: g, State: d.State, Members: len(d.Members)}
	}
	return out, nil
}

// GroupOffsets returns a group's committed offsets by topic and partition.
func (c *Cluster) GroupOffsets(ctx context.Context, group string) (map[string]map[int32]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := c.admin.FetchOffsets(ctx, group)
	if err == nil {
		err = resp.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[string]map[int32]int64{}, nil // a group with no commits here yet
	}
	if err != nil {
		return nil, fmt.Errorf("%s: offsets of group %s: %w", c.Side, group, err)
	}
	out := map[string]map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil || o.At < 0 {
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.At
	})
	return out, nil
}

// CommitGroupOffsets commits offsets for a group that has no members, as
// a tool would (generation -1): Kafka refuses it while the group is active.
func (c *Cluster) CommitGroupOffsets(ctx context.Context, group string, offsets map[string]map[int32]int64) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	os := kadm.Offsets{}
	for t, ps := range offsets {
		for p, o := range ps {
			os.Add(kadm.Offset{Topic: t, Partition: p, At: o, LeaderEpoch: -1})
		}
	}
	resp, err := c.admin.CommitOffsets(ctx, group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("%s: committing offsets of group %s: %w", c.Side, group, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
