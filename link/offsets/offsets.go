// Package offsets keeps a link's state: for every mirrored source
// partition, the replicated position (where the link resumes) and a sparse
// history of offset mapping points (source offset -> target offset) that
// consumer-group offsets are translated with. It takes the records of the
// link's compacted state topic on the target and gives a Map; it takes new
// positions and points and gives the records to write there.
//
// A point {Source: s, Target: t} means: every replicated record with a
// source offset below s is at a target offset below t, and every one at or
// above s is at t or above. A consumer that committed source offset c
// resumes on the target at the t of the last point with s <= c: it loses
// nothing, and reads again at most the records between s and c.
//
// Records of the state topic (key -> JSON value):
//
//	p/<topic>/<partition>           {"s":S,"t":T}  the position: resume at S
//	m/<topic>/<partition>/<bucket>  {"s":S,"t":T}  the first mapping point of a bucket of
//	                                               `every` source offsets (S / every)
//	failover                        {"at":...}     failover requested
//	failover/done                   a Report       failover finished
//	started                         {"at":...}     an instance started (fencing)
//
// Topic names cannot contain '/', so keys are unambiguous. Compaction keeps
// the newest record per key: the newest position, and each bucket's point
// (written once). Points of replicated records are thus less than 2*every
// source offsets apart, and positions, written far more often, cost one
// small record each. The history in memory is bounded (maxPoints per
// partition, the older half thinned to every other point when full); a
// thinned point is deleted from the topic with a tombstone, so the topic
// does not grow without end either.
package offsets

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultEvery is how many source records apart mapping points are at
// least kept.
const DefaultEvery = 1000

// maxPoints bounds the mapping points kept per partition. When a partition
// has more, the older half is thinned to every other point: recent offsets
// stay precise, old ones coarser, as groups that lag far are rare.
const maxPoints = 2048

// TP is a source topic partition.
type TP struct {
	Topic     string
	Partition int32
}

func (tp TP) String() string { return fmt.Sprintf("%s[%d]", tp.Topic, tp.Partition) }

// Point maps a source offset to a target offset (see the package doc).
type Point struct {
	Source int64 `json:"s"`
	Target int64 `json:"t"`
}

// history is one partition's mapping points, sorted by Source: the first
// point of each bucket (bucket = Source / every) that was seen.
type history struct {
	points []Point
}

// add appends p when it starts a bucket after the last point, and reports
// whether it did and which buckets' points were thinned out.
func (h *history) add(p Point, every int64) (added bool, dropped []int64) {
	if n := len(h.points); n > 0 && p.Source/every <= h.points[n-1].Source/every {
		// The bucket has its point (or p comes from a restart that
		// re-replicates what is already mapped).
		return false, nil
	}
	h.points = append(h.points, p)
	if len(h.points) <= maxPoints {
		return true, nil
	}
	half := len(h.points) / 2
	kept := h.points[:0]
	for i, q := range h.points {
		if i < half && i%2 == 1 {
			dropped = append(dropped, q.Source/every)
			continue
		}
		kept = append(kept, q)
	}
	h.points = kept
	return true, dropped
}

// translate returns the target offset of the last point at or before c.
func (h *history) translate(c int64) (Point, bool) {
	i := sort.Search(len(h.points), func(i int) bool { return h.points[i].Source > c })
	if i == 0 {
		return Point{}, false
	}
	return h.points[i-1], true
}

// Map is a link's state in memory. It is safe for concurrent use: the
// replicator writes it while the group sync reads it.
type Map struct {
	every int64

	mu       sync.RWMutex
	pos      map[TP]Point
	hist     map[TP]*history
	drops    map[TP][]int64 // buckets thinned out, not yet deleted from the topic
	failover *Failover
	report   *Report
}

// NewMap returns an empty Map keeping mapping points every records apart
// (DefaultEvery when 0 or less).
func NewMap(every int) *Map {
	if every <= 0 {
		every = DefaultEvery
	}
	return &Map{every: int64(every), pos: map[TP]Point{}, hist: map[TP]*history{}, drops: map[TP][]int64{}}
}

// Every is the mapping interval in records.
func (m *Map) Every() int64 { return m.every }

// Position returns where replication of tp resumes.
func (m *Map) Position(tp TP) (Point, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.pos[tp]
	return p, ok
}

// Positions returns a copy of every position.
func (m *Map) Positions() map[TP]Point {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[TP]Point, len(m.pos))
	for k, v := range m.pos {
		out[k] = v
	}
	return out
}

// Translate returns the target offset a consumer that committed source
// offset c of tp resumes at, and false when no mapping point is at or
// before c (the group is behind where replication started, or behind the
// oldest point kept).
func (m *Map) Translate(tp TP, c int64) (int64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	best, ok := Point{}, false
	if h := m.hist[tp]; h != nil {
		best, ok = h.translate(c)
	}
	// The position is the newest point of all.
	if pos, has := m.pos[tp]; has && pos.Source <= c && (!ok || pos.Source >= best.Source) {
		best, ok = pos, true
	}
	return best.Target, ok
}

// Failover returns the failover request, if any.
func (m *Map) Failover() *Failover {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.failover
}

// Report returns the failover report, if any.
func (m *Map) Report() *Report {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.report
}

// KV is a record of the state topic. A nil Value deletes the key.
type KV struct {
	Key, Value []byte
}

// Advance records that tp is replicated up to pos, with candidate mapping
// points passed on the way (in source order, before pos), and returns the
// records that make it durable: a mapping record for each point that
// starts a bucket, tombstones for points thinned out earlier, and the
// position.
func (m *Map) Advance(tp TP, pos Point, points []Point) []KV {
	s := m.Stage()
	kvs := s.Advance(tp, pos, points)
	s.Commit()
	return kvs
}

// Staged are advances that take effect on Commit: with exactly once, the
// records are written in a transaction, and the map must not move unless
// it commits.
type Staged struct {
	m     *Map
	added map[TP][]Point
	pos   map[TP]Point
	drops map[TP]int // tombstones of m.drops[tp] included
}

// Stage starts a set of advances.
func (m *Map) Stage() *Staged {
	return &Staged{m: m, added: map[TP][]Point{}, pos: map[TP]Point{}, drops: map[TP]int{}}
}

// Advance is Map.Advance, visible only after Commit.
func (s *Staged) Advance(tp TP, pos Point, points []Point) []KV {
	m := s.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	last := int64(-1)
	if h := m.hist[tp]; h != nil && len(h.points) > 0 {
		last = h.points[len(h.points)-1].Source / m.every
	}
	if a := s.added[tp]; len(a) > 0 {
		last = a[len(a)-1].Source / m.every
	}
	var out []KV
	for _, b := range m.drops[tp] {
		out = append(out, KV{Key: mappingKey(tp, b)})
	}
	s.drops[tp] = len(m.drops[tp])
	for _, p := range append(points, pos) {
		if b := p.Source / m.every; b > last {
			last = b
			s.added[tp] = append(s.added[tp], p)
			out = append(out, KV{Key: mappingKey(tp, b), Value: encodePoint(p)})
		}
	}
	s.pos[tp] = pos
	return append(out, KV{Key: positionKey(tp), Value: encodePoint(pos)})
}

// Commit makes the staged advances visible. Points thinned out of the
// history now are deleted from the topic by the next advance of their
// partition.
func (s *Staged) Commit() {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	for tp, n := range s.drops {
		m.drops[tp] = m.drops[tp][n:]
		if len(m.drops[tp]) == 0 {
			delete(m.drops, tp)
		}
	}
	for tp, pts := range s.added {
		h := m.hist[tp]
		if h == nil {
			h = &history{}
			m.hist[tp] = h
		}
		for _, p := range pts {
			_, dropped := h.add(p, m.every)
			m.drops[tp] = append(m.drops[tp], dropped...)
		}
	}
	for tp, p := range s.pos {
		m.pos[tp] = p
	}
}

// Apply loads one record of the state topic into the map. Records it does
// not know are an error (a newer link wrote them, or another program
// shares the topic): the caller reports them rather than guess.
func (m *Map) Apply(key, value []byte) error {
	k := string(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case k == startedKey:
		return nil // a start marker: it fences older instances, nothing to load
	case k == failoverKey:
		if value == nil {
			m.failover = nil
			return nil
		}
		var f Failover
		if err := json.Unmarshal(value, &f); err != nil {
			return fmt.Errorf("state record %q: %w", k, err)
		}
		m.failover = &f
		return nil
	case k == reportKey:
		if value == nil {
			m.report = nil
			return nil
		}
		var r Report
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("state record %q: %w", k, err)
		}
		m.report = &r
		return nil
	case strings.HasPrefix(k, "p/"):
		tp, rest, err := parseTP(k[2:])
		if err != nil || rest != "" {
			return fmt.Errorf("state record %q: not a position key", k)
		}
		if value == nil {
			delete(m.pos, tp)
			return nil
		}
		p, err := decodePoint(value)
		if err != nil {
			return fmt.Errorf("state record %q: %w", k, err)
		}
		m.pos[tp] = p
		return nil
	case strings.HasPrefix(k, "m/"):
		tp, rest, err := parseTP(k[2:])
		if err != nil || rest == "" {
			return fmt.Errorf("state record %q: not a mapping key", k)
		}
		if value == nil {
			return nil // a thinned point; history keeps what the topic keeps
		}
		p, err := decodePoint(value)
		if err != nil {
			return fmt.Errorf("state record %q: %w", k, err)
		}
		m.addLocked(tp, p)
		return nil
	}
	return fmt.Errorf("state record %q: unknown key", k)
}

// addLocked inserts a loaded mapping point in order, keeping the first
// point of each bucket: a compacted topic returns records in the order of
// their last write, not of their offsets.
func (m *Map) addLocked(tp TP, p Point) {
	h := m.hist[tp]
	if h == nil {
		h = &history{}
		m.hist[tp] = h
	}
	b := p.Source / m.every
	i := sort.Search(len(h.points), func(i int) bool { return h.points[i].Source/m.every >= b })
	if i < len(h.points) && h.points[i].Source/m.every == b {
		if p.Source < h.points[i].Source {
			h.points[i] = p
		}
		return
	}
	h.points = append(h.points, Point{})
	copy(h.points[i+1:], h.points[i:])
	h.points[i] = p
}

func positionKey(tp TP) []byte {
	return []byte("p/" + tp.Topic + "/" + strconv.Itoa(int(tp.Partition)))
}

func mappingKey(tp TP, bucket int64) []byte {
	return []byte("m/" + tp.Topic + "/" + strconv.Itoa(int(tp.Partition)) + "/" + strconv.FormatInt(bucket, 10))
}

// parseTP reads "topic/partition[/rest]".
func parseTP(s string) (TP, string, error) {
	topic, rest, ok := strings.Cut(s, "/")
	if !ok || topic == "" {
		return TP{}, "", errors.New("no topic")
	}
	part, rest, _ := strings.Cut(rest, "/")
	n, err := strconv.ParseInt(part, 10, 32)
	if err != nil || n < 0 {
		return TP{}, "", errors.New("bad partition")
	}
	return TP{Topic: topic, Partition: int32(n)}, rest, nil
}

func encodePoint(p Point) []byte {
	b, _ := json.Marshal(p) // two integers cannot fail
	return b
}

func decodePoint(b []byte) (Point, error) {
	var p Point
	if err := json.Unmarshal(b, &p); err != nil {
		return p, err
	}
	if p.Source < 0 || p.Target < 0 {
		return p, fmt.Errorf("negative offset in %s", b)
	}
	return p, nil
}

// Keys of the failover and start records.
const (
	failoverKey = "failover"
	reportKey   = "failover/done"
	startedKey  = "started"
)

// StartedRecord marks a link instance's start. Written in a transaction
// under the link's transactional ID before the state is read, it fences an
// older instance and ends the transaction it may have left open, which
// would otherwise hold back what a read_committed reader sees.
func StartedRecord(at time.Time, mode string) KV {
	b, _ := json.Marshal(struct {
		At   time.Time `json:"at"`
		Mode string    `json:"mode"`
	}{at, mode})
	return KV{Key: []byte(startedKey), Value: b}
}

// Failover is a request to fail over: the link stops replicating.
type Failover struct {
	At time.Time `json:"at"`
	// By says who asked (the CLI with its host, or the operator).
	By string `json:"by"`
}

// FailoverRecord is the record that asks a link to fail over.
func FailoverRecord(f Failover) KV {
	b, _ := json.Marshal(f)
	return KV{Key: []byte(failoverKey), Value: b}
}

// ClearFailoverRecords are the tombstones that let a failed-over link
// replicate again.
func ClearFailoverRecords() []KV {
	return []KV{{Key: []byte(failoverKey)}, {Key: []byte(reportKey)}}
}

// Report is the outcome of a failover: where each group's consumers resume
// on the target.
type Report struct {
	At     time.Time     `json:"at"`
	Groups []GroupReport `json:"groups"`
}

// GroupReport is one group of a Report.
type GroupReport struct {
	Group string `json:"group"`
	// Offsets are the group's committed offsets on the target by target
	// topic and partition.
	Offsets map[string]map[int32]int64 `json:"offsets,omitempty"`
	// Skipped says why the link did not commit the group's offsets (it is
	// active on the target, or the source could not be read).
	Skipped string `json:"skipped,omitempty"`
}

// ReportRecord is the record of a finished failover.
func ReportRecord(r Report) KV {
	b, _ := json.Marshal(r)
	return KV{Key: []byte(reportKey), Value: b}
}
