// Package metrics holds a link's Prometheus series: their names (which the
// dashboard generator and the operator read), the registry `velo link`
// serves at /metrics, and the parser the operator reads a link's status
// from. It takes the replicator's counters and a callback that reports lag
// at scrape time, and gives an http.Handler; it takes a scrape and gives a
// Status.
//
// Every series carries link=<namespace/name or name>. Per partition:
// records and bytes replicated, lag in records and seconds, the time of the
// last replicated record. Per topic: records the filter dropped and records
// it could not judge. Per group: offsets synced and the last sync. Per side:
// whether the link reaches the cluster.
//
// Lag in seconds is how long ago the target last held everything the
// source held (0 while caught up): a recovery-point figure, measured on the
// link's clock, not from record timestamps, which producers may set to any
// time.
package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series names.
const (
	RecordsReplicated = "velo_link_records_replicated_total"
	BytesReplicated   = "velo_link_bytes_replicated_total"
	RecordsFiltered   = "velo_link_records_filtered_total"
	FilterErrors      = "velo_link_filter_errors_total"
	LagRecords        = "velo_link_lag_records"
	LagSeconds        = "velo_link_lag_seconds"
	LastReplicated    = "velo_link_last_replicated_timestamp_seconds"
	GroupOffsetsSync  = "velo_link_group_offsets_synced_total"
	GroupLastSync     = "velo_link_group_last_sync_timestamp_seconds"
	GroupsSkipped     = "velo_link_groups_skipped_total"
	Connected         = "velo_link_connected"
	TopicsMirrored    = "velo_link_topics_mirrored"
	FailedOver        = "velo_link_failed_over"
	FailoverOffset    = "velo_link_failover_offset"
	FailoverSkipped   = "velo_link_failover_group_skipped"
	Restarts          = "velo_link_replication_restarts_total"
)

// PartitionLag is one partition's replication state at a scrape.
type PartitionLag struct {
	Topic      string
	Partition  int32
	LagRecords int64
	LagSeconds float64
	// LastReplicated is when a record of the partition was last written
	// to the target; zero if none since the link started.
	LastReplicated time.Time
}

// Metrics are one link's series.
type Metrics struct {
	reg  *prometheus.Registry
	link string

	records, bytes   *prometheus.CounterVec
	filtered, badRec *prometheus.CounterVec
	groupsSynced     *prometheus.CounterVec
	groupLastSync    *prometheus.GaugeVec
	groupsSkipped    *prometheus.CounterVec
	connected        *prometheus.GaugeVec
	topics           prometheus.Gauge
	failedOver       prometheus.Gauge
	failoverOffset   *prometheus.GaugeVec
	failoverSkipped  *prometheus.GaugeVec
	restarts         prometheus.Counter
}

// New registers a link's series. lag is called at every scrape.
func New(link string, lag func() []PartitionLag, runtime bool) *Metrics {
	reg := prometheus.NewRegistry()
	constLabels := prometheus.Labels{"link": link}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: constLabels}, labels)
		reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: constLabels}, labels)
		reg.MustRegister(g)
		return g
	}
	m := &Metrics{reg: reg, link: link}
	m.records = counter(RecordsReplicated, "Records written to the target, by source topic and partition.", "topic", "partition")
	m.bytes = counter(BytesReplicated, "Key and value bytes written to the target, by source topic and partition.", "topic", "partition")
	m.filtered = counter(RecordsFiltered, "Records the filter did not select.", "topic")
	m.badRec = counter(FilterErrors, "Records the filter could not judge (not a JSON object, or the expression failed); they are not replicated.", "topic")
	m.groupsSynced = counter(GroupOffsetsSync, "Partition offsets of a consumer group translated and committed on the target.", "group")
	m.groupLastSync = gauge(GroupLastSync, "When a consumer group's offsets were last synced to the target (Unix seconds).", "group")
	m.groupsSkipped = counter(GroupsSkipped, "Group syncs skipped, by reason (active_on_target, untranslatable, error).", "group", "reason")
	m.connected = gauge(Connected, "1 when the link's last request to the cluster succeeded.", "cluster")
	m.topics = gauge(TopicsMirrored, "Source topics being mirrored.").WithLabelValues()
	m.failedOver = gauge(FailedOver, "When the failover finished (Unix seconds); 0 while the link replicates.").WithLabelValues()
	m.failoverOffset = gauge(FailoverOffset, "After a failover: the target offset a group's consumers resume at.", "group", "topic", "partition")
	m.failoverSkipped = gauge(FailoverSkipped, "After a failover: 1 for a group whose offsets were not synced, with why.", "group", "reason")
	m.restarts = counter(Restarts, "Times replication restarted from the stored position after an error.").WithLabelValues()
	reg.MustRegister(newLagCollector(link, lag))
	if runtime {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the link's registry (for tests and in-process scrapes).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Partition returns the counters of one partition, resolved once so the
// replication loop does not hash labels per record.
func (m *Metrics) Partition(topic string, partition int32) (records, bytes prometheus.Counter) {
	p := strconv.Itoa(int(partition))
	return m.records.WithLabelValues(topic, p), m.bytes.WithLabelValues(topic, p)
}

// Topic returns a topic's filter counters.
func (m *Metrics) Topic(topic string) (filtered, errors prometheus.Counter) {
	return m.filtered.WithLabelValues(topic), m.badRec.WithLabelValues(topic)
}

// SetConnected records whether the last request to a side succeeded.
func (m *Metrics) SetConnected(side string, ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	m.connected.WithLabelValues(side).Set(v)
}

// SetTopics records how many topics are mirrored.
func (m *Metrics) SetTopics(n int) { m.topics.Set(float64(n)) }

// GroupSynced records a group sync that committed n partition offsets.
func (m *Metrics) GroupSynced(group string, n int, at time.Time) {
	m.groupsSynced.WithLabelValues(group).Add(float64(n))
	m.groupLastSync.WithLabelValues(group).Set(float64(at.UnixMilli()) / 1000)
}

// GroupSkipped records a group not synced, and why.
func (m *Metrics) GroupSkipped(group, reason string) {
	m.groupsSkipped.WithLabelValues(group, reason).Inc()
}

// Restarted records a replication restart.
func (m *Metrics) Restarted() { m.restarts.Inc() }

// SetFailover publishes a finished failover: when, and per group the
// offsets on the target by topic and partition, or why the group was
// skipped.
func (m *Metrics) SetFailover(at time.Time, offsets map[string]map[string]map[int32]int64, skipped map[string]string) {
	m.failedOver.Set(float64(at.UnixMilli()) / 1000)
	for g, ts := range offsets {
		for t, ps := range ts {
			for p, o := range ps {
				m.failoverOffset.WithLabelValues(g, t, strconv.Itoa(int(p))).Set(float64(o))
			}
		}
	}
	for g, why := range skipped {
		m.failoverSkipped.WithLabelValues(g, why).Set(1)
	}
}

// lagCollector reports the replicator's lag at scrape time.
type lagCollector struct {
	lag            func() []PartitionLag
	rec, sec, last *prometheus.Desc
}

func newLagCollector(link string, lag func() []PartitionLag) *lagCollector {
	labels, link1 := []string{"topic", "partition"}, prometheus.Labels{"link": link}
	return &lagCollector{
		lag:  lag,
		rec:  prometheus.NewDesc(LagRecords, "Records on the source not yet on the target (source end offset minus replicated position), by source topic and partition.", labels, link1),
		sec:  prometheus.NewDesc(LagSeconds, "Seconds since the target last held everything the source held; 0 while caught up.", labels, link1),
		last: prometheus.NewDesc(LastReplicated, "When a record of the partition was last written to the target (Unix seconds).", labels, link1),
	}
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.rec
	ch <- c.sec
	ch <- c.last
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.lag() {
		p := strconv.Itoa(int(l.Partition))
		ch <- prometheus.MustNewConstMetric(c.rec, prometheus.GaugeValue, float64(l.LagRecords), l.Topic, p)
		ch <- prometheus.MustNewConstMetric(c.sec, prometheus.GaugeValue, l.LagSeconds, l.Topic, p)
		if !l.LastReplicated.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(l.LastReplicated.UnixMilli())/1000, l.Topic, p)
		}
	}
}

// Status is what a scrape of a link says, as the operator reports it.
type Status struct {
	// Connected maps "source" and "target" to whether the link reaches
	// them; a side missing has not been tried yet.
	Connected      map[string]bool
	MirroredTopics int
	// Topics are per source topic: lag summed over partitions, the
	// largest lag in seconds, the latest replication time.
	Topics     []TopicStatus
	FailedOver bool
	// FailedOverAt is when the failover finished.
	FailedOverAt time.Time
	// FailoverOffsets are per group, target topic and partition.
	FailoverOffsets map[string]map[string]map[int32]int64
	// FailoverSkipped are groups not synced at failover, and why.
	FailoverSkipped map[string]string
}

// TopicStatus is one topic of a Status.
type TopicStatus struct {
	Name           string
	LagRecords     int64
	LagSeconds     float64
	LastReplicated time.Time
}

// ParseStatus reads a link's status from a scrape in Prometheus' text
// format.
func ParseStatus(r io.Reader) (*Status, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("link metrics: %w", err)
	}
	st := &Status{Connected: map[string]bool{}}
	if _, ok := fams[TopicsMirrored]; !ok {
		return nil, fmt.Errorf("link metrics: no %s series: is this a velo link endpoint?", TopicsMirrored)
	}
	label := func(m *dto.Metric, name string) string {
		for _, l := range m.GetLabel() {
			if l.GetName() == name {
				return l.GetValue()
			}
		}
		return ""
	}
	each := func(name string, f func(m *dto.Metric, v float64)) {
		fam := fams[name]
		if fam == nil {
			return
		}
		for _, m := range fam.GetMetric() {
			v := m.GetGauge().GetValue()
			if m.GetCounter() != nil {
				v = m.GetCounter().GetValue()
			}
			f(m, v)
		}
	}
	each(Connected, func(m *dto.Metric, v float64) { st.Connected[label(m, "cluster")] = v == 1 })
	each(TopicsMirrored, func(_ *dto.Metric, v float64) { st.MirroredTopics = int(v) })
	each(FailedOver, func(_ *dto.Metric, v float64) {
		if v > 0 {
			st.FailedOver, st.FailedOverAt = true, time.UnixMilli(int64(v*1000)).UTC()
		}
	})
	topics := map[string]*TopicStatus{}
	topic := func(name string) *TopicStatus {
		t := topics[name]
		if t == nil {
			t = &TopicStatus{Name: name}
			topics[name] = t
		}
		return t
	}
	each(LagRecords, func(m *dto.Metric, v float64) { topic(label(m, "topic")).LagRecords += int64(v) })
	each(LagSeconds, func(m *dto.Metric, v float64) {
		t := topic(label(m, "topic"))
		t.LagSeconds = math.Max(t.LagSeconds, v)
	})
	each(LastReplicated, func(m *dto.Metric, v float64) {
		t := topic(label(m, "topic"))
		if at := time.UnixMilli(int64(v * 1000)); at.After(t.LastReplicated) {
			t.LastReplicated = at
		}
	})
	for _, t := range topics {
		st.Topics = append(st.Topics, *t)
	}
	sort.Slice(st.Topics, func(i, j int) bool { return st.Topics[i].Name < st.Topics[j].Name })
	each(FailoverOffset, func(m *dto.Metric, v float64) {
		g, t := label(m, "group"), label(m, "topic")
		p, err := strconv.Atoi(label(m, "partition"))
		if err != nil {
			return
		}
		if st.FailoverOffsets == nil {
			st.FailoverOffsets = map[string]map[string]map[int32]int64{}
		}
		if st.FailoverOffsets[g] == nil {
			st.FailoverOffsets[g] = map[string]map[int32]int64{}
		}
		if st.FailoverOffsets[g][t] == nil {
			st.FailoverOffsets[g][t] = map[int32]int64{}
		}
		st.FailoverOffsets[g][t][int32(p)] = int64(v)
	})
	each(FailoverSkipped, func(m *dto.Metric, v float64) {
		if v != 1 {
			return
		}
		if st.FailoverSkipped == nil {
			st.FailoverSkipped = map[string]string{}
		}
		st.FailoverSkipped[label(m, "group")] = label(m, "reason")
	})
	return st, nil
}
