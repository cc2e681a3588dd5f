package gen

import (
	"context"
	"errors"
	"math"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/schema"
)

func mustSchema(t testing.TB, name, src string) *schema.Schema {
	t.Helper()
	s, errs := schema.Parse(name+".yaml", src)
	if errs != nil {
		t.Fatal(errs)
	}
	s.Name = name
	return s
}

func link(t testing.TB, ss ...*schema.Schema) {
	t.Helper()
	m := map[string]*schema.Schema{}
	for _, s := range ss {
		m[s.Name] = s
	}
	if p := schema.Link(m); p != nil {
		t.Fatal(p.Render())
	}
}

// generate returns n rows of s.
func generate(t testing.TB, s *schema.Schema, n int, opts Options) []types.Row {
	t.Helper()
	g, err := New(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]types.Row, n)
	for i := range out {
		out[i] = make(types.Row, len(s.Fields))
		g.Next(out[i])
	}
	return out
}

func col(rows []types.Row, i int) []float64 {
	out := make([]float64, 0, len(rows))
	for _, r := range rows {
		if r[i].K != types.KindNull {
			out = append(out, schema.Float64(r[i]))
		}
	}
	return out
}

func meanStd(xs []float64) (float64, float64) {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)))
}

// Distributions: fixed seeds, statistics within tolerance of what the
// constraint asks for, and every value inside its bounds.
func TestDistributions(t *testing.T) {
	cases := []struct {
		name       string
		field      string
		mean, std  float64 // expected; std < 0: not checked
		tol        float64 // relative tolerance
		lo, hi     float64
		checkRange bool
	}{
		{"uniform integer", "type: integer\n    constraints: {min: 0, max: 100}", 50, 100 / math.Sqrt(12), 0.02, 0, 100, true},
		{"uniform decimal", "type: decimal\n    scale: 2\n    constraints: {min: 10.00, max: 20.00}", 15, 10 / math.Sqrt(12), 0.02, 10, 20, true},
		{"normal float from range", "type: float\n    constraints: {min: 0, max: 60, distribution: normal}", 30, 10 * 0.986, 0.03, 0, 60, true},
		{"normal mean stddev", "type: float\n    constraints: {mean: 100, stddev: 5, distribution: normal}", 100, 5, 0.03, 70, 130, true},
		{"log normal skews low", "type: float\n    constraints: {min: 1, max: 1000, distribution: log_normal}", -1, -1, 0, 1, 1000, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustSchema(t, "s", "fields:\n  - name: x\n    "+c.field+"\n")
			link(t, s)
			xs := col(generate(t, s, 50000, Options{Seed: 7}), 0)
			for _, x := range xs {
				if x < c.lo || x > c.hi {
					t.Fatalf("value %v outside [%v, %v]", x, c.lo, c.hi)
				}
			}
			m, sd := meanStd(xs)
			if c.mean < 0 {
				// log_normal over [1, 1000]: the median is near the
				// geometric middle (about 32), far below the mean.
				med := median(xs)
				if med < 20 || med > 45 || m < 1.5*med {
					t.Fatalf("log_normal median %.1f mean %.1f", med, m)
				}
				return
			}
			if math.Abs(m-c.mean) > c.tol*math.Max(1, math.Abs(c.mean)) {
				t.Fatalf("mean %.3f, want %.3f", m, c.mean)
			}
			if math.Abs(sd-c.std) > c.tol*3*c.std {
				t.Fatalf("stddev %.3f, want %.3f", sd, c.std)
			}
		})
	}
}

func median(xs []float64) float64 {
	c := append([]float64(nil), xs...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// Zipf: rank k has frequency ∝ 1/k^s, so f(1)/f(2) ≈ 2^s and f(1)/f(4) ≈ 4^s.
func TestZipfRanks(t *testing.T) {
	s := mustSchema(t, "s", "fields:\n  - name: x\n    type: integer\n    constraints: {min: 1, max: 100, distribution: zipf, exponent: 1.5}\n  - name: e\n    type: string\n    constraints: {enum: [a, b, c, d], distribution: zipf, exponent: 2}\n")
	link(t, s)
	rows := generate(t, s, 200000, Options{Seed: 3})
	freq := map[int64]float64{}
	efreq := map[string]float64{}
	for _, r := range rows {
		freq[r[0].I]++
		efreq[r[1].S]++
	}
	for _, k := range []float64{2, 4} {
		got := freq[1] / freq[int64(k)]
		want := math.Pow(k, 1.5)
		if math.Abs(got-want)/want > 0.06 {
			t.Errorf("f(1)/f(%v) = %.2f, want %.2f", k, got, want)
		}
	}
	if got := efreq["a"] / efreq["b"]; math.Abs(got-4)/4 > 0.06 {
		t.Errorf("enum zipf f(a)/f(b) = %.2f, want 4", got)
	}
	if efreq["d"] == 0 {
		t.Error("enum rank 4 never drawn")
	}
}

func TestEnumWeightsAndNulls(t *testing.T) {
	s := mustSchema(t, "s", "fields:\n  - name: side\n    type: string\n    constraints: {enum: [BUY, SELL, HOLD], weights: [3, 1, 0]}\n  - name: n\n    type: integer\n    constraints: {min: 1, max: 2, null_probability: 0.2}\n  - name: f\n    type: boolean\n    constraints: {probability: 0.9}\n")
	link(t, s)
	rows := generate(t, s, 100000, Options{Seed: 11})
	count := map[string]int{}
	nulls, trues := 0, 0
	for _, r := range rows {
		count[r[0].S]++
		if r[1].K == types.KindNull {
			nulls++
		}
		if r[2].Bool() {
			trues++
		}
	}
	if count["HOLD"] != 0 {
		t.Fatalf("zero weight drawn %d times", count["HOLD"])
	}
	if r := float64(count["BUY"]) / float64(len(rows)); math.Abs(r-0.75) > 0.01 {
		t.Fatalf("BUY share %.3f, want 0.75", r)
	}
	if r := float64(nulls) / float64(len(rows)); math.Abs(r-0.2) > 0.01 {
		t.Fatalf("null share %.3f, want 0.2", r)
	}
	if r := float64(trues) / float64(len(rows)); math.Abs(r-0.9) > 0.01 {
		t.Fatalf("true share %.3f, want 0.9", r)
	}
}

// Patterns and lengths: every value matches the pattern as Go's regexp
// reads it.
func TestPatternsAndLengths(t *testing.T) {
	pats := []string{"ORD-[A-Z]{3}-[0-9]{6}", `USR_\d{2,4}[a-c]?`, "x+y*", "[A-Z][a-z0-9_]{0,5}\\.v"}
	for _, p := range pats {
		s := mustSchema(t, "s", "fields:\n  - name: x\n    type: string\n    constraints:\n      pattern: '"+p+"'\n")
		link(t, s)
		re := regexp.MustCompile("^" + p + "$")
		for _, r := range generate(t, s, 2000, Options{Seed: 1}) {
			if !re.MatchString(r[0].S) {
				t.Fatalf("%q does not match %s", r[0].S, p)
			}
		}
	}
	s := mustSchema(t, "s", "fields:\n  - name: x\n    type: string\n    constraints: {min_length: 3, max_length: 6}\n")
	link(t, s)
	seen := map[int]bool{}
	for _, r := range generate(t, s, 2000, Options{Seed: 1}) {
		if n := len(r[0].S); n < 3 || n > 6 {
			t.Fatalf("length %d", n)
		}
		seen[len(r[0].S)] = true
	}
	if len(seen) != 4 {
		t.Fatalf("lengths seen %v", seen)
	}
}

// Foreign keys: every generated reference resolves in the referenced
// source's generated keys.
func TestReferences(t *testing.T) {
	cu := mustSchema(t, "customers", "fields:\n  - name: customer_id\n    type: string\n    constraints: {sequence: {start: 100, step: 100}, format: \"C-%d\"}\n")
	tr := mustSchema(t, "trades", "fields:\n  - name: customer_id\n    type: string\n    constraints:\n      references: {schema: customers, field: customer_id}\n      distribution: zipf\n")
	link(t, cu, tr)
	pool, err := Pool(cu, "customer_id", 50, Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(pool) != 50 || pool[0].S != "C-100" || pool[1].S != "C-200" {
		t.Fatalf("pool %v", pool[:3])
	}
	keys := map[string]bool{}
	for _, v := range pool {
		keys[v.S] = true
	}
	for _, r := range generate(t, tr, 10000, Options{Seed: 5, Pools: map[string][]types.Value{PoolKey("customers", "customer_id"): pool}}) {
		if !keys[r[0].S] {
			t.Fatalf("reference %q does not resolve", r[0].S)
		}
	}
	if _, err := New(tr, Options{Seed: 5}); err == nil {
		t.Fatal("a reference without its pool must fail")
	}
}

// Event times advance at the rate and are never more than jitter behind
// the largest time before them; a range draws inside start..end.
func TestTimestamps(t *testing.T) {
	s := mustSchema(t, "s", "fields:\n  - name: ts\n    type: timestamp\n    constraints: {start: \"2024-01-01T00:00:00Z\", rate: 10, jitter: 300ms}\n  - name: r\n    type: timestamp\n    constraints: {start: \"2024-01-01\", end: \"2024-01-02\"}\n")
	link(t, s)
	rows := generate(t, s, 10000, Options{Seed: 9})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxSeen, maxBehind := rows[0][0].I, int64(0)
	for i, r := range rows {
		ts := r[0].I
		if base := start + int64(i)*100; ts > base || ts < base-300 {
			t.Fatalf("record %d at %d, want within 300ms before %d", i, ts, base)
		}
		maxBehind = max(maxBehind, maxSeen-ts)
		maxSeen = max(maxSeen, ts)
		if r[1].I < start || r[1].I > start+86400000 {
			t.Fatalf("range value %d", r[1].I)
		}
	}
	if maxBehind > 300 || maxBehind < 150 {
		t.Fatalf("largest out-of-orderness %dms, want within (150, 300]", maxBehind)
	}
}

func TestDerivedAndDeterminism(t *testing.T) {
	src := "fields:\n  - name: price\n    type: decimal\n    scale: 2\n    constraints: {min: 100, max: 200}\n  - name: qty\n    type: integer\n    constraints: {min: 1, max: 10}\n  - name: fill\n    type: decimal\n    scale: 2\n    constraints:\n      derived: \"price * random(0.95, 1.05)\"\n  - name: total\n    type: decimal\n    scale: 2\n    constraints: {derived: \"fill * qty\"}\n"
	s := mustSchema(t, "s", src)
	link(t, s)
	a := generate(t, s, 1000, Options{Seed: 42})
	for _, r := range a {
		p, f := schema.Float64(r[0]), schema.Float64(r[2])
		if r[2].Scale != 2 || f < p*0.95-0.005 || f > p*1.05+0.005 {
			t.Fatalf("fill %v for price %v", schema.Text(r[2]), schema.Text(r[0]))
		}
		if got, want := schema.Float64(r[3]), f*float64(r[1].I); math.Abs(got-want) > 1e-6 {
			t.Fatalf("total %v, want %v", got, want)
		}
	}
	b := generate(t, s, 1000, Options{Seed: 42})
	c := generate(t, s, 1000, Options{Seed: 43})
	same, diff := true, false
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				same = false
			}
			if a[i][j] != c[i][j] {
				diff = true
			}
		}
	}
	if !same || !diff {
		t.Fatalf("same seed same data: %v; other seed other data: %v", same, diff)
	}
}

func TestSource(t *testing.T) {
	s := mustSchema(t, "s", "fields:\n  - name: a\n    type: integer\n    constraints: {sequence: true}\n  - name: b\n    type: string\n    constraints: {enum: [x]}\n")
	link(t, s)
	g, _ := New(s, Options{Seed: 1})
	cols := types.Schema{{Name: "b", Type: types.String}, {Name: "_key", Type: types.String}, {Name: "A", Type: types.Int}}
	src, err := NewSource("s", g, 10, cols, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for {
		b, err := src.Read(context.Background())
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		for _, r := range b.Records {
			if r.Row[0].S != "x" || r.Row[1].K != types.KindNull || r.Prov.Line != r.Row[2].I {
				t.Fatalf("row %v prov %d", r.Row, r.Prov.Line)
			}
			got = append(got, r.Row[2].I)
		}
	}
	if len(got) != 10 || got[9] != 10 {
		t.Fatalf("got %v", got)
	}
	g2, _ := New(s, Options{})
	if _, err := NewSource("s", g2, 1, types.Schema{{Name: "zz"}}, 0, nil); err == nil {
		t.Fatal("unknown column must fail")
	}
}

const benchSchema = `fields:
  - name: symbol
    type: string
    constraints: {enum: [AAPL, MSFT, GOOG, AMZN, TSLA]}
  - name: price
    type: decimal
    scale: 2
    constraints: {min: 10, max: 500}
  - name: quantity
    type: integer
    constraints: {min: 1, max: 1000, distribution: log_normal}
  - name: customer_id
    type: string
    constraints: {pattern: "CUST[0-9]{3}"}
  - name: ts
    type: timestamp
    constraints: {rate: 1000, jitter: 200ms}
`

// BenchmarkGenerate reports records/s of generation into engine batches.
func BenchmarkGenerate(b *testing.B) {
	s := mustSchema(b, "trades", benchSchema)
	link(b, s)
	const n = 1 << 20
	b.ReportAllocs()
	for b.Loop() {
		g, _ := New(s, Options{Seed: 1})
		src, _ := NewSource("trades", g, n, s.Row(), 4096, nil)
		for {
			if _, err := src.Read(context.Background()); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
