package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestParseStatusReadsWhatTheLinkServes: a scrape of a link's own handler
// parses back into the status the operator reports: lag summed per topic,
// the largest lag in seconds, the latest write, connections, the failover.
func TestParseStatusReadsWhatTheLinkServes(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	m := New("ns/dr", func() []PartitionLag {
		return []PartitionLag{
			{Topic: "orders", Partition: 0, LagRecords: 5, LagSeconds: 1.5, LastReplicated: at},
			{Topic: "orders", Partition: 1, LagRecords: 7, LagSeconds: 3, LastReplicated: at.Add(time.Second)},
			{Topic: "payments", Partition: 0},
		}
	}, true)
	m.SetConnected("source", true)
	m.SetConnected("target", false)
	m.SetTopics(2)
	rec, by := m.Partition("orders", 0)
	rec.Add(3)
	by.Add(300)
	m.GroupSynced("billing", 2, at)
	m.SetFailover(at.Add(time.Minute), map[string]map[string]map[int32]int64{"billing": {"src.orders": {0: 10, 1: 20}}}, map[string]string{"crm": "active_on_target"})

	rr := httptest.NewRecorder()
	m.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rr.Body)
	st, err := ParseStatus(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Connected["source"] || st.Connected["target"] || st.MirroredTopics != 2 {
		t.Fatalf("status %+v", st)
	}
	if len(st.Topics) != 2 {
		t.Fatalf("topics %+v", st.Topics)
	}
	o := st.Topics[0]
	if o.Name != "orders" || o.LagRecords != 12 || o.LagSeconds != 3 || !o.LastReplicated.Equal(at.Add(time.Second)) {
		t.Fatalf("orders %+v", o)
	}
	if p := st.Topics[1]; p.Name != "payments" || p.LagRecords != 0 || !p.LastReplicated.IsZero() {
		t.Fatalf("payments %+v", p)
	}
	if !st.FailedOver || !st.FailedOverAt.Equal(at.Add(time.Minute)) || st.FailoverOffsets["billing"]["src.orders"][1] != 20 || st.FailoverSkipped["crm"] != "active_on_target" {
		t.Fatalf("failover %+v %+v %+v", st.FailedOver, st.FailoverOffsets, st.FailoverSkipped)
	}
	for _, want := range []string{
		`velo_link_records_replicated_total{link="ns/dr",partition="0",topic="orders"} 3`,
		`velo_link_bytes_replicated_total{link="ns/dr",partition="0",topic="orders"} 300`,
		`velo_link_group_offsets_synced_total{group="billing",link="ns/dr"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func TestParseStatusRefusesOtherEndpoints(t *testing.T) {
	for _, in := range []string{
		"# a query runner's metrics\nvelo_query_records_read_total{query=\"q\"} 3\n",
		"not the text format {",
	} {
		if _, err := ParseStatus(strings.NewReader(in)); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", in)
		}
	}
}
