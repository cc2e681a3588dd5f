package demo

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit"
	"github.com/velostream/velostream/testkit/report"
	"github.com/velostream/velostream/testkit/schema"
)

// The schemas are a contract with the docs, the sample notebook and the
// NL->SQL examples: pin them column by column.
func TestCatalogSchemas(t *testing.T) {
	want := map[string]string{
		Trades:       "symbol STRING, price DECIMAL(12,4), quantity BIGINT, side STRING, venue STRING, customer_id STRING, ts TIMESTAMP",
		Transactions: "txn_id STRING, customer_id STRING, amount DECIMAL(12,2), currency STRING, region STRING, merchant STRING, fraud_score DOUBLE, lat DOUBLE, lon DOUBLE, ts TIMESTAMP",
		Clicks:       "user_id STRING, session_id STRING, page STRING, referrer STRING, ts TIMESTAMP",
		Customers:    "customer_id STRING, name STRING, tier STRING, region STRING",
	}
	var names []string
	for _, s := range Catalog() {
		names = append(names, s.Name)
		var cols []string
		for _, c := range s.Schema() {
			cols = append(cols, c.Name+" "+c.Type.String())
		}
		if got := strings.Join(cols, ", "); got != want[s.Name] {
			t.Errorf("%s:\n got %s\nwant %s", s.Name, got, want[s.Name])
		}
		if (s.Name == Customers) != s.IsTable() {
			t.Errorf("%s: IsTable = %v", s.Name, s.IsTable())
		}
	}
	if !slices.Equal(names, []string{Trades, Transactions, Clicks, Customers}) {
		t.Errorf("catalog order %v", names)
	}
}

// The DDL must read back through the engine as exactly the catalog schema.
func TestDDLCompilesToTheCatalogSchema(t *testing.T) {
	for _, s := range Catalog() {
		t.Run(s.Name, func(t *testing.T) {
			sql := s.DDL(s.Props("127.0.0.1:9092", "earliest")) + "\nSELECT * FROM " + s.Name + ";"
			q, errs := engine.Compile(sql, engine.Options{NoSampling: true})
			if len(errs) > 0 {
				t.Fatalf("compile:\n%s\n%v", sql, errs)
			}
			if got, want := q.Plan.Output, s.Schema(); !reflect.DeepEqual(got, want) {
				t.Errorf("output schema %v, want %v", got, want)
			}
			src := q.Plan.Sources[0]
			if src.Type != "kafka_source" || src.Props["topic"] != s.Topic {
				t.Errorf("bound to %s %v", src.Type, src.Props)
			}
			if !s.IsTable() && (src.TimeCol < 0 || src.Columns[src.TimeCol].Name != "ts") {
				t.Errorf("event time column not ts: %d", src.TimeCol)
			}
		})
	}
}

func TestGeneratorIsDeterministicPerStream(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := NewGenerator(7), NewGenerator(7)
	// b interleaves the streams differently: each stream's rows must not change.
	var ra, rb []types.Row
	for range 50 {
		r, _ := a.Row(Trades, ts)
		ra = append(ra, r)
	}
	for range 50 {
		b.Row(Clicks, ts)
		r, _ := b.Row(Trades, ts)
		rb = append(rb, r)
	}
	if !reflect.DeepEqual(ra, rb) {
		t.Fatal("trades depend on how the streams interleave")
	}
	c := NewGenerator(8)
	r0, _ := c.Row(Trades, ts)
	if reflect.DeepEqual(r0, ra[0]) {
		t.Error("different seeds gave the same first trade")
	}
	if _, ok := a.Row(Customers, ts); ok {
		t.Error("the customers table has no next row")
	}
}

// Every row must fit its schema's types and constraints, and every
// customer_id must be a key of customers (so joins match).
func TestRowsFitTheirSchemasAndReferenceCustomers(t *testing.T) {
	g := NewGenerator(1)
	keys := map[string]bool{}
	for _, r := range g.Customers() {
		keys[r[0].S] = true
	}
	if len(keys) != NumCustomers || !slices.Equal(slices.Sorted(maps.Keys(keys)), CustomerIDs()) {
		t.Fatalf("customer keys %v", keys)
	}
	for _, r := range g.Customers() {
		if !slices.Contains(Values(Customers, "tier"), r[2].S) || !slices.Contains(Values(Customers, "region"), r[3].S) {
			t.Fatalf("customer %v", r)
		}
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{Trades, Transactions, Clicks} {
		s, _ := Lookup(name)
		schema := s.Schema()
		for i := range 2000 {
			row, _ := g.Row(name, ts)
			if len(row) != len(schema) {
				t.Fatalf("%s row %d has %d values", name, i, len(row))
			}
			for j, c := range schema {
				if row[j].K != c.Type.Kind {
					t.Fatalf("%s.%s is %v, want %v", name, c.Name, row[j].K, c.Type)
				}
				if c.Type.Kind == types.KindDecimal && row[j].Scale != c.Type.Scale {
					t.Fatalf("%s.%s scale %d", name, c.Name, row[j].Scale)
				}
			}
			if i := schema.Index("customer_id"); i >= 0 && !keys[row[i].S] {
				t.Fatalf("%s references unknown customer %q", name, row[i].S)
			}
			for j, c := range schema {
				if vs := Values(name, c.Name); vs != nil && !slices.Contains(vs, row[j].S) {
					t.Fatalf("%s.%s = %q, not one of Values %v", name, c.Name, row[j].S, vs)
				}
			}
			if name == Transactions {
				if f := row[schema.Index("fraud_score")].Float(); f < 0 || f > 1 {
					t.Fatalf("fraud_score %v", f)
				}
				if r := row[schema.Index("region")].S; !slices.Contains(Regions, r) {
					t.Fatalf("region %q", r)
				}
			}
		}
	}
}

// A record must decode with the engine's JSON decoder into the row it was
// made from: the wire format is the engine's own.
func TestEncodeRoundTripsThroughTheEngineDecoder(t *testing.T) {
	g := NewGenerator(3)
	ts := time.UnixMilli(1767323045123).UTC()
	for _, name := range []string{Trades, Transactions, Clicks} {
		s, _ := Lookup(name)
		row, _ := g.Row(name, ts)
		rec := Encode(s, row)
		if want := row[s.Schema().Index(s.Key)].S; string(rec.Key) != want {
			t.Errorf("%s key %q, want %q", name, rec.Key, want)
		}
		var fields []format.Field
		for _, c := range s.Schema() {
			fields = append(fields, format.Field{Name: c.Name, Type: c.Type})
		}
		got := make(types.Row, len(fields))
		if err := format.NewJSONDecoder(fields).Decode(rec.Value, got); err != nil {
			t.Fatalf("%s: %v in %s", name, err, rec.Value)
		}
		if !reflect.DeepEqual(got, row) {
			t.Errorf("%s:\n got %v\nwant %v\njson %s", name, got, row, rec.Value)
		}
	}
}

// The feeder writes every relation into a real (embedded) broker, where a
// query bound by Stream.Props reads them back.
func TestFeedIntoTheEmbeddedBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, err := Feed(ctx, FeedConfig{Bootstrap: b.Addr(), Seed: 1, Rates: map[string]int{Trades: 400, Transactions: 200, Clicks: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Written(Customers); got != NumCustomers {
		t.Fatalf("customers written: %d", got)
	}
	for f.Written(Trades) < 100 || f.Written(Transactions) < 50 {
		select {
		case <-f.Done():
			t.Fatalf("feeder stopped: %v", f.Close())
		case <-ctx.Done():
			t.Fatal("feeder too slow")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Written(Clicks) != 0 {
		t.Errorf("clicks were turned off but %d were written", f.Written(Clicks))
	}
	for _, name := range []string{Trades, Transactions, Customers} {
		s, _ := Lookup(name)
		props := s.Props(b.Addr(), "earliest")
		props["bounded"] = "true"
		sql := s.DDL(props) + "\nSELECT * FROM " + name + ";"
		q, errs := engine.Compile(sql, engine.Options{NoSampling: true})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		var c executor.Collector
		if _, err := q.Run(ctx, executor.Options{Emitter: &c}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := int64(len(c.Rows)), f.Written(name); got != want {
			t.Errorf("%s: read back %d rows, %d written", name, got, want)
		}
	}
}

// The test harness must accept the demo's schema files, and the data it
// generates from them must keep to the demo's values and keys.
func TestTestSchemasGenerateDemoLikeData(t *testing.T) {
	schemas := map[string]*schema.Schema{}
	for _, s := range Catalog() {
		text, ok := TestSchema(s.Name)
		if !ok {
			t.Fatalf("no test schema for %s", s.Name)
		}
		sc, errs := schema.Parse(s.Name+".schema.yaml", text)
		if errs != nil {
			t.Fatalf("%s:\n%s\n%v", s.Name, text, errs)
		}
		if !reflect.DeepEqual(sc.Row(), s.Schema()) {
			t.Errorf("%s: test schema types %v, want %v", s.Name, sc.Row(), s.Schema())
		}
		schemas[s.Name] = sc
	}
	if _, ok := TestSchema("nope"); ok {
		t.Error("a test schema for an unknown stream")
	}
	for _, name := range []string{Trades, Transactions, Clicks} {
		test, err := testkit.Prepare(testkit.Options{File: "q.sql", SQL: "SELECT * FROM " + name + ";\n-- @assert: record_count > 0", Schemas: schemas, Records: 500, HasSeed: true, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rep, err := test.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Passed || rep.Engine.Emitted != 500 {
			t.Errorf("%s: %s", name, report.Text(rep))
		}
	}
}
