package assistant

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

func TestValidate(t *testing.T) {
	cat := DemoCatalog()
	cases := []struct {
		name, sql, wantErr string
	}{
		{"windowed aggregate", "SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)", ""},
		{"window without time column uses the catalog's", "SELECT COUNT(*) AS n FROM clicks WINDOW TUMBLING(1m)", ""},
		{"table", "SELECT tier, COUNT(*) AS n FROM customers GROUP BY tier", ""},
		{"trailing semicolon", "SELECT * FROM trades;", ""},
		{"unknown column", "SELECT pricee FROM trades", `unknown column "pricee"`},
		{"unknown stream", "SELECT * FROM trade", `unknown stream "trade"`},
		{"type error", "SELECT symbol FROM trades WHERE symbol > 5", "cannot compare STRING with BIGINT"},
		{"URI source", "SELECT * FROM 'file:/etc/passwd'", "only streams of the catalog can be read"},
		{"WITH properties", "SELECT * FROM trades WITH ('trades.path' = '/etc/passwd')", "WITH properties are not allowed"},
		{"CREATE writes a sink", "CREATE STREAM x AS SELECT * FROM trades", "only a SELECT is offered"},
		{"two statements", "SELECT * FROM trades; SELECT * FROM clicks", "expected one SELECT statement, found 2"},
		{"DISTINCT", "SELECT DISTINCT symbol FROM trades", "SELECT DISTINCT is not supported"},
		{"empty", "  ", "no SQL"},
		{"parse error", "SELEC * FROM trades", "SELEC"},
		{"ORDER BY without window", "SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol ORDER BY n", "ORDER BY needs a windowed aggregation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checked, errs := Validate(c.sql, cat)
			if c.wantErr == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				if checked.Select == nil || checked.Query == nil {
					t.Fatal("no tree or query")
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("validated; want an error with %q", c.wantErr)
			}
			if !strings.Contains(errs.Error()+" "+errs[0].Hint, c.wantErr) {
				t.Fatalf("errors %q (hint %q) do not mention %q", errs.Error(), errs[0].Hint, c.wantErr)
			}
			if !errs[0].Pos.IsValid() {
				t.Fatalf("error without a position: %+v", errs[0])
			}
		})
	}
}

func TestValidateStreamFilter(t *testing.T) {
	cat, err := DemoCatalog().Only([]string{"clicks"})
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := Validate("SELECT * FROM trades", cat); len(errs) == 0 || !strings.Contains(errs[0].Msg, `unknown stream "trades"`) {
		t.Fatalf("a stream outside the filter validated: %v", errs)
	}
	if _, err := DemoCatalog().Only([]string{"nope"}); err == nil || !strings.Contains(err.Error(), `no stream named "nope"`) {
		t.Fatalf("unknown filter stream: %v", err)
	}
}

func TestCatalogValidate(t *testing.T) {
	if err := DemoCatalog().Validate(); err != nil {
		t.Fatalf("demo catalog: %v", err)
	}
	bad := []struct {
		name string
		edit func(*Catalog)
		want string
	}{
		{"kind", func(c *Catalog) { c.Streams[0].Kind = "topic" }, "neither stream nor table"},
		{"type", func(c *Catalog) { c.Streams[0].Columns[0].Type = "TEXTY" }, `unknown type "TEXTY"`},
		{"time column", func(c *Catalog) { c.Streams[0].TimeColumn = "symbol" }, "is STRING, not TIMESTAMP"},
		{"synonym target", func(c *Catalog) { c.UserSynonyms = []Synonym{{Phrase: "qty", Target: "trades.qtyy"}} }, `"qtyy" is no column or measure`},
		{"duplicate", func(c *Catalog) { c.Streams = append(c.Streams, c.Streams[0]) }, "listed twice"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			c := DemoCatalog()
			b.edit(c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), b.want) {
				t.Fatalf("got %v, want %q", err, b.want)
			}
		})
	}
}

func TestParseType(t *testing.T) {
	cases := []struct {
		in   string
		want types.Type
		err  bool
	}{
		{"STRING", types.String, false},
		{"DECIMAL(12,4)", types.Type{Kind: types.KindDecimal, Precision: 12, Scale: 4}, false},
		{"decimal( 12 , 2 )", types.Type{Kind: types.KindDecimal, Precision: 12, Scale: 2}, false},
		{"INTEGER", types.Int, false},
		{"DOUBLE", types.Float, false},
		{"TIMESTAMP", types.Timestamp, false},
		{"DECIMAL(2,3)", types.Type{}, true},
		{"STRING(5)", types.Type{}, true},
		{"BLOB", types.Type{}, true},
	}
	for _, c := range cases {
		got, err := ParseType(c.in)
		if (err != nil) != c.err || !c.err && got != c.want {
			t.Errorf("ParseType(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestSlidingAdvance(t *testing.T) {
	cases := map[int64]int64{
		3_600_000:  300_000,
		600_000:    60_000,
		300_000:    30_000,
		1_800_000:  60_000,
		86_400_000: 3_600_000,
		7_200_000:  600_000,
		5000:       5000,
	}
	for size, want := range cases {
		if got := SlidingAdvance(size); got != want || size%got != 0 {
			t.Errorf("SlidingAdvance(%d) = %d, want %d", size, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	c, errs := Validate("SELECT symbol, AVG(price) AS avg_price FROM trades WHERE side = 'BUY' AND price > 10 GROUP BY symbol WINDOW SLIDING(ts, INTERVAL '1' HOUR, INTERVAL '5' MINUTE) ORDER BY avg_price DESC LIMIT 3", DemoCatalog())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in := Describe(c.Select)
	want := &Interpretation{
		Source: "trades", Measures: []string{"AVG(price) as avg_price"}, GroupBy: []string{"symbol"},
		Filters: []string{"side = 'BUY'", "price > 10"}, Window: "sliding 1 hour advancing every 5 minutes on ts",
		OrderBy: []string{"avg_price descending"}, Limit: 3, Emit: "final",
	}
	if in.Source != want.Source || strings.Join(in.Measures, "|") != strings.Join(want.Measures, "|") ||
		strings.Join(in.Filters, "|") != strings.Join(want.Filters, "|") || in.Window != want.Window ||
		strings.Join(in.OrderBy, "|") != strings.Join(want.OrderBy, "|") || in.Limit != 3 || in.Emit != "final" {
		t.Fatalf("got %+v", in)
	}
	wantSummary := "From trades, for each symbol and sliding 1 hour advancing every 5 minutes on ts window: symbol, AVG(price) as avg_price; only records where side = 'BUY' and price > 10. One row per window and group when the window closes, each window's rows sorted by avg_price descending. The query stops after 3 rows."
	if in.Summary != wantSummary {
		t.Fatalf("summary\n got %s\nwant %s", in.Summary, wantSummary)
	}
}

// scripted is a Model that replays answers and records what it was sent.
type scripted struct {
	answers []Draft
	err     error
	got     [][]Turn
	system  string
	text    string
}

func (s *scripted) Name() string { return "scripted" }
func (s *scripted) Draft(_ context.Context, system string, turns []Turn) (Draft, error) {
	s.system = system
	s.got = append(s.got, append([]Turn(nil), turns...))
	if s.err != nil {
		return Draft{}, s.err
	}
	d := s.answers[0]
	s.answers = s.answers[1:]
	return d, nil
}
func (s *scripted) Complete(_ context.Context, system, user string) (string, error) {
	s.system = system
	return s.text, s.err
}

func TestRepairRoundTrip(t *testing.T) {
	m := &scripted{answers: []Draft{
		{SQL: "SELECT symbol, AVG(pricee) AS p FROM trades GROUP BY symbol", Explanation: "first", CallID: "call_1"},
		{SQL: "SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol;", Explanation: "second", CallID: "call_2"},
	}}
	res, err := NewModelGenerator(m).Generate(context.Background(), Request{Question: "average price by symbol", Catalog: DemoCatalog()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Refusal != nil || res.SQL != "SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol" || res.Attempts != 2 ||
		res.Confidence != ConfidenceAfterRepair || res.Explanation != "second" || res.Provider != "scripted" {
		t.Fatalf("result %+v", res)
	}
	if len(m.got) != 2 {
		t.Fatalf("%d calls, want 2", len(m.got))
	}
	second := m.got[1]
	if len(second) != 3 || second[0].Question != "average price by symbol" || second[1].Draft == nil || second[1].Draft.CallID != "call_1" {
		t.Fatalf("repair conversation %+v", second)
	}
	fb := second[2].Feedback
	for _, want := range []string{`unknown column "pricee"`, "answer.sql:1:", "^^^^^^", "did you mean"} {
		if !strings.Contains(fb, want) {
			t.Errorf("feedback lacks %q:\n%s", want, fb)
		}
	}
	if !strings.Contains(m.system, "trades (stream; event time ts)") || !strings.Contains(m.system, "price DECIMAL(12,4)") {
		t.Errorf("system prompt lacks the catalog:\n%s", m.system)
	}
	if res.Interpretation == nil || res.Interpretation.Source != "trades" {
		t.Errorf("interpretation %+v", res.Interpretation)
	}
}

func TestRepairNeverValidates(t *testing.T) {
	m := &scripted{answers: []Draft{
		{SQL: "SELECT nope FROM trades", CallID: "a"},
		{SQL: "SELECT still_nope FROM trades", CallID: "b"},
	}}
	res, err := NewModelGenerator(m).Generate(context.Background(), Request{Question: "q", Catalog: DemoCatalog()})
	if err != nil {
		t.Fatal(err)
	}
	if res.SQL != "" || res.Refusal == nil || res.Attempts != 2 {
		t.Fatalf("result %+v", res)
	}
	r := res.Refusal
	if !strings.Contains(r.Reason, "did not validate after 2 attempts") || r.SQL != "SELECT still_nope FROM trades" ||
		len(r.Errors) != 1 || r.Errors[0].Line != 1 || r.Errors[0].Col != 8 || !strings.Contains(r.Errors[0].Message, "still_nope") {
		t.Fatalf("refusal %+v", r)
	}
}

func TestModelDeclinesAndFails(t *testing.T) {
	m := &scripted{answers: []Draft{{SQL: "", Explanation: "there is no weather stream"}}}
	res, err := NewModelGenerator(m).Generate(context.Background(), Request{Question: "weather?", Catalog: DemoCatalog()})
	if err != nil || res.Refusal == nil || !strings.Contains(res.Refusal.Reason, "there is no weather stream") {
		t.Fatalf("decline: %+v %v", res, err)
	}
	boom := errors.New("connection refused")
	_, err = NewModelGenerator(&scripted{err: boom}).Generate(context.Background(), Request{Question: "q", Catalog: DemoCatalog()})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "scripted: ") {
		t.Fatalf("provider error: %v", err)
	}
	if _, err := NewModelGenerator(m).Generate(context.Background(), Request{Question: " ", Catalog: DemoCatalog()}); !errors.Is(err, ErrNoQuestion) {
		t.Fatalf("empty question: %v", err)
	}
	if _, err := NewModelGenerator(m).Generate(context.Background(), Request{Question: "q"}); !errors.Is(err, ErrNoCatalog) {
		t.Fatalf("no catalog: %v", err)
	}
}

func TestExplain(t *testing.T) {
	findings := []Finding{{
		Kind: "join_coverage", Summary: "0% of trades matched a customer on customer_id",
		Evidence:   []string{"trades.customer_id samples: CUST001, CUST002", "customers.customer_id samples: C-100, C-200"},
		Suggestion: "add references: {schema: customers, field: customer_id} to the trades schema",
	}}
	m := &scripted{text: "  The join matched nothing.  "}
	text, provider, err := NewModelGenerator(m).Explain(context.Background(), "SELECT 1", findings)
	if err != nil || text != "The join matched nothing." || provider != "scripted" {
		t.Fatalf("%q %q %v", text, provider, err)
	}
	if !strings.Contains(m.system, "do not invent") {
		t.Errorf("explain system prompt: %s", m.system)
	}
	off := OfflineExplanation(findings)
	for _, want := range []string{"Rule-based analysis (no AI provider configured", "[join_coverage] 0% of trades", "CUST001", "Suggested fix: add references"} {
		if !strings.Contains(off, want) {
			t.Errorf("offline explanation lacks %q:\n%s", want, off)
		}
	}
	if _, _, err := NewModelGenerator(&scripted{}).Explain(context.Background(), "q", findings); err == nil {
		t.Error("an empty explanation was accepted")
	}
}
