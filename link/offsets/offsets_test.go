package offsets

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTranslate(t *testing.T) {
	tp := TP{Topic: "orders", Partition: 2}
	m := NewMap(100)
	// Records 0..999 replicated 1:1 at target offsets 5000.. (the target
	// topic held older records), mapping points passed every 50 records.
	for s := int64(0); s < 1000; s += 250 {
		var pts []Point
		for x := s; x < s+250; x += 50 {
			pts = append(pts, Point{Source: x, Target: 5000 + x})
		}
		m.Advance(tp, Point{Source: s + 250, Target: 5000 + s + 250}, pts)
	}
	tests := []struct {
		committed int64
		want      int64
		ok        bool
	}{
		{committed: 0, want: 5000, ok: true},
		{committed: 99, want: 5000, ok: true},  // bucket 0's point is source 0
		{committed: 100, want: 5100, ok: true}, // exactly a point: nothing read twice
		{committed: 1000, want: 6000, ok: true},
		{committed: 5000, want: 6000, ok: true}, // ahead of replication: the end so far
	}
	for _, tt := range tests {
		got, ok := m.Translate(tp, tt.committed)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Translate(%d) = %d, %v; want %d, %v", tt.committed, got, ok, tt.want, tt.ok)
		}
		if ok && tt.committed <= 1000 {
			// The bound the link documents: nothing lost (the target
			// offset is not past the record's copy), at most 2*every
			// records read again.
			if exact := 5000 + tt.committed; got > exact || exact-got >= 2*m.Every() {
				t.Errorf("Translate(%d) = %d; exact %d", tt.committed, got, exact)
			}
		}
	}
	if _, ok := m.Translate(TP{Topic: "other"}, 10); ok {
		t.Error("a partition without points translated")
	}
}

func TestTranslateBeforeStart(t *testing.T) {
	tp := TP{Topic: "t"}
	m := NewMap(10)
	m.Advance(tp, Point{Source: 500, Target: 20}, []Point{{Source: 400, Target: 0}})
	if _, ok := m.Translate(tp, 399); ok {
		t.Fatal("an offset before the first replicated record translated")
	}
	if got, ok := m.Translate(tp, 450); !ok || got != 0 {
		t.Fatalf("Translate(450) = %d, %v; want 0", got, ok)
	}
}

func TestAdvanceRecordsAndReload(t *testing.T) {
	tp := TP{Topic: "t", Partition: 1}
	m := NewMap(10)
	var all []KV
	all = append(all, m.Advance(tp, Point{Source: 25, Target: 25}, []Point{{0, 0}, {10, 10}, {20, 20}})...)
	all = append(all, m.Advance(tp, Point{Source: 28, Target: 28}, nil)...)
	keys := make([]string, len(all))
	for i, kv := range all {
		keys[i] = string(kv.Key)
	}
	// One mapping record per bucket, a position per Advance.
	want := "m/t/1/0 m/t/1/1 m/t/1/2 p/t/1 p/t/1"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("records %s; want %s", got, want)
	}

	// A compacted topic hands records back in the order of their last
	// write, not of their offsets: mapping records may come in any order,
	// and only the newest position survives.
	re := NewMap(10)
	for i := len(all) - 1; i >= 0; i-- {
		if strings.HasPrefix(string(all[i].Key), "m/") {
			if err := re.Apply(all[i].Key, all[i].Value); err != nil {
				t.Fatal(err)
			}
		}
	}
	last := all[len(all)-1]
	if err := re.Apply(last.Key, last.Value); err != nil {
		t.Fatal(err)
	}
	if p, ok := re.Position(tp); !ok || p != (Point{28, 28}) {
		t.Fatalf("position %v, %v; want {28 28}", p, ok)
	}
	for c := int64(0); c < 40; c++ {
		a, aok := m.Translate(tp, c)
		b, bok := re.Translate(tp, c)
		if a != b || aok != bok {
			t.Fatalf("Translate(%d): %d, %v before reload, %d, %v after", c, a, aok, b, bok)
		}
	}
}

func TestThinningIsBoundedAndDeletesPoints(t *testing.T) {
	tp := TP{Topic: "t"}
	m := NewMap(1)
	tombstones := 0
	for s := int64(1); s <= 10*maxPoints; s++ {
		for _, kv := range m.Advance(tp, Point{Source: s, Target: s}, nil) {
			if kv.Value == nil {
				tombstones++
			}
		}
	}
	n := len(m.hist[tp].points)
	if n > maxPoints {
		t.Fatalf("%d points kept; at most %d", n, maxPoints)
	}
	if tombstones != 10*maxPoints-n {
		t.Fatalf("%d tombstones for %d points dropped", tombstones, 10*maxPoints-n)
	}
	// Recent offsets stay exact; old ones translate to an earlier point.
	if got, _ := m.Translate(tp, 10*maxPoints-3); got != 10*maxPoints-3 {
		t.Fatalf("recent offset translated to %d", got)
	}
	if got, ok := m.Translate(tp, 5); !ok || got > 5 {
		t.Fatalf("old offset translated to %d, %v", got, ok)
	}
}

func TestApplyErrors(t *testing.T) {
	m := NewMap(0)
	for _, tt := range []struct{ key, value, want string }{
		{"x/1", "{}", "unknown key"},
		{"p/t", `{"s":1,"t":1}`, "not a position key"},
		{"p/t/x", `{"s":1,"t":1}`, "not a position key"},
		{"m/t/0", `{"s":1,"t":1}`, "not a mapping key"},
		{"p/t/0", `{"s":-1,"t":1}`, "negative offset"},
		{"p/t/0", `nope`, "invalid character"},
		{"failover", `[]`, "cannot unmarshal"},
	} {
		err := m.Apply([]byte(tt.key), []byte(tt.value))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Apply(%s, %s) = %v; want %q", tt.key, tt.value, err, tt.want)
		}
	}
}

func TestFailoverRecords(t *testing.T) {
	m := NewMap(0)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	kv := FailoverRecord(Failover{At: at, By: "velo link failover (host h)"})
	if err := m.Apply(kv.Key, kv.Value); err != nil {
		t.Fatal(err)
	}
	if f := m.Failover(); f == nil || !f.At.Equal(at) {
		t.Fatalf("failover %+v", f)
	}
	r := Report{At: at, Groups: []GroupReport{{Group: "g", Offsets: map[string]map[int32]int64{"src.t": {0: 7}}}}}
	kv = ReportRecord(r)
	if err := m.Apply(kv.Key, kv.Value); err != nil {
		t.Fatal(err)
	}
	if got := m.Report(); got == nil || got.Groups[0].Offsets["src.t"][0] != 7 {
		t.Fatalf("report %+v", got)
	}
	for _, kv := range ClearFailoverRecords() {
		if err := m.Apply(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	if m.Failover() != nil || m.Report() != nil {
		t.Fatal("tombstones did not clear the failover")
	}
}

func BenchmarkAdvance(b *testing.B) {
	tp := TP{Topic: "t"}
	m := NewMap(1000)
	b.ReportAllocs()
	var s int64
	for b.Loop() {
		s += 500
		m.Advance(tp, Point{Source: s, Target: s}, nil)
	}
	_ = fmt.Sprint(s)
}

// TestStagedIsInvisibleUntilCommit pins the exactly-once contract: an
// aborted transaction leaves the map as it was.
func TestStagedIsInvisibleUntilCommit(t *testing.T) {
	tp := TP{Topic: "t"}
	m := NewMap(10)
	m.Advance(tp, Point{Source: 5, Target: 5}, []Point{{0, 0}})

	s := m.Stage()
	kvs := s.Advance(tp, Point{Source: 35, Target: 35}, []Point{{10, 10}, {20, 20}, {30, 30}})
	if len(kvs) != 4 {
		t.Fatalf("staged %d records; want 3 mapping points and a position", len(kvs))
	}
	if p, _ := m.Position(tp); p.Source != 5 {
		t.Fatalf("uncommitted position visible: %v", p)
	}
	if got, _ := m.Translate(tp, 25); got != 5 {
		t.Fatalf("uncommitted point visible: Translate(25) = %d", got)
	}
	// Abandoned: a new stage starts from the committed state and writes
	// the same points again.
	s = m.Stage()
	if kvs := s.Advance(tp, Point{Source: 35, Target: 35}, []Point{{10, 10}, {20, 20}, {30, 30}}); len(kvs) != 4 {
		t.Fatalf("restaged %d records; want 4", len(kvs))
	}
	s.Commit()
	if got, _ := m.Translate(tp, 25); got != 20 {
		t.Fatalf("committed Translate(25) = %d; want 20", got)
	}
}
