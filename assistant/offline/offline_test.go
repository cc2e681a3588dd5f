package offline

import (
	"context"
	"strings"
	"testing"

	"github.com/velostream/velostream/assistant"
)

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestAnswers(t *testing.T) {
	cases := []struct{ q, want string }{
		{"Show me trading volume by symbol", "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol"},
		{"average price per symbol every minute", "SELECT symbol, AVG(price) AS avg_price FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)"},
		{"How many trades per minute?", "SELECT COUNT(*) AS count FROM trades WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)"},
		{"mean price for each venue hourly", "SELECT venue, AVG(price) AS avg_price FROM trades GROUP BY venue WINDOW TUMBLING(ts, INTERVAL '1' HOUR)"},
		{"total quantity broken down by side", "SELECT side, SUM(quantity) AS total_quantity FROM trades GROUP BY side"},
		// typed comparisons
		{"transactions with amount over 100", "SELECT * FROM transactions WHERE amount > 100"},
		{"transactions with a fraud score above 0.8", "SELECT * FROM transactions WHERE fraud_score > 0.8"},
		{"trades with price below 50.5", "SELECT * FROM trades WHERE price < 50.5"},
		{"trades with a price of at least 1,000", "SELECT * FROM trades WHERE price >= 1000"},
		{"trades with quantity between 10 and 20", "SELECT * FROM trades WHERE quantity BETWEEN 10 AND 20"},
		{"count transactions in the west region", "SELECT COUNT(*) AS count FROM transactions WHERE region = 'west'"},
		{"trades where side is buy", "SELECT * FROM trades WHERE side = 'BUY'"},
		{"trades for symbol AAPL", "SELECT * FROM trades WHERE symbol = 'AAPL'"},
		{"trades where venue is not NYSE", "SELECT * FROM trades WHERE venue <> 'NYSE'"},
		{"trades of AAPL or MSFT", "SELECT * FROM trades WHERE symbol IN ('AAPL', 'MSFT')"},
		{"trades on venue 'LSE'", "SELECT * FROM trades WHERE venue = 'LSE'"},
		{"trades where symbol = 'aapl'", "SELECT * FROM trades WHERE symbol = 'AAPL'"},
		// distinct and count forms
		{"how many unique users per page", "SELECT page, COUNT(DISTINCT user_id) AS distinct_user_id FROM clicks GROUP BY page"},
		{"number of distinct sessions", "SELECT COUNT(DISTINCT session_id) AS distinct_session_id FROM clicks"},
		{"how many customers per tier", "SELECT tier, COUNT(*) AS count FROM customers GROUP BY tier"},
		{"how many customers trade each symbol", "SELECT symbol, COUNT(DISTINCT customer_id) AS distinct_customer_id FROM trades GROUP BY symbol"},
		{"sessions per user", "SELECT user_id, COUNT(DISTINCT session_id) AS distinct_session_id FROM clicks GROUP BY user_id"},
		{"merchants per region every hour", "SELECT region, COUNT(DISTINCT merchant) AS distinct_merchant FROM transactions GROUP BY region WINDOW TUMBLING(ts, INTERVAL '1' HOUR)"},
		// windows
		{"clicks every 5 minutes", "SELECT COUNT(*) AS count FROM clicks WINDOW TUMBLING(ts, INTERVAL '5' MINUTE)"},
		{"clicks in 10-minute buckets", "SELECT COUNT(*) AS count FROM clicks WINDOW TUMBLING(ts, INTERVAL '10' MINUTE)"},
		{"total amount over the last 10 minutes", "SELECT SUM(amount) AS total_amount FROM transactions WINDOW SLIDING(ts, INTERVAL '10' MINUTE, INTERVAL '1' MINUTE)"},
		{"volume in the last hour every 10 minutes", "SELECT SUM(quantity) AS volume FROM trades WINDOW SLIDING(ts, INTERVAL '1' HOUR, INTERVAL '10' MINUTE)"},
		{"clicks per user in sessions with a 30 minute gap", "SELECT user_id, COUNT(*) AS count FROM clicks GROUP BY user_id WINDOW SESSION(ts, INTERVAL '30' MINUTE)"},
		{"average amount by region per minute in real time", "SELECT region, AVG(amount) AS avg_amount FROM transactions GROUP BY region WINDOW TUMBLING(ts, INTERVAL '1' MINUTE) EMIT CHANGES"},
		// ranking and HAVING
		{"top 3 symbols by volume every minute", "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE) ORDER BY volume DESC LIMIT 3"},
		{"2 merchants with the lowest total amount per hour", "SELECT merchant, SUM(amount) AS total_amount FROM transactions GROUP BY merchant WINDOW TUMBLING(ts, INTERVAL '1' HOUR) ORDER BY total_amount LIMIT 2"},
		{"symbols with more than 2 trades per minute", "SELECT symbol, COUNT(*) AS count FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE) HAVING COUNT(*) > 2"},
		// projections
		{"show symbol and price of trades over 900 shares", "SELECT symbol, price FROM trades WHERE quantity > 900"},
		{"names of gold customers", "SELECT name FROM customers WHERE tier = 'gold'"},
	}
	cat := assistant.DemoCatalog()
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			r := Answer(c.q, cat)
			if r.Refusal != nil {
				t.Fatalf("refused: %s (not understood %v; understood %v)", r.Refusal.Reason, r.Refusal.NotUnderstood, r.Refusal.Understood)
			}
			if got := oneLine(r.SQL); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
			if r.Provider != "offline" || r.Interpretation == nil || r.Interpretation.Summary == "" || len(r.Interpretation.Links) == 0 {
				t.Fatalf("result %+v", r)
			}
			if _, errs := assistant.Validate(r.SQL, cat); len(errs) > 0 {
				t.Fatalf("offered SQL does not validate: %v", errs)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		q             string
		notUnderstood []string
		reason        string
	}{
		{"show me the weather in Paris", []string{"weather", "Paris"}, `did not understand "weather", "Paris"`},
		{"average price by symbol over the rainbow", []string{"over", "rainbow"}, `"over", "rainbow"`},
		{"ratio of buys to sells", nil, `"ratio" asks for a ratio`},
		{"count by region", nil, "ambiguous: transactions and customers both have \"region\""},
		{"how many records", nil, "which stream?"},
		{"trades and transactions by customer", nil, "several streams (trades, transactions)"},
		{"top 3 symbols by volume", nil, "ranking needs a time window"},
		{"average symbol per venue", nil, "symbol is STRING, not a number"},
		{"trades with symbol above 100", nil, "symbol is text"},
		{"customers per tier every minute", nil, "customers has no event-time column"},
		{"volume by symbol per minute and hourly", nil, "two different time windows"},
		{"volume in the last 10 minutes every 3 minutes", nil, "cannot advance every 3 minutes"},
		{"trade count by ts", nil, "grouping by the time column ts"},
		{"", nil, "no words"},
	}
	cat := assistant.DemoCatalog()
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			r := Answer(c.q, cat)
			if r.Refusal == nil {
				t.Fatalf("answered %s", oneLine(r.SQL))
			}
			if r.SQL != "" {
				t.Fatalf("a refusal carries SQL %q", r.SQL)
			}
			if !strings.Contains(r.Refusal.Reason, c.reason) {
				t.Fatalf("reason %q lacks %q", r.Refusal.Reason, c.reason)
			}
			if c.notUnderstood != nil && strings.Join(r.Refusal.NotUnderstood, "|") != strings.Join(c.notUnderstood, "|") {
				t.Fatalf("not understood %q, want %q", r.Refusal.NotUnderstood, c.notUnderstood)
			}
		})
	}
}

func TestRefusalSaysWhatWasUnderstood(t *testing.T) {
	r := Answer("average price of trades on a rainy day", assistant.DemoCatalog())
	if r.Refusal == nil {
		t.Fatalf("answered %s", r.SQL)
	}
	got := strings.Join(r.Refusal.Understood, "; ")
	for _, want := range []string{`"average" -> AVG`, `"price" -> column trades.price`, `"trades" -> stream trades`} {
		if !strings.Contains(got, want) {
			t.Errorf("understood %q lacks %q", got, want)
		}
	}
	if strings.Join(r.Refusal.NotUnderstood, "|") != "rainy|day" {
		// "day" alone is a unit with no window phrase around it: not placed.
		t.Errorf("not understood %q", r.Refusal.NotUnderstood)
	}
}

func TestUserSynonyms(t *testing.T) {
	cat := assistant.DemoCatalog()
	if r := Answer("average ticket by merchant", cat); r.Refusal == nil {
		t.Fatalf("answered without the synonym: %s", r.SQL)
	}
	cat.UserSynonyms = []assistant.Synonym{{Phrase: "ticket", Target: "transactions.amount"}, {Phrase: "deals", Target: "trades"}, {Phrase: "flow", Target: "trades.volume"}}
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"average ticket by merchant": "SELECT merchant, AVG(amount) AS avg_amount FROM transactions GROUP BY merchant",
		"how many deals per venue":   "SELECT venue, COUNT(*) AS count FROM trades GROUP BY venue",
		"flow by symbol":             "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol",
	}
	for q, want := range cases {
		r := Answer(q, cat)
		if r.Refusal != nil {
			t.Fatalf("%q refused: %s", q, r.Refusal.Reason)
		}
		if got := oneLine(r.SQL); got != want {
			t.Errorf("%q: got %s, want %s", q, got, want)
		}
	}
	// A user synonym replaces the catalog's meaning of the phrase.
	cat.UserSynonyms = []assistant.Synonym{{Phrase: "size", Target: "trades.price"}}
	if got := oneLine(Answer("average size by symbol", cat).SQL); got != "SELECT symbol, AVG(price) AS avg_price FROM trades GROUP BY symbol" {
		t.Errorf("user synonym did not win: %s", got)
	}
}

func TestInterpretation(t *testing.T) {
	r := Answer("volume by symbol for the last hour", assistant.DemoCatalog())
	in := r.Interpretation
	if in.Window != "sliding 1 hour advancing every 5 minutes on ts" || in.Source != "trades" || in.Emit != "final" {
		t.Fatalf("interpretation %+v", in)
	}
	if len(in.Assumptions) != 1 || in.Assumptions[0] != "the sliding 1 hour window advances every 5 minutes" {
		t.Fatalf("assumptions %q", in.Assumptions)
	}
	if r.Confidence != 0.75 {
		t.Fatalf("confidence %v", r.Confidence)
	}
	if !strings.Contains(strings.Join(in.Links, "; "), `"volume" -> measure volume = SUM(quantity)`) {
		t.Fatalf("links %q", in.Links)
	}
}

func TestGenerator(t *testing.T) {
	g := New()
	res, err := g.Generate(context.Background(), assistant.Request{Question: "clicks per page", Catalog: assistant.DemoCatalog(), Streams: []string{"clicks"}})
	if err != nil || res.SQL == "" || res.Provider != "offline" {
		t.Fatalf("%+v %v", res, err)
	}
	// The stream filter hides trades: its words are no longer known.
	res, err = g.Generate(context.Background(), assistant.Request{Question: "volume by symbol", Catalog: assistant.DemoCatalog(), Streams: []string{"clicks"}})
	if err != nil || res.Refusal == nil {
		t.Fatalf("%+v %v", res, err)
	}
	text, provider, err := g.Explain(context.Background(), "SELECT 1", []assistant.Finding{{Kind: "where_filter", Summary: "WHERE price > 1000 removed every row", Evidence: []string{"price ranged 20..800"}}})
	if err != nil || provider != "offline" || !strings.HasPrefix(text, "Rule-based analysis") || !strings.Contains(text, "price ranged 20..800") {
		t.Fatalf("%q %q %v", text, provider, err)
	}
}

func TestTokenize(t *testing.T) {
	cases := map[string]string{
		"What's the 5-minute avg of fraud_score?": "What|the|5|minute|avg|of|fraud|score",
		"amount > $1,000.50 and 'New York'":       "amount|>|1000.50|and|New York",
		"/checkout page, referrer=google":         "checkout|page|,|referrer|=|google",
	}
	for in, want := range cases {
		var got []string
		for _, tk := range tokenize(in) {
			if tk.kind == tNum {
				got = append(got, tk.num)
			} else {
				got = append(got, tk.text)
			}
		}
		if strings.Join(got, "|") != want {
			t.Errorf("tokenize(%q) = %q, want %q", in, strings.Join(got, "|"), want)
		}
	}
}

func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"average price per symbol every minute", "top 3 pages by clicks every 5 minutes", "trades with price between 1 and 'x'", "over the last", "per per by by", "5 5 5 minute gap gap"} {
		f.Add(s)
	}
	cat := assistant.DemoCatalog()
	f.Fuzz(func(t *testing.T, q string) {
		r := Answer(q, cat)
		if r.Refusal == nil {
			if _, errs := assistant.Validate(r.SQL, cat); len(errs) > 0 {
				t.Fatalf("%q: offered SQL does not validate: %v\n%s", q, errs, r.SQL)
			}
		}
	})
}

func BenchmarkAnswer(b *testing.B) {
	cat := assistant.DemoCatalog()
	b.ReportAllocs()
	for b.Loop() {
		if r := Answer("top 3 symbols by volume every minute", cat); r.Refusal != nil {
			b.Fatal(r.Refusal.Reason)
		}
	}
}

// A live answer (a notebook cell) emits a window's changes as they happen;
// a ranking still needs each window's final rows.
func TestLiveAnswersEmitChanges(t *testing.T) {
	cat := assistant.DemoCatalog()
	r := AnswerLive("total quantity by symbol per minute", cat, true)
	if r.Refusal != nil || !strings.Contains(r.SQL, "EMIT CHANGES") {
		t.Fatalf("live answer %+v", r)
	}
	if r := AnswerLive("total quantity by symbol per minute", cat, false); r.Refusal != nil || strings.Contains(r.SQL, "EMIT CHANGES") {
		t.Fatalf("non-live answer %+v", r)
	}
	if r := AnswerLive("top 3 symbols by total quantity per minute", cat, true); r.Refusal != nil || strings.Contains(r.SQL, "EMIT CHANGES") {
		t.Fatalf("a live ranking must stay FINAL: %+v", r)
	}
}
