// Package demo is Velostream's demo data set: the streams `velo studio
// --demo` and `velo demo` feed, the sample notebooks, the documentation and
// the NL->SQL examples use. Keeping one definition here means that a column
// renamed for the demo is renamed everywhere.
//
// Takes: a seed (and, for Feed, a Kafka bootstrap address). Gives: the
// catalog of the four demo relations with their exact schemas (Catalog),
// deterministic rows for them (Generator), the SQL declarations that bind
// them to Kafka topics (Stream.DDL), and a feeder that writes them into a
// broker at a steady rate (Feed).
//
// The relations are
//
//	trades(symbol STRING, price DECIMAL(12,4), quantity INTEGER, side STRING,
//	       venue STRING, customer_id STRING, ts TIMESTAMP)
//	transactions(txn_id STRING, customer_id STRING, amount DECIMAL(12,2),
//	       currency STRING, region STRING, merchant STRING, fraud_score DOUBLE,
//	       lat DOUBLE, lon DOUBLE, ts TIMESTAMP)
//	clicks(user_id STRING, session_id STRING, page STRING, referrer STRING,
//	       ts TIMESTAMP)
//	customers TABLE (customer_id STRING, name STRING, tier STRING, region STRING)
//
// and every customer_id in trades and transactions is a key of customers.
package demo

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/types"
)

// Names of the demo relations (and of their Kafka topics).
const (
	Trades       = "trades"
	Transactions = "transactions"
	Clicks       = "clicks"
	Customers    = "customers"
)

// Column is one column of a demo relation, with what it means (the NL->SQL
// prompt and the Studio's schema view show it).
type Column struct {
	Name        string
	Type        types.Type
	Description string
}

// Stream is one demo relation: a stream of events or a table of keyed rows.
type Stream struct {
	Name        string
	Kind        ast.RelationKind
	Description string
	Columns     []Column
	// Topic is the Kafka topic the relation lives in.
	Topic string
	// Key is the column whose value is the Kafka record key: a table's
	// primary key, a stream's partitioning key.
	Key string
	// TimeField is the event-time column; "" for a table.
	TimeField string
	// Rate is the default number of records per second the feeder writes;
	// 0 for a table (written once).
	Rate int
}

// Schema is the relation's columns as the engine types them.
func (s Stream) Schema() types.Schema {
	out := make(types.Schema, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = types.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// IsTable reports whether the relation is a table.
func (s Stream) IsTable() bool { return s.Kind == ast.Table }

// MaxOutOfOrder is how far behind the newest event a demo record may be:
// the feeder jitters event times by less than this, and the watermark
// waits this long.
const MaxOutOfOrder = "1s"

// Props are the connector properties (without the `<name>.` prefix) that
// bind the relation to its topic on the broker at bootstrap. start is the
// Kafka source's start position ("earliest", "latest", or "" for the
// connector's default); a table is always read from the beginning.
func (s Stream) Props(bootstrap, start string) map[string]string {
	p := map[string]string{
		"type":   "kafka_source",
		"topic":  s.Topic,
		"format": "json",
	}
	if bootstrap != "" {
		p["bootstrap.servers"] = bootstrap
	}
	if s.IsTable() {
		p["key.field"] = s.Key
		p["start"] = "earliest"
		return p
	}
	p["event.time.field"] = s.TimeField
	p["watermark.max_out_of_orderness"] = MaxOutOfOrder
	// A partition the feeder has not written to for a while must not hold
	// the watermark (and every window) back.
	p["idle.timeout"] = "2s"
	if start != "" {
		p["start"] = start
	}
	return p
}

// DDL is the declaration that binds the relation in a SQL script:
//
//	CREATE STREAM trades (symbol STRING, ...)
//	WITH ('trades.type' = 'kafka_source', ...);
//
// with props as its WITH properties (sorted, for stable text). A deployed
// query carries these declarations so that it runs without the Studio.
func (s Stream) DDL(props map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE %s %s (", s.Kind, s.Name)
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", c.Name, sqlType(c.Type))
	}
	b.WriteString(")\nWITH (")
	for i, k := range slices.Sorted(maps.Keys(props)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "'%s.%s' = '%s'", s.Name, k, strings.ReplaceAll(props[k], "'", "''"))
	}
	b.WriteString(");")
	return b.String()
}

// sqlType spells t as a CREATE column type the parser reads back.
func sqlType(t types.Type) string {
	switch t.Kind {
	case types.KindInt:
		return "INTEGER"
	case types.KindString:
		return "STRING"
	case types.KindFloat:
		return "DOUBLE"
	}
	return t.String()
}

func dec(p, s uint8) types.Type { return types.Type{Kind: types.KindDecimal, Precision: p, Scale: s} }

// catalog is built once; Catalog hands out copies so that a caller cannot
// change the demo for everybody.
var catalog = []Stream{
	{
		Name:        Trades,
		Kind:        ast.Stream,
		Description: "Equity trades: one record per executed trade.",
		Topic:       Trades,
		Key:         "symbol",
		TimeField:   "ts",
		Rate:        50,
		Columns: []Column{
			{"symbol", types.String, "ticker symbol, e.g. AAPL"},
			{"price", dec(12, 4), "execution price per share"},
			{"quantity", types.Int, "number of shares traded (the trade's volume)"},
			{"side", types.String, "BUY or SELL"},
			{"venue", types.String, "exchange the trade executed on, e.g. NASDAQ"},
			{"customer_id", types.String, "the trading customer; a key of customers"},
			{"ts", types.Timestamp, "execution time (event time)"},
		},
	},
	{
		Name:        Transactions,
		Kind:        ast.Stream,
		Description: "Card payments with a fraud score and where they happened.",
		Topic:       Transactions,
		Key:         "customer_id",
		TimeField:   "ts",
		Rate:        20,
		Columns: []Column{
			{"txn_id", types.String, "unique transaction id"},
			{"customer_id", types.String, "the paying customer; a key of customers"},
			{"amount", dec(12, 2), "payment amount in the currency"},
			{"currency", types.String, "ISO currency code: USD, EUR, GBP or JPY"},
			{"region", types.String, "region of the payment: north, south, east or west"},
			{"merchant", types.String, "merchant name"},
			{"fraud_score", types.Float, "fraud model score from 0 (clean) to 1 (fraud)"},
			{"lat", types.Float, "latitude of the payment"},
			{"lon", types.Float, "longitude of the payment"},
			{"ts", types.Timestamp, "payment time (event time)"},
		},
	},
	{
		Name:        Clicks,
		Kind:        ast.Stream,
		Description: "Website page views.",
		Topic:       Clicks,
		Key:         "user_id",
		TimeField:   "ts",
		Rate:        30,
		Columns: []Column{
			{"user_id", types.String, "visitor id"},
			{"session_id", types.String, "browsing session id"},
			{"page", types.String, "page path, e.g. /cart"},
			{"referrer", types.String, "where the visit came from: google, direct, twitter, facebook or newsletter"},
			{"ts", types.Timestamp, "view time (event time)"},
		},
	},
	{
		Name:        Customers,
		Kind:        ast.Table,
		Description: "Customers, keyed by customer_id (referenced by trades and transactions).",
		Topic:       Customers,
		Key:         "customer_id",
		Columns: []Column{
			{"customer_id", types.String, "customer key, e.g. C-1001"},
			{"name", types.String, "customer name"},
			{"tier", types.String, "service tier: gold, silver or bronze"},
			{"region", types.String, "home region: north, south, east or west"},
		},
	},
}

// Catalog returns the demo relations in a fixed order: trades,
// transactions, clicks, customers.
func Catalog() []Stream {
	out := make([]Stream, len(catalog))
	for i, s := range catalog {
		s.Columns = slices.Clone(s.Columns)
		out[i] = s
	}
	return out
}

// Lookup returns the demo relation called name (case-insensitive).
func Lookup(name string) (Stream, bool) {
	for _, s := range Catalog() {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Stream{}, false
}
