package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// Generator makes demo rows. The same seed gives the same rows: each
// relation draws from its own random source, so the sequence of one stream
// does not depend on how its calls interleave with the others'.
//
// A Generator is not safe for concurrent use.
type Generator struct {
	customers []types.Row
	trades    *tradeGen
	txns      *txnGen
	clicks    *clickGen
}

// NumCustomers is the size of the customers table: ids C-1001..C-1040.
const NumCustomers = 40

// NewGenerator returns a generator for seed.
func NewGenerator(seed uint64) *Generator {
	src := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
	g := &Generator{}
	g.customers = makeCustomers(src(4))
	g.trades = newTradeGen(src(1))
	g.txns = &txnGen{rng: src(2)}
	g.clicks = &clickGen{rng: src(3), sessions: map[int]int{}}
	return g
}

// CustomerIDs returns the keys of the customers table, in order.
func CustomerIDs() []string {
	out := make([]string, NumCustomers)
	for i := range out {
		out[i] = customerID(i)
	}
	return out
}

func customerID(i int) string { return fmt.Sprintf("C-%d", 1001+i) }

// Customers returns the customers table's rows (in its schema's order).
func (g *Generator) Customers() []types.Row {
	out := make([]types.Row, len(g.customers))
	copy(out, g.customers)
	return out
}

// Values returns the values the generator draws a categorical column from
// (nil for other columns), so that a catalog can tell an NL->SQL
// generator that "buy trades" means side = 'BUY'.
func Values(stream, column string) []string {
	switch stream + "." + column {
	case Trades + ".symbol":
		return slices.Clone(Symbols)
	case Trades + ".side":
		return []string{"BUY", "SELL"}
	case Trades + ".venue":
		return choices(venues)
	case Transactions + ".currency":
		return choices(currencies)
	case Transactions + ".region", Customers + ".region":
		return slices.Clone(Regions)
	case Transactions + ".merchant":
		return slices.Clone(merchants)
	case Clicks + ".page":
		return choices(pages)
	case Clicks + ".referrer":
		return choices(referrers)
	case Customers + ".tier":
		return choices(tiers)
	}
	return nil
}

func choices[T any](ws weighted[T]) []T {
	out := make([]T, len(ws))
	for i, c := range ws {
		out[i] = c.v
	}
	return out
}

// Row returns the next row of stream with event time ts; ok is false for a
// name that is not a demo stream (the customers table has no next row).
func (g *Generator) Row(stream string, ts time.Time) (row types.Row, ok bool) {
	ms := ts.UnixMilli()
	switch stream {
	case Trades:
		return g.trades.next(ms), true
	case Transactions:
		return g.txns.next(ms), true
	case Clicks:
		return g.clicks.next(ms), true
	}
	return nil, false
}

// Record is one encoded demo record: its Kafka key and JSON value.
type Record struct {
	Key   []byte
	Value []byte
}

// Encode turns a row of s into its record: the JSON object of the row (as
// the engine writes rows) keyed by s.Key.
func Encode(s Stream, row types.Row) Record {
	schema := s.Schema()
	rec := Record{Value: format.AppendJSON(nil, schema, row)}
	if i := schema.Index(s.Key); i >= 0 && row[i].K == types.KindString {
		rec.Key = []byte(row[i].S)
	}
	return rec
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Leslie", "Margaret", "John", "Shafi", "Tim", "Hedy", "Linus", "Karen", "Dennis", "Sophie", "Niklaus"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Lamport", "Hamilton", "Backus", "Goldwasser", "Berners-Lee", "Lamarr", "Torvalds", "Jones", "Ritchie", "Wilson", "Wirth"}
	tiers      = weighted[string]{{"gold", 2}, {"silver", 5}, {"bronze", 10}}
	// Regions is the set of region values of customers and transactions.
	Regions = []string{"north", "south", "east", "west"}
)

func makeCustomers(rng *rand.Rand) []types.Row {
	out := make([]types.Row, NumCustomers)
	for i := range out {
		name := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
		out[i] = types.Row{
			types.StringValue(customerID(i)),
			types.StringValue(name),
			types.StringValue(tiers.pick(rng)),
			types.StringValue(Regions[rng.IntN(len(Regions))]),
		}
	}
	return out
}

// weighted is a list of choices with relative weights.
type weighted[T any] []struct {
	v T
	w int
}

func (ws weighted[T]) pick(rng *rand.Rand) T {
	total := 0
	for _, c := range ws {
		total += c.w
	}
	n := rng.IntN(total)
	for _, c := range ws {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	return ws[len(ws)-1].v
}

// Symbols are the demo's ticker symbols, most traded first.
var Symbols = []string{"AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOG"}

var basePrices = map[string]float64{"AAPL": 189.50, "MSFT": 415.20, "NVDA": 875.40, "TSLA": 242.60, "AMZN": 178.30, "GOOG": 141.80}

type tradeGen struct {
	rng     *rand.Rand
	symbols weighted[string]
	price   map[string]float64
}

var venues = weighted[string]{{"NASDAQ", 5}, {"NYSE", 4}, {"BATS", 2}, {"IEX", 1}}

func newTradeGen(rng *rand.Rand) *tradeGen {
	t := &tradeGen{rng: rng, price: map[string]float64{}}
	for i, s := range Symbols {
		// Zipf-like popularity: the first symbol trades most.
		t.symbols = append(t.symbols, struct {
			v string
			w int
		}{s, 24 / (i + 1)})
		t.price[s] = basePrices[s]
	}
	return t
}

func (t *tradeGen) next(ts int64) types.Row {
	sym := t.symbols.pick(t.rng)
	// A random walk with a pull back to the base price keeps prices
	// plausible however long the demo runs.
	p := t.price[sym]
	p *= 1 + t.rng.NormFloat64()*0.0008 + (basePrices[sym]-p)/basePrices[sym]*0.001
	t.price[sym] = p
	qty := int64(math.Ceil(math.Exp(t.rng.NormFloat64()*1.1 + 4)))
	qty = min(max(qty, 1), 5000)
	side := "BUY"
	if t.rng.IntN(2) == 1 {
		side = "SELL"
	}
	return types.Row{
		types.StringValue(sym),
		types.DecimalValue(int64(math.Round(p*10000)), 4),
		types.IntValue(qty),
		types.StringValue(side),
		types.StringValue(venues.pick(t.rng)),
		types.StringValue(customerID(t.rng.IntN(NumCustomers))),
		types.TimestampValue(ts),
	}
}

var (
	currencies = weighted[string]{{"USD", 14}, {"EUR", 3}, {"GBP", 2}, {"JPY", 1}}
	merchants  = []string{"Amazon", "Walmart", "Target", "Starbucks", "Shell", "Apple Store", "Uber", "Netflix", "Best Buy", "Costco", "Home Depot", "Whole Foods"}
	// cities anchor each region's coordinates.
	cities = map[string][][2]float64{
		"north": {{41.88, -87.63}, {44.98, -93.27}, {42.33, -83.05}},
		"south": {{29.76, -95.37}, {33.75, -84.39}, {25.76, -80.19}},
		"east":  {{40.71, -74.01}, {42.36, -71.06}, {39.95, -75.17}},
		"west":  {{37.77, -122.42}, {34.05, -118.24}, {47.61, -122.33}},
	}
)

type txnGen struct {
	rng *rand.Rand
	seq int64
}

func (t *txnGen) next(ts int64) types.Row {
	t.seq++
	rng := t.rng
	region := Regions[rng.IntN(len(Regions))]
	city := cities[region][rng.IntN(3)]
	// Payments are log-normal: many small ones, a few large.
	amount := math.Exp(rng.NormFloat64()*1.0 + 3.5)
	amount = min(max(amount, 0.5), 25000)
	// Most payments are clean; about one in twenty looks like fraud.
	var score float64
	if rng.IntN(20) == 0 {
		score = 0.8 + rng.Float64()*0.2
	} else {
		score = math.Pow(rng.Float64(), 3) * 0.7
	}
	return types.Row{
		types.StringValue(fmt.Sprintf("TXN-%08d", t.seq)),
		types.StringValue(customerID(rng.IntN(NumCustomers))),
		types.DecimalValue(int64(math.Round(amount*100)), 2),
		types.StringValue(currencies.pick(rng)),
		types.StringValue(region),
		types.StringValue(merchants[rng.IntN(len(merchants))]),
		types.FloatValue(round(score, 4)),
		types.FloatValue(round(city[0]+rng.NormFloat64()*0.05, 5)),
		types.FloatValue(round(city[1]+rng.NormFloat64()*0.05, 5)),
		types.TimestampValue(ts),
	}
}

func round(f float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(f*p) / p
}

var (
	pages     = weighted[string]{{"/home", 8}, {"/products", 6}, {"/search", 4}, {"/cart", 3}, {"/checkout", 1}}
	referrers = weighted[string]{{"google", 6}, {"direct", 5}, {"twitter", 2}, {"facebook", 2}, {"newsletter", 1}}
)

// numUsers is how many distinct visitors click.
const numUsers = 500

type clickGen struct {
	rng      *rand.Rand
	sessions map[int]int // user -> current session number
	last     int
}

func (c *clickGen) next(ts int64) types.Row {
	u := c.rng.IntN(numUsers)
	s, ok := c.sessions[u]
	// A visitor's session ends now and then; the next click starts a new one.
	if !ok || c.rng.IntN(20) == 0 {
		c.last++
		s = c.last
		c.sessions[u] = s
	}
	return types.Row{
		types.StringValue(fmt.Sprintf("U-%04d", u)),
		types.StringValue(fmt.Sprintf("S-%06d", s)),
		types.StringValue(pages.pick(c.rng)),
		types.StringValue(referrers.pick(c.rng)),
		types.TimestampValue(ts),
	}
}
