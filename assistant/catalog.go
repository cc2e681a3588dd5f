package assistant

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/types"
)

// Catalog is what a generator may query: the streams and tables with their
// typed columns, plus the words people use for them. It is plain data so the
// Studio can build it from GET /streams and keep user-edited synonyms in it.
type Catalog struct {
	Streams []Stream `json:"streams"`
	// UserSynonyms are phrases a user taught the Studio ("qty" -> trades.quantity).
	// They win over the catalog's own names and synonyms.
	UserSynonyms []Synonym `json:"user_synonyms,omitempty"`
}

// Stream is one stream or table of the catalog.
type Stream struct {
	Name string `json:"name"`
	// Kind is "stream" or "table".
	Kind        string   `json:"kind"`
	Columns     []Column `json:"columns"`
	Synonyms    []string `json:"synonyms,omitempty"`
	Description string   `json:"description,omitempty"`
	// TimeColumn is the event-time column windows use; empty means the only
	// TIMESTAMP column, if there is exactly one.
	TimeColumn string `json:"time_column,omitempty"`
	// Measures are named aggregates ("volume" is SUM(quantity)).
	Measures []Measure `json:"measures,omitempty"`
}

// Column is one typed column.
type Column struct {
	Name string `json:"name"`
	// Type is the SQL type as written in a declaration: STRING,
	// DECIMAL(12,4), INTEGER, DOUBLE, TIMESTAMP, BOOLEAN, ...
	Type        string   `json:"type"`
	Synonyms    []string `json:"synonyms,omitempty"`
	Description string   `json:"description,omitempty"`
	// Values are known values of a categorical column (from a preview or a
	// schema's enum): they let "buy trades" mean side = 'BUY'.
	Values []string `json:"values,omitempty"`
}

// Measure is a named aggregate over a stream, e.g. volume = SUM(quantity).
type Measure struct {
	Name     string   `json:"name"`
	Expr     string   `json:"expr"` // an aggregate expression in the dialect
	Synonyms []string `json:"synonyms,omitempty"`
}

// Synonym maps a phrase to a stream ("trades"), a column ("trades.price")
// or a measure ("trades.volume").
type Synonym struct {
	Phrase string `json:"phrase"`
	Target string `json:"target"`
}

// Stream returns the stream named name (case-insensitive), or nil.
func (c *Catalog) Stream(name string) *Stream {
	if c == nil {
		return nil
	}
	for i := range c.Streams {
		if strings.EqualFold(c.Streams[i].Name, name) {
			return &c.Streams[i]
		}
	}
	return nil
}

// Names lists the stream names in catalog order.
func (c *Catalog) Names() []string {
	var out []string
	for _, s := range c.Streams {
		out = append(out, s.Name)
	}
	return out
}

// Only returns a copy of the catalog restricted to the named streams (the
// request's stream filter). An empty filter keeps every stream; a name the
// catalog does not hold is an error.
func (c *Catalog) Only(names []string) (*Catalog, error) {
	if len(names) == 0 {
		return c, nil
	}
	out := &Catalog{UserSynonyms: c.UserSynonyms}
	for _, n := range names {
		s := c.Stream(n)
		if s == nil {
			return nil, fmt.Errorf("stream filter: no stream named %q (known: %s)", n, strings.Join(c.Names(), ", "))
		}
		out.Streams = append(out.Streams, *s)
	}
	return out, nil
}

// Validate checks the catalog once, where it is built: kinds, column types,
// time columns, synonym targets and measure expressions.
func (c *Catalog) Validate() error {
	if c == nil || len(c.Streams) == 0 {
		return fmt.Errorf("catalog: no streams")
	}
	seen := map[string]bool{}
	for _, s := range c.Streams {
		if s.Name == "" {
			return fmt.Errorf("catalog: a stream has no name")
		}
		if seen[strings.ToLower(s.Name)] {
			return fmt.Errorf("catalog: stream %q listed twice", s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		if s.Kind != "stream" && s.Kind != "table" {
			return fmt.Errorf("catalog: stream %q: kind %q is neither stream nor table", s.Name, s.Kind)
		}
		if len(s.Columns) == 0 {
			return fmt.Errorf("catalog: stream %q has no columns", s.Name)
		}
		for _, col := range s.Columns {
			if _, err := ParseType(col.Type); err != nil {
				return fmt.Errorf("catalog: %s.%s: %w", s.Name, col.Name, err)
			}
		}
		if s.TimeColumn != "" {
			col := s.Column(s.TimeColumn)
			if col == nil {
				return fmt.Errorf("catalog: stream %q: time column %q is not a column", s.Name, s.TimeColumn)
			}
			if t, _ := ParseType(col.Type); t.Kind != types.KindTimestamp {
				return fmt.Errorf("catalog: stream %q: time column %q is %s, not TIMESTAMP", s.Name, s.TimeColumn, col.Type)
			}
		}
		for _, m := range s.Measures {
			if m.Name == "" || m.Expr == "" {
				return fmt.Errorf("catalog: stream %q: a measure needs a name and an expression", s.Name)
			}
		}
	}
	for _, syn := range c.UserSynonyms {
		if strings.TrimSpace(syn.Phrase) == "" {
			return fmt.Errorf("catalog: a user synonym has no phrase")
		}
		if _, _, _, err := c.ResolveTarget(syn.Target); err != nil {
			return fmt.Errorf("catalog: synonym %q: %w", syn.Phrase, err)
		}
	}
	return nil
}

// ResolveTarget resolves a synonym target: "stream", "stream.column" or
// "stream.measure".
func (c *Catalog) ResolveTarget(target string) (*Stream, *Column, *Measure, error) {
	name, rest, dotted := strings.Cut(target, ".")
	s := c.Stream(name)
	if s == nil {
		return nil, nil, nil, fmt.Errorf("target %q names no stream", target)
	}
	if !dotted {
		return s, nil, nil, nil
	}
	if col := s.Column(rest); col != nil {
		return s, col, nil, nil
	}
	for i := range s.Measures {
		if strings.EqualFold(s.Measures[i].Name, rest) {
			return s, nil, &s.Measures[i], nil
		}
	}
	return nil, nil, nil, fmt.Errorf("target %q: %q is no column or measure of %s", target, rest, s.Name)
}

// Column returns the column named name (case-insensitive), or nil.
func (s *Stream) Column(name string) *Column {
	for i := range s.Columns {
		if strings.EqualFold(s.Columns[i].Name, name) {
			return &s.Columns[i]
		}
	}
	return nil
}

// EventTime is the column windows use: TimeColumn, else the only TIMESTAMP
// column; "" when there is none or it is ambiguous.
func (s *Stream) EventTime() string {
	if s.TimeColumn != "" {
		return s.TimeColumn
	}
	found := ""
	for _, c := range s.Columns {
		if t, err := ParseType(c.Type); err == nil && t.Kind == types.KindTimestamp {
			if found != "" {
				return ""
			}
			found = c.Name
		}
	}
	return found
}

// Schema is the stream's columns as engine types.
func (s *Stream) Schema() (types.Schema, error) {
	out := make(types.Schema, 0, len(s.Columns))
	for _, c := range s.Columns {
		t, err := ParseType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", s.Name, c.Name, err)
		}
		out = append(out, types.Column{Name: c.Name, Type: t})
	}
	return out, nil
}

// ParseType reads a SQL type name as catalogs write it: a name the engine
// knows (types.ParseTypeName) with optional (precision[, scale]).
func ParseType(s string) (types.Type, error) {
	s = strings.TrimSpace(s)
	name, params, hasParams := strings.Cut(s, "(")
	kind, ok := types.ParseTypeName(strings.TrimSpace(name))
	if !ok {
		return types.Type{}, fmt.Errorf("unknown type %q", s)
	}
	t := types.Type{Kind: kind}
	if !hasParams {
		return t, nil
	}
	params, closed := strings.CutSuffix(strings.TrimSpace(params), ")")
	if !closed || kind != types.KindDecimal {
		return types.Type{}, fmt.Errorf("bad type %q: only DECIMAL takes (precision, scale)", s)
	}
	p, sc, _ := strings.Cut(params, ",")
	prec, err := strconv.Atoi(strings.TrimSpace(p))
	if err != nil || prec < 1 || prec > 38 {
		return types.Type{}, fmt.Errorf("bad type %q: precision must be 1..38", s)
	}
	scale := 0
	if strings.TrimSpace(sc) != "" {
		scale, err = strconv.Atoi(strings.TrimSpace(sc))
		if err != nil || scale < 0 || scale > prec {
			return types.Type{}, fmt.Errorf("bad type %q: scale must be 0..precision", s)
		}
	}
	t.Precision, t.Scale = uint8(prec), uint8(scale)
	return t, nil
}

// DemoCatalog is the catalog of the Studio's --demo streams (issue 8: the
// exact schemas), with the synonyms, measures and categorical values the
// demo data uses. The values are those of the eval set's data generator;
// a demo feeding other values should say so in its own catalog.
func DemoCatalog() *Catalog {
	return &Catalog{Streams: []Stream{
		{
			Name: "trades", Kind: "stream", TimeColumn: "ts",
			Synonyms:    []string{"trade", "trading", "executions", "fills"},
			Description: "equity trades: one record per execution",
			Columns: []Column{
				{Name: "symbol", Type: "STRING", Synonyms: []string{"ticker", "stock", "instrument"}, Values: []string{"AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NVDA"}},
				{Name: "price", Type: "DECIMAL(12,4)", Synonyms: []string{"trade price", "share price"}},
				{Name: "quantity", Type: "INTEGER", Synonyms: []string{"qty", "shares", "size"}},
				{Name: "side", Type: "STRING", Values: []string{"BUY", "SELL"}},
				{Name: "venue", Type: "STRING", Synonyms: []string{"exchange", "market"}, Values: []string{"NASDAQ", "NYSE", "BATS", "IEX"}},
				{Name: "customer_id", Type: "STRING", Synonyms: []string{"customer", "client", "trader"}},
				{Name: "ts", Type: "TIMESTAMP", Synonyms: []string{"time", "timestamp", "trade time"}},
			},
			Measures: []Measure{
				{Name: "volume", Expr: "SUM(quantity)", Synonyms: []string{"trading volume", "traded volume", "share volume"}},
				{Name: "notional", Expr: "SUM(price * quantity)", Synonyms: []string{"notional value", "turnover", "traded value", "dollar volume"}},
			},
		},
		{
			Name: "transactions", Kind: "stream", TimeColumn: "ts",
			Synonyms:    []string{"transaction", "txns", "txn", "payments", "payment", "purchases", "purchase"},
			Description: "card transactions with a fraud score",
			Columns: []Column{
				{Name: "txn_id", Type: "STRING", Synonyms: []string{"transaction id"}},
				{Name: "customer_id", Type: "STRING", Synonyms: []string{"customer", "client", "cardholder"}},
				{Name: "amount", Type: "DECIMAL(12,2)", Synonyms: []string{"spend", "spending", "transaction value", "transaction amount"}},
				{Name: "currency", Type: "STRING", Values: []string{"USD", "EUR", "GBP", "JPY"}},
				{Name: "region", Type: "STRING", Synonyms: []string{"area"}, Values: []string{"north", "south", "east", "west"}},
				{Name: "merchant", Type: "STRING", Synonyms: []string{"store", "shop", "retailer"}, Values: []string{"Amazon", "Walmart", "Target", "Starbucks", "Uber"}},
				{Name: "fraud_score", Type: "DOUBLE", Synonyms: []string{"fraud probability", "risk score", "risk"}},
				{Name: "lat", Type: "DOUBLE", Synonyms: []string{"latitude"}},
				{Name: "lon", Type: "DOUBLE", Synonyms: []string{"longitude"}},
				{Name: "ts", Type: "TIMESTAMP", Synonyms: []string{"time", "timestamp"}},
			},
		},
		{
			Name: "clicks", Kind: "stream", TimeColumn: "ts",
			Synonyms:    []string{"click", "page views", "pageviews", "visits", "clickstream"},
			Description: "web clicks with their session",
			Columns: []Column{
				{Name: "user_id", Type: "STRING", Synonyms: []string{"user", "visitor"}},
				{Name: "session_id", Type: "STRING", Synonyms: []string{"session"}},
				{Name: "page", Type: "STRING", Synonyms: []string{"url", "path"}, Values: []string{"/home", "/products", "/cart", "/checkout", "/search"}},
				{Name: "referrer", Type: "STRING", Synonyms: []string{"referer", "referral source", "traffic source"}, Values: []string{"google", "twitter", "facebook", "newsletter", "direct"}},
				{Name: "ts", Type: "TIMESTAMP", Synonyms: []string{"time", "timestamp"}},
			},
		},
		{
			Name: "customers", Kind: "table",
			Synonyms:    []string{"customer", "clients", "client"},
			Description: "customer reference data, keyed by customer_id",
			Columns: []Column{
				{Name: "customer_id", Type: "STRING", Synonyms: []string{"customer"}},
				{Name: "name", Type: "STRING", Synonyms: []string{"customer name"}},
				{Name: "tier", Type: "STRING", Synonyms: []string{"level", "segment"}, Values: []string{"gold", "silver", "bronze"}},
				{Name: "region", Type: "STRING", Synonyms: []string{"area"}, Values: []string{"north", "south", "east", "west"}},
			},
		},
	}}
}
